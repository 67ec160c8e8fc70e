"""Approve, reject and ask for production actions; the run's proposals region; the desk's own posts."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from approvals import services
from approvals.forms import ApproveForm, RejectForm, RequestForm
from approvals.selectors import proposal_get_for
from incidentdesk.models import Run
from incidentdesk.selectors import run_get_for

PARTIAL = "approvals/_run_proposals.html"


def _answer(request: HttpRequest, run: Run, *, message: str = "", error: str = "") -> HttpResponse:
    """The refreshed region for htmx; a redirect to the run page otherwise (409 when refused)."""
    if request.htmx:
        return render(request, PARTIAL, {"run": run, "approvals_message": message, "approvals_error": error})
    if error:
        return render(request, PARTIAL, {"run": run, "approvals_error": error}, status=409)
    return redirect(run.get_absolute_url())


@login_required
@require_GET
def run_proposals(request: HttpRequest, run_pk: int) -> HttpResponse:
    run = run_get_for(request.user, run_pk)
    response = render(request, PARTIAL, {"run": run})
    if (
        request.htmx
        and not run.is_open
        and not run.proposals.filter(state__in=["proposed", "approved", "executing"]).exists()
    ):
        response.status_code = HttpResponseStopPolling.status_code
    return response


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = proposal_get_for(request.user, pk)
    form = ApproveForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        services.proposal_approve(proposal=proposal, user=request.user, comment=comment)
    except services.ProposalRefused as exc:
        return _answer(request, proposal.run, error=str(exc))
    return _answer(request, proposal.run, message=f"Your approval of {proposal.summary} is recorded.")


@login_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = proposal_get_for(request.user, pk)
    form = RejectForm(request.POST)
    try:
        services.proposal_reject(
            proposal=proposal,
            user=request.user,
            reason=form.cleaned_data["reason"] if form.is_valid() else "",
        )
    except services.ProposalRefused as exc:
        return _answer(request, proposal.run, error=str(exc))
    return _answer(request, proposal.run, message=f"Rejected: {proposal.summary}.")


@login_required
@require_POST
def ask(request: HttpRequest, run_pk: int) -> HttpResponse:
    run = run_get_for(request.user, run_pk)
    form = RequestForm(request.POST)
    if not form.is_valid():
        return _answer(request, run, error=" ".join(e for errors in form.errors.values() for e in errors))
    try:
        proposal = services.proposal_request(
            run=run,
            user=request.user,
            action=form.cleaned_data["action"],
            target=form.cleaned_data["target"],
            params=form.params(),
            note=form.cleaned_data["note"],
        )
    except services.ProposalRefused as exc:
        return _answer(request, run, error=str(exc))
    return _answer(request, run, message=f"Asked for: {proposal.summary}. Another owner must approve it.")


@login_required
@require_POST
def ticket(request: HttpRequest, run_pk: int) -> HttpResponse:
    run = run_get_for(request.user, run_pk)
    try:
        outbound = services.ticket_request(run=run, user=request.user)
    except services.ProposalRefused as exc:
        return _answer(request, run, error=f"No ticket: {exc}")
    return _answer(request, run, message=outbound.outcome or "Opening the ticket.")


@login_required
@require_POST
def post_summary(request: HttpRequest, run_pk: int) -> HttpResponse:
    run = run_get_for(request.user, run_pk)
    if not services.summary_enqueue(run_id=run.pk, actor=request.user.get_username()):
        return _answer(
            request, run, error="The task queue is unavailable; nothing was posted. Try again shortly."
        )
    post = run.outbound.filter(kind="post_summary").first()
    if post is None:
        return _answer(
            request, run, error="Nothing to post: no packet yet, or the owning team has no Slack channel."
        )
    return _answer(request, run, message=post.outcome or "Posting the packet.")
