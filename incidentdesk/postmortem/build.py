"""Reading a resolved run into a postmortem draft.

Where each part comes from: the triggers from the run's events; the onset, signals, severity and
the cause's chain and citations from the packet the cause was judged on (the latest when none
was confirmed); the packet versions from their rows; evidence milestones from the sources'
collection states; proposals, approvals, executions, the Slack post, tickets and the resolution
from the audit trail; the impact and the verdict from the confirmed cause.
"""

from datetime import timedelta

from django.conf import settings

from incidentdesk.analysis.timeutil import parse_time
from incidentdesk.models import AuditEntry, Packet, Run, SourceCollection
from incidentdesk.postmortem.content import (
    AuditRecord,
    CauseFindings,
    DeskReview,
    Entry,
    Impact,
    Link,
    Postmortem,
)
from incidentdesk.postmortem.packets import (
    PacketVersion,
    Ranked,
    chain_entries,
    change_entries,
    citation_entries,
    hypothesis_entry,
    hypothesis_for,
    packet_entries,
    pull_request_links,
    signal_entries,
)
from incidentdesk.postmortem.trail import TRAIL_ACTIONS, trail_checks, trail_entries, trail_tickets
from incidentdesk.resolution_panel import run_confirmed_cause
from incidentdesk.run_triggers import TriggerView, run_triggers

MAX_TRIGGERS = 6  # a storm can feed a run thousands of alerts: the first few tell the story
MAX_TRAIL = 500
NOT_CONFIGURED = "not_configured"
TRIGGER_WORDS = {"trigger": "Trigger", "resolve": "Resolve event", "update": "Update"}


def _trigger_text(t: TriggerView) -> str:
    word = TRIGGER_WORDS.get(t.kind, t.kind.capitalize())
    text = f"{word} from {t.source or 'a webhook'}: {t.title or '(no title)'}"
    details = [t.numbers] if t.numbers else []
    details += [f"sender said {t.severity}"] if t.severity else []
    details += ["from people"] if t.from_people else []
    return f"{text} ({'; '.join(details)})" if details else text


def _trigger_entries(run: Run) -> list[Entry]:
    views = run_triggers(run)
    if not views:
        return [Entry(f"Trigger from {run.trigger_source}: {run.title}", run.triggered_at)]
    entries = [Entry(_trigger_text(t), t.at, (Link("link", t.link),) if t.link else ())
               for t in views[:MAX_TRIGGERS]]
    if len(views) > MAX_TRIGGERS:
        last = views[-1]
        more = len(views) - MAX_TRIGGERS
        entries.append(Entry(f"{more} more events from vendors; the last: {_trigger_text(last)}", last.at))
    return entries


def _gap(c: SourceCollection) -> str:
    reason = c.reason.replace("_", " ") or "failed"
    return f"{c.source} ({reason}: {c.detail})" if c.detail else f"{c.source} ({reason})"


def _collection_entries(run: Run, collections: list[SourceCollection]) -> list[Entry]:
    failed = [c for c in collections
              if c.state == SourceCollection.State.FAILED and c.reason != NOT_CONFIGURED]
    entries = [Entry(f"Source failed: {_gap(c)}", c.finished_at or run.collection_finished_at)
               for c in failed]
    if run.collection_started_at:
        entries.insert(0, Entry(f"Evidence collection started: {len(collections)} sources",
                                run.collection_started_at))
    if run.collection_finished_at:
        answered = [c for c in collections if c.state == SourceCollection.State.DONE]
        text = (f"Evidence collected: {len(answered)} of {len(collections)} sources answered, "
                f"{sum(c.item_count for c in answered)} records")
        text += f"; {len(failed)} failed" if failed else ""
        entries.append(Entry(text, run.collection_finished_at))
    return entries


def _packet_versions(run: Run) -> list[PacketVersion]:
    # Only the headline of each version: a packet's JSON holds all its evidence.
    rows = run.packets.order_by("version").values(
        "version", "created_at", "complete", "data__severity", "data__hypotheses__0")
    return [PacketVersion(r["version"], r["created_at"], r["complete"], str(r["data__severity"] or ""),
                          r["data__hypotheses__0"] if isinstance(r["data__hypotheses__0"], dict) else None)
            for r in rows]


