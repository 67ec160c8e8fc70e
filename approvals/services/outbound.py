"""What the desk does without approval: post the packet to the owning team's Slack channel, open a ticket.

Both go through the policy (`post_summary`, `create_ticket`), both are one row per run
(`Outbound`), locked while the vendor is called so two workers never post or open twice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from approvals.audit import audit_append
from approvals.executors import ExecutionResult, ExecutorError, GitHubIssue, JiraIssue, SlackMessage
from approvals.models import Outbound
from approvals.policy import ActionRequest, decide
from approvals.policy_file import policy_document
from approvals.services.errors import ProposalRefused
from approvals.services.proposals import run_scope_names
from incidentdesk import clock
from incidentdesk.models import Packet, Run

logger = logging.getLogger(__name__)
TEXT_LIMIT = 2900  # a section's text must stay under Slack's 3000 characters
HEADER_LIMIT = 150


def summary_enqueue(*, run_id: int) -> bool:
    from approvals.tasks import post_summary

    try:
        post_summary.delay(run_id)
    except Exception as exc:  # broker down: the next packet version posts again
        logger.warning("broker unavailable, Slack post for run %s skipped: %s", run_id, exc)
        return False
    return True


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


def _record(
    outbound: Outbound, result: ExecutionResult | None, failure: ExecutorError | None, **fields
) -> None:
    outbound.updated_at = clock.now()
    for name, value in fields.items():
        setattr(outbound, name, value)
    if failure is not None:
        outbound.state = Outbound.State.FAILED
        outbound.outcome = f"{failure.reason}: {failure.detail}"
        outbound.result = {
            "requests": failure.requests,
            "transient": failure.transient,
            "status": failure.status,
        }
    else:
        outbound.state = Outbound.State.DRY_RUN if result.dry_run else Outbound.State.SENT
        outbound.outcome = result.summary
        outbound.result = result.as_record()
        outbound.external_id = result.external_id or outbound.external_id
        outbound.url = result.url or outbound.url
    outbound.save()


def summary_post(*, run: Run, actor: str = "desk", messenger: SlackMessage | None = None) -> Outbound | None:
    """Post the run's latest packet to the owning team's channel, or update the message already posted.

    Returns None when there is nothing to post (no packet, no channel) or the policy refuses.
    A version already posted is not posted again. Side effects: the Slack call (or its dry-run
    record), the Outbound row, an audit entry. Vendor failures are recorded, not raised.
    """
    packet = run.packets.order_by("-version").first()
    team = run.service.team if run.service else run.current_owner_team
    if packet is None or team is None or not team.slack_channel:
        return None
    service = run.service.name if run.service else ""
    decision = decide(
        policy_document(),
        ActionRequest(
            actor=actor,
            action="post_summary",
            service=service or None,
            scope=run_scope_names(run),
            touches_customer_data=_risky(packet),
        ),
    )
    with transaction.atomic():
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
        outbound = Outbound.objects.select_for_update().get(pk=outbound.pk)
        if (
            outbound.state in (Outbound.State.SENT, Outbound.State.DRY_RUN)
            and outbound.packet_version == packet.version
        ):
            return outbound
        text, blocks = packet_message(run, packet)
        result, failure = None, None
        try:
            messenger = messenger or SlackMessage()
            # Once Slack has answered, `destination` holds the channel id that chat.update needs.
            ts = "" if messenger.dry_run else outbound.external_id
            channel = outbound.destination if ts else team.slack_channel
            result = messenger.post(channel=channel, text=text, blocks=blocks, ts=ts)
        except ExecutorError as exc:
            failure = exc
        destination = result.extra.get("channel", team.slack_channel) if result else outbound.destination
        _record(
            outbound,
            result,
            failure,
            packet_version=packet.version,
            destination=destination or team.slack_channel,
        )
        audit_append(
            actor=actor,
            action="summary.failed" if failure else "summary.posted",
            run_id=run.pk,
            service=service,
            detail={
                "channel": team.slack_channel,
                "version": packet.version,
                "state": outbound.state,
                "ts": outbound.external_id,
                "outcome": outbound.outcome,
                "requests": (failure.requests if failure else result.requests),
            },
            touches_customer_data=decision.log_customer_data,
        )
    return outbound


def ticket_links(run: Run, packet: Packet | None) -> list[str]:
    """The source links a ticket carries: the trigger's links, then every cited evidence URL."""
    links = [str(link) for link in run.links or [] if link]
    for evidence in (packet.data.get("evidence") or []) if packet else []:
        if evidence.get("url"):
            links.append(str(evidence["url"]))
    return list(dict.fromkeys(links))


def ticket_create(*, run: Run, user, issuer: GitHubIssue | JiraIssue | None = None) -> Outbound:
    """Open the run's incident ticket (Jira when configured, else a GitHub issue), once per run.

    Raises ProposalRefused when the policy refuses (no source links) or there is nowhere to open it.
    Side effects: the vendor call (or its dry-run record), the Outbound row, an audit entry.
    """
    actor = user.get_username()
    packet = run.packets.order_by("-version").first()
    links = ticket_links(run, packet)
    service = run.service.name if run.service else ""
    decision = decide(
        policy_document(),
        ActionRequest(
            actor=actor,
            action="create_ticket",
            service=service or None,
            scope=run_scope_names(run),
            links=tuple(links),
            touches_customer_data=_risky(packet),
        ),
    )
    refusal = ""
    with transaction.atomic():
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
        else:
            outbound = _ticket(run, packet, links, actor, issuer, decision.log_customer_data)
    if refusal:
        raise ProposalRefused(refusal)
    return outbound


def _ticket(run: Run, packet: Packet | None, links: list[str], actor: str, issuer, log: bool) -> Outbound:
    service = run.service.name if run.service else ""
    use_jira = isinstance(issuer, JiraIssue) or (issuer is None and JiraIssue.has_credentials())
    vendor = "jira" if use_jira else "github"
    outbound, _ = Outbound.objects.get_or_create(
        run=run, kind=Outbound.Kind.CREATE_TICKET, defaults={"vendor": vendor, "requested_by": actor}
    )
    outbound = Outbound.objects.select_for_update().get(pk=outbound.pk)
    if outbound.state == Outbound.State.SENT:
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
    try:
        if use_jira:
            issuer = issuer or JiraIssue()
            destination = issuer.env("JIRA_PROJECT", "INC")
            result = issuer.create(title=title, body=body, labels=["incident"])
        else:
            issuer = issuer or GitHubIssue()
            destination = run.service.repo
            result = issuer.create(repo=destination, title=title, body=body, labels=["incident"])
    except ExecutorError as exc:
        failure = exc
    _record(
        outbound,
        result,
        failure,
        vendor=vendor,
        destination=destination,
        requested_by=actor,
        packet_version=packet.version if packet else None,
    )
    audit_append(
        actor=actor,
        action="ticket.failed" if failure else "ticket.created",
        run_id=run.pk,
        service=service,
        detail={
            "vendor": vendor,
            "destination": destination,
            "state": outbound.state,
            "url": outbound.url,
            "links": links,
            "outcome": outbound.outcome,
            "requests": failure.requests if failure else result.requests,
        },
        touches_customer_data=log,
    )
    return outbound
