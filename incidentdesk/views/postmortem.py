"""A resolved run's postmortem draft, as a Markdown file to download."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from incidentdesk.postmortem.build import postmortem_build
from incidentdesk.postmortem.markdown import postmortem_markdown
from incidentdesk.selectors import run_get_for

MARKDOWN = "text/markdown; charset=utf-8"
PLAIN = "text/plain; charset=utf-8"


@login_required
@require_GET
def draft(request: HttpRequest, pk: int) -> HttpResponse:
    """409 for a run still open: the draft tells how an incident ended, so it waits for the end."""
    run = run_get_for(request.user, pk)
    if run.is_open:
        status = run.get_status_display().lower()
        message = f"Run #{run.pk} is {status}: resolve it first, then draft its postmortem.\n"
        return HttpResponse(message, status=409, content_type=PLAIN)
    response = HttpResponse(postmortem_markdown(postmortem_build(run=run)), content_type=MARKDOWN)
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-postmortem.md"'
    return response
