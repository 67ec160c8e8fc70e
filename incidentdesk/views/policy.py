"""The policy in force, read-only, from the policy file."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from approvals.policy_file import policy_document
from incidentdesk.policy_page import policy_sections


@login_required
@require_GET
def detail(request: HttpRequest) -> HttpResponse:
    sections = policy_sections(policy_document())
    return render(request, "policy/detail.html", {"sections": sections, "path": settings.DESK_POLICY_FILE})
