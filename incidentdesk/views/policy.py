"""The policy in force, read-only, from the policy file."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidentdesk.policy import current_policy, policy_problem
from incidentdesk.policy_page import policy_sections


@login_required
@require_GET
def detail(request: HttpRequest) -> HttpResponse:
    context = {
        "sections": policy_sections(current_policy()),
        "path": settings.DESK_POLICY_FILE,
        "problem": policy_problem(),
    }
    return render(request, "policy/detail.html", context)
