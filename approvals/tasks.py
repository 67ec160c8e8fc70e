"""Celery tasks for approvals: load the row, call one service. State lives on our rows."""

import logging
import random

from celery import shared_task

from approvals.models import Outbound
from approvals.services import ProposalRefused, proposal_execute, proposals_sweep, summary_post, ticket_create
from incidentdesk.models import Run

logger = logging.getLogger(__name__)


@shared_task(name="approvals.execute_proposal", acks_late=True)
def execute_proposal(proposal_id: int) -> str:
    """No task-level retry: the claim allows one execution, and the executor already retried
    transient failures within its deadline. A redelivered message finds the proposal claimed."""
    proposal = proposal_execute(proposal_id=proposal_id)
    if proposal is None:
        return f"proposal {proposal_id} is gone"
    return f"proposal {proposal_id}: {proposal.state}"


def _run(run_id: int) -> Run | None:
    return (
        Run.objects.select_related("service", "service__team", "current_owner_team").filter(pk=run_id).first()
    )


@shared_task(name="approvals.post_summary", bind=True, acks_late=True, max_retries=3)
def post_summary(self, run_id: int, actor: str = "desk") -> str:
    run = _run(run_id)
    if run is None:
        return f"run {run_id} is gone"
    outbound = summary_post(run=run, actor=actor)
    if outbound is None:
        return "nothing to post"
    if outbound.state == Outbound.State.FAILED and outbound.result.get("transient"):
        # Bounded backoff with jitter; a permanent refusal (channel_not_found, 401) is not retried.
        delay = min(300, 10 * 2**self.request.retries)
        raise self.retry(countdown=delay + random.uniform(0, delay / 2), max_retries=3)
    return f"run {run_id}: {outbound.state}"


@shared_task(name="approvals.open_ticket", acks_late=True)
def open_ticket(run_id: int, actor: str) -> str:
    """No task-level retry: a create is sent once; a redelivered message finds the row claimed or sent."""
    run = _run(run_id)
    if run is None:
        return f"run {run_id} is gone"
    try:
        outbound = ticket_create(run=run, actor=actor)
    except ProposalRefused as exc:
        return f"run {run_id}: refused ({exc})"
    return f"run {run_id}: {outbound.state}"


@shared_task(name="approvals.sweep", acks_late=True)
def sweep() -> dict:
    return proposals_sweep()

