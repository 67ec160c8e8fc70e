"""Which runs a scorecard covers: the whole desk, one team's services, or one service."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from incidentdesk.models import Run, Team
from incidentdesk.selectors import runs_visible_to, service_get_for, services_visible_to


@dataclass(frozen=True)
class Scope:
    kind: str  # desk | team | service
    name: str = ""
    label: str = "Whole desk"


def scorecard_runs(user, *, team: str = "", service: str = "") -> tuple[Scope, QuerySet[Run]]:
    """The scope and the runs it holds; Http404 for a team or service that does not exist."""
    runs = runs_visible_to(user)
    if team:
        found = Team.objects.filter(name=team).first() if user.is_authenticated else None
        if found is None:
            raise Http404("No such team")
        return Scope("team", found.name, found.label), runs.filter(service__team=found)
    if service:
        found_service = service_get_for(user, service)
        return Scope("service", found_service.name, found_service.name), runs.filter(service=found_service)
    return Scope("desk"), runs


def scorecard_choices(user) -> dict:
    """The teams and services a scorecard can be narrowed to."""
    return {
        "teams": list(Team.objects.order_by("name").values_list("name", flat=True)),
        "services": list(services_visible_to(user).order_by("name").values_list("name", flat=True)),
    }
