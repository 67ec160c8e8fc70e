"""Service pages: the catalog as the desk knows it, and each service's recent runs."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidentdesk.links import safe_href
from incidentdesk.selectors import service_get_for, service_recent_runs, services_overview


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "services/index.html", {"services": services_overview(request.user)})


@login_required
@require_GET
def detail(request: HttpRequest, name: str) -> HttpResponse:
    service = service_get_for(request.user, name)
    context = {
        "service": service,
        "depends_on": list(service.depends_on.select_related("team")),
        "dependents": list(service.dependents.select_related("team")),
        "runbook_href": safe_href(service.runbook),
        "runs": service_recent_runs(service),
    }
    return render(request, "services/detail.html", context)
