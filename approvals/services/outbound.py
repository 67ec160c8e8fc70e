"""What the desk does without approval: post the packet to the owning team's Slack channel, open a ticket.

Both go through the policy (`post_summary`, `create_ticket`), both are one row per run
(`Outbound`). A send claims the row in a short transaction, calls the vendor outside any
transaction or lock, and records the outcome after: two workers never post or open twice,
and a send whose answer never came is looked up, not repeated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from approvals.executors import ExecutionResult, ExecutorError, GitHubIssue, JiraIssue, SlackMessage
from approvals.models import Outbound
from approvals.services.errors import ProposalRefused
from approvals.services.proposals import run_scope_names
from incidentdesk import clock
from incidentdesk.audit import audit_append
from incidentdesk.models import Packet, Run
from incidentdesk.policy import ActionRequest, current_policy, decide
from incidentdesk.queue import enqueue

logger = logging.getLogger(__name__)
TEXT_LIMIT = 2900  # a section's text must stay under Slack's 3000 characters
HEADER_LIMIT = 150
# A claim older than this was left by a sender that stopped (its deadline is far shorter).
CLAIM_TTL = timedelta(minutes=5)


def run_url(run: Run) -> str:
    return settings.DESK_BASE_URL + run.get_absolute_url()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def packet_message(run: Run, packet: Packet) -> tuple[str, list[dict]]:
    """The Slack fallback text and Block Kit blocks for a packet version."""
    data = packet.data
    service = data.get("service") or run.service_hint or "unknown service"
    title = f"#{run.pk} {service}: {run.title}"[:HEADER_LIMIT]
    url = run_url(run)
    top = (data.get("hypotheses") or [{}])[0]
    owner = (data.get("owner") or {}).get("team") or "unknown"
    facts = [f"*Severity (candidate):* {data.get('severity') or 'unknown'}", f"*Owner:* {_escape(owner)}"]
    if top.get("summary"):
        facts.append(f"*Likely cause ({top.get('confidence')}):* {_escape(top['summary'])}")
    approvals = data.get("requires_approval") or []
    if approvals:
        facts.append(
            "*Needs approval on the desk:* "
            + ", ".join(_escape(f"{a.get('action')} {a.get('target')}") for a in approvals)
        )
    text = data.get("text") or ""
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT] + "\n…"
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(facts)}},
    ]
    if text:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{_escape(text)}```"}})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "open_run",
                    "url": url,
                    "text": {"type": "plain_text", "text": "Open the run"},
                },
            ],
        }
    )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Packet version {packet.version}"
                    f"{'' if packet.complete else ' (collection still running)'}",
                },
            ],
        }
    )
    return f"{title} {url}", blocks


def _risky(packet: Packet | None) -> bool:
    return bool(packet and (packet.data.get("data_risk") or {}).get("flagged"))


def _claim(outbound: Outbound, *, actor: str, done: Callable[[Outbound], bool]) -> bool:
    """Claim the row for one send, in a short transaction. False when it needs no send or another
    worker holds it. A claim left by a sender that stopped before recording makes the outcome
    unknown; only a person, who has been shown that, sends again."""
    now = clock.now()
    with transaction.atomic():
        row = Outbound.objects.select_for_update().get(pk=outbound.pk)
        if row.claimed_at and now - row.claimed_at > CLAIM_TTL:
            row.state, row.claimed_at, row.updated_at = Outbound.State.UNKNOWN, None, now
            row.outcome = (
                f"outcome unknown: the sender stopped before recording what {row.vendor} answered; "
                f"check {row.destination or row.vendor} before sending again"
            )
            row.save()
        held = row.claimed_at is not None
        desk_waits = row.state == Outbound.State.UNKNOWN and actor == "desk"
        if held or done(row) or desk_waits:
            outbound.refresh_from_db()
            return False
        row.claimed_at = now
        row.save(update_fields=["claimed_at"])
    outbound.refresh_from_db()
    return True


def _record(
    outbound: Outbound,
    result: ExecutionResult | None,
    failure: ExecutorError | None,
    *,
    audit: tuple[str, str, str],
    detail: Callable[[Outbound], dict],
    log: bool,
    **fields,
) -> Outbound:
    """Write the outcome, release the claim and append the audit entry, in one short transaction.

    audit: (actor, event, what success is called), as in ("alice", "ticket", "created").
    """
    actor, event, success = audit
    with transaction.atomic():
        row = (
            Outbound.objects.select_for_update(of=("self",))
            .select_related("run__service")
            .get(pk=outbound.pk)
        )
        row.updated_at = clock.now()
        row.claimed_at = None
        for name, value in fields.items():
            setattr(row, name, value)
        if failure is not None:
            row.state = Outbound.State.UNKNOWN if failure.unknown else Outbound.State.FAILED
            row.outcome = failure.detail if failure.unknown else f"{failure.reason}: {failure.detail}"
            row.result = {
                "requests": failure.requests,
                "transient": failure.transient,
                "status": failure.status,
            }
        else:
            row.state = Outbound.State.DRY_RUN if result.dry_run else Outbound.State.SENT
            row.outcome = result.summary
            row.result = result.as_record()
            row.external_id = result.external_id or row.external_id
            row.url = result.url or row.url
        row.save()
        if failure is None:
            action = f"{event}.{success}"
        else:
            action = f"{event}.outcome_unknown" if failure.unknown else f"{event}.failed"
        audit_append(
            actor=actor,
            action=action,
            run_id=row.run_id,
            service=row.run.service.name if row.run.service else "",
            detail={
                **detail(row),
                "state": row.state,
                "outcome": row.outcome,
                "requests": failure.requests if failure else result.requests,
            },
            touches_customer_data=log,
        )
    return row


def summary_post(*, run: Run, actor: str = "desk", messenger: SlackMessage | None = None) -> Outbound | None:
    """Post the run's latest packet to the owning team's channel, or update the message already posted.

    Returns None when there is nothing to post (no packet, no channel) or the policy refuses.
    A version already posted is not posted again; a post whose outcome is unknown is not
    posted again by the desk, only by a person. The row is claimed in a short transaction,
    Slack is called outside any transaction, and the outcome recorded after. Side effects:
    the Slack call (or its dry-run record), the Outbound row, an audit entry. Vendor
    failures are recorded, not raised.
    """
    packet = run.packets.order_by("-version").first()
    team = run.service.team if run.service else run.current_owner_team
    if packet is None or team is None or not team.slack_channel:
        return None
    service = run.service.name if run.service else ""
    decision = decide(
        current_policy(),
        ActionRequest(
            actor=actor,
            action="post_summary",
            service=service or None,
            scope=run_scope_names(run),
            touches_customer_data=_risky(packet),
        ),
    )
    if not decision.allowed:
        audit_append(
            actor=actor,
            action="summary.refused",
            run_id=run.pk,
            service=service,
            detail={"rule": decision.rule, "reason": decision.reason},
            touches_customer_data=decision.log_customer_data,
        )
        return None
    outbound, _ = Outbound.objects.get_or_create(
        run=run,
        kind=Outbound.Kind.POST_SUMMARY,
        defaults={"vendor": "slack", "destination": team.slack_channel, "requested_by": actor},
    )
    posted = (Outbound.State.SENT, Outbound.State.DRY_RUN)
    if not _claim(
        outbound, actor=actor, done=lambda o: o.state in posted and o.packet_version == packet.version
    ):
        return outbound
    text, blocks = packet_message(run, packet)
    result, failure = None, None
    try:
        messenger = messenger or SlackMessage()
        # Once Slack has answered, `destination` holds the channel id that chat.update needs.
        ts = "" if messenger.dry_run else outbound.external_id
        channel = outbound.destination if ts else team.slack_channel
        result = messenger.post(channel=channel, text=text, blocks=blocks, ts=ts, key=str(outbound.key))
    except ExecutorError as exc:
        failure = exc
    destination = result.extra.get("channel", team.slack_channel) if result else outbound.destination
    return _record(
        outbound,
        result,
        failure,
        audit=(actor, "summary", "posted"),
        detail=lambda row: {"channel": team.slack_channel, "version": packet.version, "ts": row.external_id},
        log=decision.log_customer_data,
        packet_version=packet.version,
        destination=destination or team.slack_channel,
    )


def ticket_links(run: Run, packet: Packet | None) -> list[str]:
    """The source links a ticket carries: the trigger's links, then every cited evidence URL."""
    links = [str(link) for link in run.links or [] if link]
    for evidence in (packet.data.get("evidence") or []) if packet else []:
        if evidence.get("url"):
            links.append(str(evidence["url"]))
    return list(dict.fromkeys(links))


