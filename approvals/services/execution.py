"""Running an approved proposal exactly once, after checking the policy and the packet again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction

from approvals.actions import executor_class
from approvals.binding import method_of
from approvals.executors import ExecutionResult, Executor, ExecutorError
from approvals.models import ActionProposal
from approvals.selectors import approvers_of
from approvals.services.proposals import (
    expiry_minutes,
    packet_item_for,
    policy_decision,
    proposal_audit,
    proposal_transition,
    proposals_expire,
)
from approvals.services.queueing import execution_enqueue
from incidentdesk import clock

logger = logging.getLogger(__name__)
State = ActionProposal.State
# Approved proposals not claimed after this long are enqueued again (a lost message, a broker outage).
REENQUEUE_AFTER = timedelta(seconds=60)


def executor_for(proposal: ActionProposal) -> Executor:
    """The executor for the proposal's action and method. Raises ExecutorError when there is none."""
    cls = executor_class(proposal.action, method_of(proposal.params))
    if cls is None:
        raise ExecutorError(
            "error", f"no executor for {proposal.action} by {method_of(proposal.params) or '?'}", refused=True
        )
    return cls()


def recheck(proposal: ActionProposal) -> str:
    """Why the approved action must not run now, or "" when it may. Reads the current policy and packet."""
    run = proposal.run
    latest = run.packets.order_by("-version").first()
    data = latest.data if latest else {}
    severity = data.get("severity") or run.severity or proposal.severity
    decision = policy_decision(
        run=run,
        action=proposal.action,
        service=proposal.service,
        actor=proposal.requested_by,
        severity=severity,
        touches_customer_data=proposal.touches_customer_data,
    )
    if decision.outcome == "deny":
        return f"the policy now denies {proposal.action} (rule {decision.rule}: {decision.reason})"
    allowed = {u.pk for u in approvers_of(proposal.service)}
    valid = {
        a.user.get_username()
        for a in proposal.approvals.select_related("user")
        if a.user_id in allowed and a.user.get_username() != proposal.requested_by
    }
    needed = max(1, decision.approvals_required)
    if len(valid) < needed:
        return (
            f"the policy (rule {decision.rule}, severity {severity or 'unknown'}) now needs {needed} "
            f"approvals from current owners of {proposal.service.name}; it has {len(valid)}"
        )
    if proposal.approved_at and clock.now() - proposal.approved_at > timedelta(minutes=expiry_minutes()):
        return "the approval expired before the action could start"
    if latest and latest.pk != proposal.packet_id:
        item = packet_item_for(latest, proposal.action, proposal.target)
        if proposal.item and not item:
            return f"packet version {latest.version} no longer lists this {proposal.action}"
        if (
            proposal.action == "rollback"
            and item
            and not item.get("safe", True)
            and (proposal.safe or item.get("reason") != proposal.safety_reason)
        ):
            return f"packet version {latest.version} says the rollback is unsafe: {item.get('reason')}"
        if proposal.item and item != proposal.item:
            return f"packet version {latest.version} changed this action: {item.get('reason') or item}"
    return ""


def proposal_execute(
    *, proposal_id: int, executor_factory: Callable[[ActionProposal], Executor] | None = None
) -> ActionProposal | None:
    """Run an approved proposal at most once.

    The claim is a conditional UPDATE (approved → executing): of any number of concurrent or
    retried calls exactly one proceeds; the others return the proposal untouched. The policy,
    the approvers' permissions and the packet are checked again inside the claim; a change
    stops the action (failed, with the reason). The vendor call happens outside any transaction.
    Side effects: state changes, the executor's request, audit entries. Returns None when gone.
    """
    now = clock.now()
    with transaction.atomic():
        claimed = ActionProposal.objects.filter(pk=proposal_id, state=State.APPROVED).update(
            state=State.EXECUTING, started_at=now
        )
        proposal = ActionProposal.objects.select_related("run", "service").filter(pk=proposal_id).first()
        if proposal is None or not claimed:
            return proposal
        stop = recheck(proposal)
        if stop:
            proposal_transition(
                proposal, State.FAILED, finished_at=now, outcome=f"stopped before running: {stop}"
            )
            proposal_audit(proposal, "proposal.stopped", "desk", reason=stop)
            return proposal
        proposal_audit(
            proposal,
            "proposal.executing",
            "desk",
            params=proposal.params,
            idempotency_key=str(proposal.idempotency_key),
        )
    note = f"Incident desk run #{proposal.run_id}, approved by " + ", ".join(
        proposal.approvals.values_list("user__username", flat=True).order_by("user__username")
    )
    try:
        executor = (executor_factory or executor_for)(proposal)
        result = executor.execute(proposal.params, key=str(proposal.idempotency_key), note=note)
        failure = None
    except ExecutorError as exc:
        result, failure = None, exc
    except Exception as exc:  # an executor bug must still leave the proposal in a final state
        logger.exception("executor for proposal %s crashed", proposal_id)
        result, failure = None, ExecutorError("error", f"the executor crashed: {exc.__class__.__name__}")
    with transaction.atomic():
        proposal = (
            ActionProposal.objects.select_for_update().select_related("run", "service").get(pk=proposal_id)
        )
        if failure is None:
            _finish(proposal, result)
        else:
            proposal_transition(
                proposal,
                State.UNKNOWN if failure.unknown else State.FAILED,
                finished_at=clock.now(),
                outcome=_failure_text(failure),
                result={"requests": failure.requests, "reason": failure.reason, "status": failure.status},
            )
            proposal_audit(
                proposal,
                "proposal.outcome_unknown" if failure.unknown else "proposal.failed",
                "desk",
                reason=failure.reason,
                detail=failure.detail,
                status=failure.status,
                requests=failure.requests,
            )
    return proposal


def _finish(proposal: ActionProposal, result: ExecutionResult) -> None:
    proposal_transition(
        proposal,
        State.SUCCEEDED,
        finished_at=clock.now(),
        dry_run=result.dry_run,
        outcome=result.summary,
        result=result.as_record(),
    )
    proposal_audit(
        proposal,
        "proposal.executed",
        "desk",
        dry_run=result.dry_run,
        summary=result.summary,
        requests=result.requests,
        response=result.response,
    )


def _failure_text(failure: ExecutorError) -> str:
    if failure.unknown:
        return failure.detail
    if failure.refused:
        return f"refused: {failure.detail}"
    if failure.reason == "rate_limited":
        return f"the vendor kept rate-limiting the request: {failure.detail}"
    return f"failed ({failure.reason}): {failure.detail}"


def proposals_sweep() -> dict:
    """Expire stale proposals and enqueue approved ones nobody claimed (the beat task calls this)."""
    expired = proposals_expire()
    cutoff = clock.now() - REENQUEUE_AFTER
    stuck = list(
        ActionProposal.objects.filter(state=State.APPROVED, approved_at__lte=cutoff).values_list(
            "pk", flat=True
        )
    )
    for pk in stuck:
        execution_enqueue(proposal_id=pk)
    return {"expired": expired, "enqueued": len(stuck)}