def _trail(run: Run) -> list[AuditRecord]:
    rows = (AuditEntry.objects.filter(run_id=run.pk, action__in=TRAIL_ACTIONS).order_by("seq")
            .values_list("at", "actor", "action", "detail")[:MAX_TRAIL])
    return [AuditRecord(at, actor, action, detail if isinstance(detail, dict) else {})
            for at, actor, action, detail in rows]


def _cause(confirmed, packet: Packet | None, data: dict, ranked: Ranked | None) -> CauseFindings:
    h = ranked.hypothesis if ranked else None
    return CauseFindings(
        label=confirmed.cause.label, summary="" if confirmed.cause.is_unknown else confirmed.summary,
        note=confirmed.note, confirmed_by=confirmed.confirmed_by, confirmed_at=confirmed.confirmed_at,
        packet_version=packet.version if packet else None,
        hypothesis=hypothesis_entry(h) if h else None,
        chain=tuple(chain_entries(h)) if h else (),
        citations=tuple(citation_entries(data, h)) if h else (),
    )


def _review(run: Run, confirmed, packet: Packet | None, ranked: Ranked | None,
            versions: list[PacketVersion], collections: list[SourceCollection]) -> DeskReview:
    complete = next((p.at for p in versions if p.complete), None)
    missing = tuple(_gap(c) for c in collections if c.state == SourceCollection.State.FAILED)
    to_packet = max(timedelta(0), complete - run.triggered_at) if complete else None
    if confirmed is None:
        return DeskReview(verdict=None, to_complete_packet=to_packet, failed_sources=missing)
    desk = confirmed.desk_cause
    return DeskReview(
        verdict=confirmed.verdict, first=desk.label if desk else "",
        first_confidence=confirmed.desk_confidence,
        packet_version=packet.version if packet else None,
        cause_rank=ranked.rank if ranked else None,
        cause_rank_confidence=str(ranked.hypothesis.get("confidence") or "") if ranked else "",
        to_complete_packet=to_packet, failed_sources=missing,
    )


def _follow_ups(records: list[AuditRecord], data: dict, ranked: Ranked | None) -> list[Entry]:
    pulls = pull_request_links(data, ranked.hypothesis) if ranked else []
    return trail_tickets(records) + [Entry("", links=(link,)) for link in pulls] + trail_checks(records)


def postmortem_build(*, run: Run) -> Postmortem:
    """The draft of a run: read only, a fixed number of queries."""
    confirmed = run_confirmed_cause(run)
    packet = (confirmed.packet if confirmed else None) or run.packets.order_by("-version").first()
    data = packet.data if packet and isinstance(packet.data, dict) else {}
    ranked = hypothesis_for(data, confirmed.cause) if confirmed else None
    versions = _packet_versions(run)
    collections = list(run.collections.all())
    records = _trail(run)
    seen = parse_time(data.get("first_seen"))
    onset = seen or run.first_seen_at

    entries = _trigger_entries(run)
    onset_text = "Onset: first seen in the evidence" if seen else "Onset: as the trigger says"
    entries.append(Entry(onset_text, onset))
    entries += change_entries(data, ranked.hypothesis) if ranked else []
    entries += _collection_entries(run, collections) + packet_entries(versions)
    if run.resolved_at and not any(r.action == "run.resolved" for r in records):
        entries.append(Entry("Resolved", run.resolved_at))
    entries += trail_entries(records)
    risk = data.get("data_risk") or {}
    team = run.service.team if run.service else run.current_owner_team
    return Postmortem(
        run_id=run.pk, title=run.title, service=run.service.name if run.service else run.service_hint,
        team=team.label if team else "", run_url=settings.DESK_BASE_URL + run.get_absolute_url(),
        trigger_source=run.trigger_source, triggered_at=run.triggered_at, onset=onset,
        resolved_at=run.resolved_at,
        impact=Impact(
            customers_affected=confirmed.customer_impact if confirmed else None,
            minutes=confirmed.impact_minutes if confirmed else None,
            severity=str(data.get("severity") or run.severity or ""),
            severity_basis=str(data.get("severity_basis") or ""),
            data_risk=str(risk.get("reason") or "flagged") if risk.get("flagged") else "",
            signals=tuple(signal_entries(data)),
        ),
        timeline=tuple(sorted((e for e in entries if e.at), key=lambda e: e.at)),
        cause=_cause(confirmed, packet, data, ranked) if confirmed else None,
        desk=_review(run, confirmed, packet, ranked, versions, collections),
        follow_ups=tuple(_follow_ups(records, data, ranked)),
    )
