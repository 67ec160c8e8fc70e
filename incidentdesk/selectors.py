"""Reads already filtered by what the user may see."""

from django.db.models import QuerySet
from django.http import Http404

from incidentdesk.models import Run


def runs_visible_to(user) -> QuerySet[Run]:
    """Every signed-in user sees every run: incident history is shared knowledge on the desk."""
    if not user.is_authenticated:
        return Run.objects.none()
    return Run.objects.select_related("service", "service__team", "current_owner_team")


def run_get_for(user, pk: int) -> Run:
    run = runs_visible_to(user).filter(pk=pk).first()
    if run is None:
        raise Http404("No such run")
    return run
