"""Queueing the approvals' tasks. A broker that is down is not an error here: each caller has a
later path that picks the work up (the sweeper for approved proposals, the next packet version
for the Slack post)."""

import logging

from incidentdesk.queue import enqueue

logger = logging.getLogger(__name__)


def execution_enqueue(*, proposal_id: int) -> bool:
    try:
        enqueue("approvals.execute_proposal", proposal_id)
    except Exception as exc:  # broker down: the sweeper enqueues approved proposals again
        logger.warning("broker unavailable, proposal %s left for the sweeper: %s", proposal_id, exc)
        return False
    return True


def summary_enqueue(*, run_id: int, actor: str = "desk") -> bool:
    try:
        enqueue("approvals.post_summary", run_id, actor)
    except Exception as exc:  # broker down: the next packet version posts again
        logger.warning("broker unavailable, Slack post for run %s skipped: %s", run_id, exc)
        return False
    return True
