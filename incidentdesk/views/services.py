from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from incidentdesk.models import Service


@login_required
@require_GET
def detail(request: HttpRequest, name: str) -> HttpResponse:
    service = get_object_or_404(Service.objects.select_related("team"), name=name)
    runs = service.runs.order_by("-triggered_at")[:20]
    return render(request, "services/detail.html", {"service": service, "runs": runs})
