"""Pages for runs: the history list and the live run page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseStopPolling

from incidentdesk.selectors import run_get_for, runs_visible_to

PAGE_SIZE = 50


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    runs = runs_visible_to(request.user).order_by("-triggered_at")
    status = request.GET.get("status")
    if status:
        runs = runs.filter(status=status)
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "runs/history.html", {"page": page, "status": status})


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = run_get_for(request.user, pk)
    packet = run.packets.order_by("-version").first()
    collections = list(run.collections.all())
    context = {"run": run, "packet": packet, "data": packet.data if packet else None, "collections": collections}
    if request.htmx:
        response = render(request, "runs/detail.html#live", context)
        if not run.is_collecting:
            # One last render of the finished region, then htmx stops asking.
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "runs/detail.html", context)
