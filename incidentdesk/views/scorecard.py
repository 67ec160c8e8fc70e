"""The scorecard: how the desk's packets fared, for the whole desk, a team or a service."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from incidentdesk import clock
from incidentdesk.scorecard.chart import trend_svg
from incidentdesk.scorecard.figures import scorecard_build
from incidentdesk.scorecard.period import PRESETS, Period
from incidentdesk.scorecard.scope import scorecard_choices, scorecard_runs


def _render(request: HttpRequest, *, team: str = "", service: str = "") -> HttpResponse:
    scope, runs = scorecard_runs(request.user, team=team, service=service)
    today = clock.now().date()
    period, problem = Period.from_query(request.GET, today=today)
    card = scorecard_build(runs=runs, period=period)
    context = {
        "scope": scope, "card": card, "problem": problem,
        "chart": mark_safe(trend_svg(card.months)),  # every text inside is escaped
        "presets": [(days, Period.last_days(days, today=today)) for days in PRESETS],
        "choices": scorecard_choices(request.user),
    }
    template = "scorecard/detail.html#figures" if request.htmx else "scorecard/detail.html"
    return render(request, template, context)


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """The whole desk; the narrowing form's ?team= or ?service= goes to that scorecard's own page."""
    params = request.GET.copy()
    for kind in ("team", "service"):
        name = params.pop(kind, [""])[-1]
        if name:
            try:
                url = reverse(f"desk:scorecard_{kind}", args=[name])
            except NoReverseMatch:
                raise Http404(f"No such {kind}") from None
            params.pop("team", None), params.pop("service", None)
            return redirect(f"{url}?{params.urlencode()}")
    return _render(request)


@login_required
@require_GET
def team(request: HttpRequest, name: str) -> HttpResponse:
    return _render(request, team=name)


@login_required
@require_GET
def service(request: HttpRequest, name: str) -> HttpResponse:
    return _render(request, service=name)
