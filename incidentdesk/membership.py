"""Who belongs to an incident: the teams that own it, and the people who responded to it.

In the core so that every app asks the same question the same way; a team is a Django group.
"""

from incidentdesk.models import AuditEntry, Run, Team


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def run_owning_teams(run: Run) -> list[Team]:
    """The team that owns the run's service and the team that was paged for it, when different."""
    teams = [t for t in (run.service.team if run.service else None, run.current_owner_team) if t]
    return list({t.pk: t for t in teams}.values())


def user_in_teams(user, teams: list[Team]) -> bool:
    if not _active(user) or not teams:
        return False
    return user.groups.filter(pk__in=[t.group_id for t in teams]).exists()


def user_responded_to(user, run: Run) -> bool:
    """The on-call paged for the run, or anyone the run's audit trail shows acting on it (asked
    for or decided an action, posted the packet, opened a ticket, confirmed the cause)."""
    if not _active(user):
        return False
    username = user.get_username()
    if run.current_oncall and run.current_oncall == username:
        return True
    return AuditEntry.objects.filter(run_id=run.pk, actor=username).exists()


def user_may_confirm_cause(user, run: Run) -> bool:
    """Members of the owning teams and the incident's responders; being staff is not enough."""
    return user_in_teams(user, run_owning_teams(run)) or user_responded_to(user, run)
