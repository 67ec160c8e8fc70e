"""Writes for approvals: proposals and their decisions, executions, and the desk's own posts.

Views and tasks import from here; only these services call the executors.
"""

from approvals.services.errors import ApprovalNotAllowed, ProposalRefused
from approvals.services.execution import proposal_execute, proposals_sweep
from approvals.services.outbound import summary_post, ticket_create, ticket_request
from approvals.services.proposals import (
    proposal_approve,
    proposal_reject,
    proposal_request,
    proposals_expire,
    proposals_sync,
)
from approvals.services.queueing import summary_enqueue

__all__ = [
    "ApprovalNotAllowed",
    "ProposalRefused",
    "proposal_approve",
    "proposal_execute",
    "proposal_reject",
    "proposal_request",
    "proposals_expire",
    "proposals_sweep",
    "proposals_sync",
    "summary_enqueue",
    "summary_post",
    "ticket_create",
    "ticket_request",
]
