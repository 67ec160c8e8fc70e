"""The audit trail as a postmortem tells it: proposals, approvals, what ran, what was posted and
opened, and the resolution, each with who and when.

The trail is the desk's own record of who did what and when, written in the same transaction
as each change; the approvals app writes it and the core reads it, so the core never imports
that app. Plain functions over `AuditRecord`s.
"""

from collections.abc import Iterable

from incidentdesk.action_labels import action_label
from incidentdesk.causes import Cause, Verdict
from incidentdesk.postmortem.content import AuditRecord, Entry, Link

PROPOSAL_ACTIONS = (
    "proposal.proposed", "proposal.approval", "proposal.rejected", "proposal.expired",
    "proposal.stopped", "proposal.executed", "proposal.failed", "proposal.outcome_unknown",
)
OUTBOUND_ACTIONS = (
    "summary.posted", "summary.failed", "summary.outcome_unknown",
    "ticket.created", "ticket.failed", "ticket.outcome_unknown",
)
RUN_ACTIONS = ("run.resolved", "run.reopened", "run.cause_confirmed")
TRAIL_ACTIONS = PROPOSAL_ACTIONS + OUTBOUND_ACTIONS + RUN_ACTIONS
DESK = "desk"
VERDICTS = frozenset(v.value for v in Verdict)


def _who(actor: str) -> str:
    return "the desk" if actor == DESK else actor


def _what(detail: dict) -> str:
    return f"{action_label(detail.get('action'))} {detail.get('target') or ''}".strip()


def _text(value: object) -> str:
    return str(value or "").strip()


def _dry_run(detail: dict) -> str:
    dry = detail.get("dry_run") or detail.get("state") == "dry_run"
    return " (dry run: recorded, not sent)" if dry else ""


def _proposal_text(record: AuditRecord) -> str:
    d, what, who = record.detail, _what(record.detail), _who(record.actor)
    if record.action == "proposal.proposed":
        text = f"{what} proposed by {who}"
        if d.get("safe") is False:
            text += f", marked unsafe: {_text(d.get('safety_reason'))}"
        required = d.get("approvals_required")
        return text + (f", needs {required} approvals" if isinstance(required, int) and required > 1 else "")
    if record.action == "proposal.approval":
        text = f"{what} approved by {who} ({d.get('approvals')} of {d.get('approvals_required')})"
        return text + (f": {_text(d.get('comment'))}" if _text(d.get("comment")) else "")
    if record.action == "proposal.rejected":
        return f"{what} rejected by {who}: {_text(d.get('reason'))}"
    if record.action == "proposal.expired":
        return f"{what} expired"
    if record.action == "proposal.stopped":
        return f"{what} stopped before running: {_text(d.get('reason'))}"
    if record.action == "proposal.executed":
        summary = _text(d.get("summary"))
        # A dry run's own summary usually says so already.
        marker = "" if "dry run" in summary.lower() else _dry_run(d)
        return f"{what} carried out by the desk: {summary}{marker}"
    if record.action == "proposal.failed":
        return f"{what} failed ({_text(d.get('reason'))}): {_text(d.get('detail'))}"
    return f"{what}: outcome unknown: {_text(d.get('detail'))}"


def _outbound_entry(record: AuditRecord) -> Entry:
    d, at = record.detail, record.at
    if record.action == "summary.posted":
        return Entry(f"Packet v{d.get('version')} posted to {_text(d.get('channel'))}{_dry_run(d)}", at)
    if record.action.startswith("summary."):
        outcome = _outcome_word(record.action)
        return Entry(f"Posting the packet to Slack {outcome}: {_text(d.get('outcome'))}", at)
    if record.action == "ticket.created":
        url = _text(d.get("url"))
        return Entry(f"Incident ticket opened by {_who(record.actor)}{_dry_run(d)}", at,
                     (Link(url, url),) if url else ())
    return Entry(f"Opening the incident ticket {_outcome_word(record.action)}: {_text(d.get('outcome'))}", at)


def _outcome_word(action: str) -> str:
    return "failed" if action.endswith(".failed") else "had an unknown outcome"


def _run_text(record: AuditRecord) -> str:
    d = record.detail
    if record.action == "run.resolved":
        if record.actor == DESK:
            return f"Resolved by the vendor's event: {_text(d.get('title'))}"
        return f"Resolved by {record.actor} on the desk"
    if record.action == "run.reopened":
        return f"Reopened by a vendor's event: {_text(d.get('title'))}"
    cause = Cause(_text(d.get("kind")), _text(d.get("ref")))
    verb = "changed" if d.get("replaces") else "confirmed"
    text = f"Cause {verb} by {record.actor}: {cause.label}"
    if d.get("verdict") in VERDICTS:
        text += f" ({Verdict(d['verdict']).phrase.lower()})"
    return text


def trail_entries(records: Iterable[AuditRecord]) -> list[Entry]:
    """Timeline entries, in the trail's order. Only the first post of the packet is told: later
    posts update the same message."""
    entries: list[Entry] = []
    posted = False
    for record in records:
        if record.action in PROPOSAL_ACTIONS:
            entries.append(Entry(_proposal_text(record), record.at))
        elif record.action in OUTBOUND_ACTIONS:
            if record.action == "summary.posted":
                if posted:
                    continue
                posted = True
            entries.append(_outbound_entry(record))
        elif record.action in RUN_ACTIONS:
            entries.append(Entry(_run_text(record), record.at))
    return entries


def trail_tickets(records: Iterable[AuditRecord]) -> list[Entry]:
    """The incident tickets opened, as links."""
    urls = [_text(r.detail.get("url")) for r in records if r.action == "ticket.created"]
    return [Entry("Incident ticket:", links=(Link(url, url),)) for url in urls if url]


def trail_checks(records: Iterable[AuditRecord]) -> list[Entry]:
    """The actions that failed or whose outcome is unknown: someone still has to look at them."""
    items = []
    for record in records:
        if record.action == "proposal.outcome_unknown":
            what, detail = _what(record.detail), _text(record.detail.get("detail"))
            items.append(Entry(f"Check whether {what} took effect: {detail}"))
        elif record.action == "proposal.failed":
            items.append(Entry(f"{_what(record.detail)} failed: decide whether it is still needed"))
    return items
