"""Resolving a run with the cause responders confirmed: the form, and its answer."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from incidentdesk.membership import user_may_confirm_cause
from incidentdesk.resolution_form import CauseConfirmForm
from incidentdesk.resolution_panel import cause_options, resolution_panel_build
from incidentdesk.selectors import run_get_for
from incidentdesk.services.resolution import ConfirmRefused, cause_confirm

REFUSED = "Only the owning team and the incident's responders may confirm its cause."


@login_required
@require_http_methods(["GET", "POST"])
def confirm_cause(request: HttpRequest, pk: int) -> HttpResponse:
    run = run_get_for(request.user, pk)
    if not user_may_confirm_cause(request.user, run):
        raise PermissionDenied(REFUSED)
    options = cause_options(run=run)
    form = CauseConfirmForm(request.POST if request.method == "POST" else None, options=options)
    if form.is_valid():
        try:
            cause_confirm(run=run, user=request.user, cause=form.chosen, impact=form.impact,
                          note=form.cleaned_data["note"])
        except ConfirmRefused as exc:
            form.add_error(None, str(exc))
        else:
            if not request.htmx:
                return redirect(run.get_absolute_url())
            run = run_get_for(request.user, pk)
            panel = resolution_panel_build(run=run, user=request.user, packet=options.packet)
            return render(request, "runs/_resolution.html", {"resolution": panel, "status_changed": True})
    context = {"run": run, "form": form, "options": options}
    status = 400 if form.errors and not request.htmx else 200
    template = "runs/confirm_cause.html#form" if request.htmx else "runs/confirm_cause.html"
    return render(request, template, context, status=status)