def ticket_request(*, run: Run, user) -> Outbound:
    """Ask for the run's ticket: the policy is checked now, the vendor is called by a task.

    Raises ProposalRefused when the policy refuses or there is nowhere to open it. Returns the
    run's ticket row as it stands (the page shows it as being opened until the task records it).
    """
    actor = user.get_username()
    _ticket_decision(run, actor)
    outbound, _ = Outbound.objects.get_or_create(
        run=run, kind=Outbound.Kind.CREATE_TICKET, defaults={"vendor": _tracker(None), "requested_by": actor}
    )
    try:
        enqueue("approvals.open_ticket", run.pk, actor)
    except Exception as exc:  # broker down: nothing was sent, the person can ask again
        logger.warning("broker unavailable, ticket for run %s not opened: %s", run.pk, exc)
        raise ProposalRefused("the task queue is unavailable; nothing was sent, ask again shortly") from exc
    outbound.refresh_from_db()
    return outbound


def _tracker(issuer) -> str:
    use_jira = isinstance(issuer, JiraIssue) or (issuer is None and JiraIssue.has_credentials())
    return "jira" if use_jira else "github"


def _ticket_decision(run: Run, actor: str, issuer=None):
    """The policy's decision, or ProposalRefused (audited) when it refuses or there is no tracker."""
    packet = run.packets.order_by("-version").first()
    service = run.service.name if run.service else ""
    decision = decide(
        current_policy(),
        ActionRequest(
            actor=actor,
            action="create_ticket",
            service=service or None,
            scope=run_scope_names(run),
            links=tuple(ticket_links(run, packet)),
            touches_customer_data=_risky(packet),
        ),
    )
    refusal = ""
    if not decision.allowed:
        refusal = decision.reason
    elif issuer is None and not JiraIssue.has_credentials() and not (run.service and run.service.repo):
        refusal = "no tracker: set JIRA_URL and JIRA_TOKEN, or give the service a repository"
    if refusal:
        audit_append(
            actor=actor,
            action="ticket.refused",
            run_id=run.pk,
            service=service,
            detail={"rule": decision.rule, "reason": refusal},
            touches_customer_data=decision.log_customer_data,
        )
        raise ProposalRefused(refusal)
    return decision


