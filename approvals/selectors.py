"""Reads for the approval pages, already filtered by what the user may see and do."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404
from guardian.shortcuts import get_users_with_perms

from approvals.actions import ask_choices
from approvals.models import ActionProposal, Outbound
from incidentdesk import clock
from incidentdesk.models import Run, Service
from incidentdesk.selectors import runs_visible_to

APPROVE_PERMISSION = "approve_action"


def approvers_of(service: Service) -> list:
    """Active users holding `approve_action` on the service, directly or through their team's group.

    Superusers are not approvers by virtue of being superusers: only the owning team approves.
    """
    users = get_users_with_perms(
        service, only_with_perms_in=[APPROVE_PERMISSION], with_group_users=True, with_superusers=False
    )
    return sorted((u for u in users if u.is_active), key=lambda u: u.get_username())


def user_may_approve(user, service: Service) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return any(u.pk == user.pk for u in approvers_of(service))


def user_may_ask(user, run: Run) -> bool:
    """Who may ask for a production action on a run: a member of the team that owns its service or
    that owns the incident now, an approver of its service, or staff."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff or user.is_superuser:
        return True
    teams = [t for t in (run.service.team if run.service else None, run.current_owner_team) if t]
    if user.groups.filter(pk__in=[t.group_id for t in teams]).exists():
        return True
    return bool(run.service and user_may_approve(user, run.service))


def proposal_get_for(user, pk: int) -> ActionProposal:
    """The proposal if the user may see its run; 404 otherwise."""
    proposal = (
        ActionProposal.objects.select_related("run", "service", "service__team")
        .filter(pk=pk, run__in=runs_visible_to(user))
        .first()
    )
    if proposal is None:
        raise Http404("No such proposal")
    return proposal


@dataclass
class ProposalRow:
    proposal: ActionProposal
    approved_by: list[str]
    approver_names: list[str]
    can_decide: bool
    why_not: str = ""
    params: list[tuple[str, str]] = field(default_factory=list)
    expired: bool = False  # past its expiry, whether or not the sweeper has marked it yet


@dataclass
class ProposalsPanel:
    rows: list[ProposalRow]
    history: list[ProposalRow]
    outbound: dict[str, Outbound]
    live: bool
    ask_choices: list[tuple[str, str]] = field(default_factory=ask_choices)


def proposals_panel(*, run: Run, user) -> ProposalsPanel:
    """The run's proposals as the page shows them: live ones first, with who may decide."""
    proposals = list(
        run.proposals.select_related("service", "service__team")
        .prefetch_related("approvals__user")
        .order_by("created_at", "pk")
    )
    approvers: dict[int, list] = {}
    rows: list[ProposalRow] = []
    history: list[ProposalRow] = []
    username = user.get_username() if getattr(user, "is_authenticated", False) else ""
    now = clock.now()
    for proposal in proposals:
        if proposal.service_id not in approvers:
            approvers[proposal.service_id] = approvers_of(proposal.service)
        names = [u.get_username() for u in approvers[proposal.service_id]]
        approved_by = [a.user.get_username() for a in proposal.approvals.all()]
        why_not = ""
        if username not in names:
            why_not = f"Only the owners of {proposal.service.name} can decide"
        elif proposal.requested_by == username:
            why_not = "You asked for this action: someone else must approve it"
        elif username in approved_by:
            why_not = "You have approved it; it needs another owner"
        elif proposal.params.get("blocked"):
            why_not = f"Cannot be approved: {proposal.params['blocked']}"
        expired = proposal.state == ActionProposal.State.EXPIRED or (
            proposal.state == ActionProposal.State.PROPOSED and proposal.is_expired_at(now)
        )
        row = ProposalRow(
            proposal=proposal,
            expired=expired,
            approved_by=approved_by,
            approver_names=names,
            can_decide=proposal.is_open_for_decision and not why_not,
            why_not=why_not,
            params=[(k, _shown(v)) for k, v in proposal.params.items() if k not in ("method", "blocked")],
        )
        (rows if proposal.state != ActionProposal.State.SUPERSEDED else history).append(row)
    outbound = {o.kind: o for o in run.outbound.all()}
    return ProposalsPanel(
        rows=rows,
        history=history,
        outbound=outbound,
        live=any(r.proposal.state in ("proposed", "approved", "executing") for r in rows),
    )


def _shown(value) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
