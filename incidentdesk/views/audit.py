"""The audit trail, for the whole desk and for one run, with the state of its hash chain."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidentdesk.audit import audit_chain_status
from incidentdesk.selectors import AuditFilters, audit_actions, audit_entries_for, run_get_for

PAGE_SIZE = 50


def _render(request: HttpRequest, *, run=None) -> HttpResponse:
    filters = AuditFilters.from_query(request.GET)
    entries = audit_entries_for(request.user, filters, run=run)
    context = {
        "run": run,
        "filters": filters,
        "actions": audit_actions(),
        "page": Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page")),
        "chain": audit_chain_status(),
    }
    template = "audit/list.html#entries" if request.htmx else "audit/list.html"
    return render(request, template, context)


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    return _render(request)


@login_required
@require_GET
def run(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, run=run_get_for(request.user, pk))
