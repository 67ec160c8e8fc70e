"""Pages for runs: the history list, the live run page and the run's audit trail."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseStopPolling

from incidentdesk.paging import CappedPaginator
from incidentdesk.resolution_panel import resolution_panel_build
from incidentdesk.run_page import run_page_build
from incidentdesk.selectors import HistoryFilters, history_choices, run_get_for, runs_history, runs_visible_to

PAGE_SIZE = 50
# Past this many matches the history says "more than" instead of counting them all.
COUNT_CAP = 1000


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    filters = HistoryFilters.from_query(request.GET)
    runs = runs_history(request.user, filters)
    page = CappedPaginator(runs, PAGE_SIZE, cap=COUNT_CAP).get_page(request.GET.get("page"))
    context = {"page": page, "filters": filters, "choices": history_choices(request.user)}
    if request.htmx:
        return render(request, "runs/history.html#results", context)
    return render(request, "runs/history.html", context)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = run_get_for(request.user, pk)
    if request.htmx:
        context = {"run": run, "page": run_page_build(run=run, with_history=False)}
        response = render(request, "runs/detail.html#live", context)
        if not run.is_collecting:
            # One last render of the finished region, then htmx stops asking.
            response.status_code = HttpResponseStopPolling.status_code
        return response
    page = run_page_build(run=run, visible_runs=runs_visible_to(request.user))
    resolution = resolution_panel_build(run=run, user=request.user, packet=page.packet)
    return render(request, "runs/detail.html", {"run": run, "page": page, "resolution": resolution})