def ticket_create(*, run: Run, actor: str, issuer: GitHubIssue | JiraIssue | None = None) -> Outbound:
    """Open the run's incident ticket (Jira when configured, else a GitHub issue), once per run.

    Raises ProposalRefused when the policy refuses (no source links) or there is nowhere to open it.
    The row is claimed in a short transaction and the tracker called outside any transaction.
    Side effects: the vendor call (or its dry-run record), the Outbound row, an audit entry.
    """
    decision = _ticket_decision(run, actor, issuer)
    packet = run.packets.order_by("-version").first()
    links = ticket_links(run, packet)
    vendor = _tracker(issuer)
    outbound, _ = Outbound.objects.get_or_create(
        run=run, kind=Outbound.Kind.CREATE_TICKET, defaults={"vendor": vendor, "requested_by": actor}
    )
    if not _claim(outbound, actor=actor, done=lambda o: o.state == Outbound.State.SENT):
        return outbound
    title = f"Incident #{run.pk}: {run.title}"[:250]
    body = "\n".join(
        [
            (packet.data.get("text") if packet else "") or run.title,
            "",
            "Sources:",
            *(f"- {link}" for link in links),
            "",
            f"Incident desk run: {run_url(run)}",
        ]
    )
    result, failure = None, None
    destination = ""
    key = str(outbound.key)
    try:
        if vendor == "jira":
            issuer = issuer or JiraIssue()
            destination = issuer.env("JIRA_PROJECT", "INC")
            result = issuer.create(title=title, body=body, labels=["incident"], key=key)
        else:
            issuer = issuer or GitHubIssue()
            destination = run.service.repo
            result = issuer.create(repo=destination, title=title, body=body, labels=["incident"], key=key)
    except ExecutorError as exc:
        failure = exc
    return _record(
        outbound,
        result,
        failure,
        audit=(actor, "ticket", "created"),
        detail=lambda row: {"vendor": vendor, "destination": destination, "url": row.url, "links": links},
        log=decision.log_customer_data,
        vendor=vendor,
        destination=destination,
        requested_by=actor,
        packet_version=packet.version if packet else None,
    )
