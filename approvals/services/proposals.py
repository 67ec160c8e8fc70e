"""Proposals: from a packet's `requires_approval`, through approval or rejection, to expiry.

Every state change writes its audit entry in the same transaction; so do refused attempts,
which are committed before the refusal is raised.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from approvals.actions import ACTIONS, bind_action
from approvals.binding import params_hash
from approvals.models import ActionProposal, ProposalApproval
from approvals.selectors import user_may_approve, user_may_ask
from approvals.services.errors import ApprovalNotAllowed, ProposalRefused
from approvals.services.queueing import execution_enqueue, summary_enqueue
from incidentdesk import clock
from incidentdesk.audit import audit_append
from incidentdesk.models import Packet, Run, Service
from incidentdesk.policy import ActionRequest, Decision, current_policy, decide
from incidentdesk.services.scope import dependencies

logger = logging.getLogger(__name__)
State = ActionProposal.State
def expiry_minutes() -> int:
    return current_policy().approval_expiry_minutes


def run_scope_names(run: Run) -> frozenset[str]:
    if run.service is None:
        return frozenset()
    deps = dependencies(run.service, depth=settings.COLLECT_DEPENDENCY_DEPTH)
    return frozenset([run.service.name, *(d.name for d in deps)])


def policy_decision(
    *, run: Run, action: str, service: Service, actor: str, severity: str | None, touches_customer_data: bool
) -> Decision:
    return decide(
        current_policy(),
        ActionRequest(
            actor=actor,
            action=action,
            service=service.name,
            scope=run_scope_names(run),
            severity=severity or None,
            touches_customer_data=touches_customer_data,
        ),
    )


def proposal_audit(proposal: ActionProposal, action: str, actor: str, **detail) -> None:
    audit_append(
        actor=actor,
        action=action,
        run_id=proposal.run_id,
        service=proposal.service.name,
        detail={
            "proposal": proposal.pk,
            "action": proposal.action,
            "target": proposal.target,
            "state": proposal.state,
            **detail,
        },
        touches_customer_data=proposal.touches_customer_data,
    )


def proposal_transition(proposal: ActionProposal, to: str, **fields) -> None:
    if not proposal.can_transition(to):
        raise ProposalRefused(f"a proposal that is {proposal.get_state_display().lower()} cannot become {to}")
    proposal.state = to
    for name, value in fields.items():
        setattr(proposal, name, value)
    proposal.save(update_fields=["state", *fields])


def packet_item_for(packet: Packet | None, action: str, target: str) -> dict:
    for item in (packet.data.get("requires_approval") or []) if packet else []:
        if item.get("action") == action and str(item.get("target") or "") == target:
            return dict(item)
    return {}


def _create(
    *,
    run: Run,
    packet: Packet | None,
    item: dict,
    requested_by: str,
    overrides: dict | None = None,
    note: str = "",
) -> ActionProposal | None:
    action, target = str(item["action"]), str(item.get("target") or "")
    bound = bind_action(run=run, item=item, packet=packet, overrides=overrides)
    data = packet.data if packet else {}
    severity = data.get("severity") or run.severity
    risky = bool((data.get("data_risk") or {}).get("flagged"))
    decision = policy_decision(
        run=run,
        action=action,
        service=bound.service,
        actor=requested_by,
        severity=severity,
        touches_customer_data=risky,
    )
    if decision.outcome == "deny":
        audit_append(
            actor=requested_by,
            action="proposal.refused",
            run_id=run.pk,
            service=bound.service.name,
            detail={"action": action, "target": target, "rule": decision.rule, "reason": decision.reason},
            touches_customer_data=decision.log_customer_data,
        )
        return None
    now = clock.now()
    proposal = ActionProposal.objects.create(
        run=run,
        service=bound.service,
        packet=packet,
        packet_version=packet.version if packet else None,
        packet_hash=packet.content_hash if packet else "",
        action=action,
        target=target,
        item=item,
        params=bound.params,
        params_hash=params_hash(action, target, bound.params, item),
        safe=bool(item.get("safe", True)),
        safety_reason=str(item.get("reason") or ""),
        severity=severity or "",
        policy_rule=decision.rule,
        # The desk never changes production on its own, whatever a looser policy file says.
        approvals_required=max(1, decision.approvals_required),
        touches_customer_data=decision.log_customer_data,
        requested_by=requested_by,
        request_note=note,
        created_at=now,
        expires_at=now + timedelta(minutes=expiry_minutes()),
    )
    proposal_audit(
        proposal,
        "proposal.proposed",
        requested_by,
        params=proposal.params,
        safe=proposal.safe,
        safety_reason=proposal.safety_reason,
        rule=decision.rule,
        approvals_required=proposal.approvals_required,
        packet_version=proposal.packet_version,
        packet_hash=proposal.packet_hash,
    )
    return proposal


@transaction.atomic
def proposals_sync(*, run: Run, packet: Packet) -> list[ActionProposal]:
    """Make the run's proposals match the packet's `requires_approval`.

    A live proposal whose item (or bound parameters) changed in this packet is superseded and a
    new one asks again; an identical item keeps its proposal and its approvals; an item already
    decided (rejected, run) is not proposed again, while one that expired with nobody deciding
    is proposed afresh. Side effects: proposal rows, audit
    entries, and the packet's Slack post enqueued after commit. Returns the proposals created.
    """
    if run.service is None:
        return []
    items: dict[tuple[str, str], dict] = {}
    for item in packet.data.get("requires_approval") or []:
        if item.get("action"):
            items.setdefault((str(item["action"]), str(item.get("target") or "")), dict(item))
    live = list(
        run.proposals.select_for_update()
        .select_related("service")
        .filter(state__in=ActionProposal.LIVE_STATES)
    )
    kept: set[tuple[str, str]] = set()  # items whose desk proposal stands
    stale: list[ActionProposal] = []
    for proposal in live:
        key = (proposal.action, proposal.target)
        item = items.get(key, {})
        same = item == proposal.item
        if same and proposal.requested_by == ActionProposal.DESK:
            bound = bind_action(run=run, item=item, packet=packet)
            same = params_hash(proposal.action, proposal.target, bound.params, item) == proposal.params_hash
        if same:
            if proposal.requested_by == ActionProposal.DESK:
                kept.add(key)
        else:
            stale.append(proposal)
    created: list[ActionProposal] = []
    for proposal in stale:
        proposal_transition(proposal, State.SUPERSEDED)
    decided = set(
        run.proposals.exclude(
            state__in=[*ActionProposal.LIVE_STATES, State.SUPERSEDED, State.EXPIRED]
        ).values_list(
            "params_hash", flat=True
        )
    )
    for key, item in items.items():
        if key in kept:
            continue
        bound = bind_action(run=run, item=item, packet=packet)
        if params_hash(key[0], key[1], bound.params, item) in decided:
            continue
        proposal = _create(run=run, packet=packet, item=item, requested_by=ActionProposal.DESK)
        if proposal:
            created.append(proposal)
    for old in stale:
        successor = next(
            (p for p in created if (p.action, p.target) == (old.action, old.target)), None
        ) or next((p for p in created if p.action == old.action), None)
        if successor:
            ActionProposal.objects.filter(pk=old.pk).update(superseded_by=successor)
            old.superseded_by = successor
        proposal_audit(
            old,
            "proposal.superseded",
            "desk",
            packet_version=packet.version,
            superseded_by=successor.pk if successor else None,
            reason="the packet's item or the bound parameters changed"
            if successor
            else "the packet no longer lists this action",
        )
    transaction.on_commit(lambda: summary_enqueue(run_id=run.pk))
    return created


def proposal_request(
    *, run: Run, user, action: str, target: str, params: dict | None = None, note: str = ""
) -> ActionProposal:
    """A person asks for a production action (e.g. a rollback); an owner other than them approves it.

    Raises ProposalRefused when the person is not of a team that owns the incident (audited),
    the action is unknown, the run has no service, or the policy denies it.
    Side effects: the proposal row, a superseded earlier request of theirs for the same thing, audit.
    """
    if run.service is not None and not user_may_ask(user, run):
        owners = ", ".join(sorted({t.name for t in (run.service.team, run.current_owner_team) if t}))
        reason = f"only members of the owning team ({owners}) may ask for production actions on this incident"
        audit_append(
            actor=user.get_username(),
            action="proposal.refused",
            run_id=run.pk,
            service=run.service.name,
            detail={"attempt": "ask", "action": action, "target": target, "reason": reason},
        )
        raise ProposalRefused(reason)
    return _request(run=run, user=user, action=action, target=target, params=params, note=note)


@transaction.atomic
def _request(
    *, run: Run, user, action: str, target: str, params: dict | None = None, note: str = ""
) -> ActionProposal:
    if action not in ACTIONS:
        raise ProposalRefused(f"the desk cannot propose '{action}'")
    if run.service is None:
        raise ProposalRefused("the run has no catalog service: nobody could approve an action on it")
    username = user.get_username()
    packet = run.packets.order_by("-version").first()
    item = packet_item_for(packet, action, target) or {
        "action": action,
        "target": target,
        "safe": True,
        "reason": f"asked for by {username}",
    }
    for previous in (
        run.proposals.select_for_update()
        .select_related("service")
        .filter(action=action, target=target, requested_by=username, state__in=ActionProposal.LIVE_STATES)
    ):
        proposal_transition(previous, State.SUPERSEDED)
        proposal_audit(previous, "proposal.superseded", username, reason="asked for again")
    proposal = _create(
        run=run, packet=packet, item=item, requested_by=username, overrides=params or {}, note=note
    )
    if proposal is None:
        raise ProposalRefused(f"the policy does not allow {action}")
    # The item a person asked against is kept as they saw it, so a changed packet supersedes it.
    if not packet_item_for(packet, action, target):
        ActionProposal.objects.filter(pk=proposal.pk).update(item={})
        proposal.item = {}
    return proposal


def proposal_approve(*, proposal: ActionProposal, user, comment: str = "") -> ActionProposal:
    """Record the user's approval; at the required count the proposal is approved and enqueued to run.

    Raises ApprovalNotAllowed (no `approve_action` on the service) or ProposalRefused (own request,
    expired, blocked parameters, already decided). A repeat approval by the same person is a no-op.
    Side effects: the approval row, the state change, audit entries, the execution enqueued on commit.
    """
    refusal: Exception | None = None
    with transaction.atomic():
        locked = ActionProposal.objects.select_for_update().get(pk=proposal.pk)
        locked.service = Service.objects.select_related("team").get(pk=locked.service_id)
        now = clock.now()
        username = user.get_username()
        already = locked.approvals.filter(user=user).exists()
        if already:
            return locked
        if not user_may_approve(user, locked.service):
            refusal = ApprovalNotAllowed(f"{username} may not approve actions on {locked.service.name}")
        elif locked.requested_by == username:
            refusal = ProposalRefused("nobody approves their own request")
        elif locked.state == State.PROPOSED and locked.is_expired_at(now):
            proposal_transition(locked, State.EXPIRED)
            proposal_audit(locked, "proposal.expired", "desk", expired_at=locked.expires_at)
            refusal = ProposalRefused(
                "this proposal has expired; the next packet version asks again if it still lists this action"
            )
        elif locked.state != State.PROPOSED:
            refusal = ProposalRefused(f"this proposal is already {locked.get_state_display().lower()}")
        elif locked.params.get("blocked"):
            refusal = ProposalRefused(f"cannot be approved: {locked.params['blocked']}")
        if refusal is not None:
            proposal_audit(locked, "proposal.refused", username, attempt="approve", reason=str(refusal))
        else:
            ProposalApproval.objects.create(proposal=locked, user=user, comment=comment, at=now)
            count = locked.approvals.count()
            proposal_audit(
                locked,
                "proposal.approval",
                username,
                comment=comment,
                approvals=count,
                approvals_required=locked.approvals_required,
                params_hash=locked.params_hash,
            )
            if count >= locked.approvals_required:
                proposal_transition(locked, State.APPROVED, approved_at=now)
                proposal_audit(
                    locked,
                    "proposal.approved",
                    username,
                    approvers=sorted(locked.approvals.values_list("user__username", flat=True)),
                )
                transaction.on_commit(lambda: execution_enqueue(proposal_id=locked.pk))
    if refusal is not None:
        raise refusal
    return locked


def proposal_reject(*, proposal: ActionProposal, user, reason: str) -> ActionProposal:
    """Reject with a reason. Raises ApprovalNotAllowed or ProposalRefused (no reason, already decided).

    Side effects: the state change and its audit entry; a refused attempt is audited too.
    """
    reason = (reason or "").strip()
    refusal: Exception | None = None
    with transaction.atomic():
        locked = ActionProposal.objects.select_for_update().get(pk=proposal.pk)
        locked.service = Service.objects.get(pk=locked.service_id)
        username = user.get_username()
        if not user_may_approve(user, locked.service):
            refusal = ApprovalNotAllowed(f"{username} may not decide actions on {locked.service.name}")
        elif not reason:
            refusal = ProposalRefused("a rejection needs a reason")
        elif locked.state not in (State.PROPOSED, State.APPROVED):
            refusal = ProposalRefused(f"this proposal is already {locked.get_state_display().lower()}")
        elif locked.state == State.APPROVED:
            refusal = ProposalRefused("this proposal is approved and about to run")
        if refusal is not None:
            proposal_audit(locked, "proposal.refused", username, attempt="reject", reason=str(refusal))
        else:
            proposal_transition(locked, State.REJECTED, decided_by=username, decision_reason=reason)
            proposal_audit(locked, "proposal.rejected", username, reason=reason)
    if refusal is not None:
        raise refusal
    return locked


def proposals_expire(*, now=None) -> int:
    """Expire proposals nobody decided in time, and approvals that never started. Returns how many."""
    now = now or clock.now()
    stale_approval = now - timedelta(minutes=expiry_minutes())
    ids = list(
        ActionProposal.objects.filter(state=State.PROPOSED, expires_at__lte=now).values_list("pk", flat=True)
    )
    ids += list(
        ActionProposal.objects.filter(state=State.APPROVED, approved_at__lte=stale_approval).values_list(
            "pk", flat=True
        )
    )
    expired = 0
    for pk in ids:
        with transaction.atomic():
            proposal = (
                ActionProposal.objects.select_for_update().select_related("service").filter(pk=pk).first()
            )
            if proposal is None or proposal.state not in (State.PROPOSED, State.APPROVED):
                continue
            if proposal.state == State.PROPOSED and not proposal.is_expired_at(now):
                continue
            if proposal.state == State.APPROVED and proposal.approved_at > stale_approval:
                continue
            proposal_transition(proposal, State.EXPIRED)
            proposal_audit(proposal, "proposal.expired", "desk", expired_at=now)
            expired += 1
    return expired
