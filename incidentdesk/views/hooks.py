"""Webhook endpoints: /hooks/<source>/. Every request is stored; nothing here answers 500."""

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidentdesk.services.intake import trigger_receive

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def hook(request: HttpRequest, source: str) -> JsonResponse:
    from django.conf import settings

    limit = settings.HOOK_MAX_BODY_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    # Read at most one byte past the limit: enough to know it is too big, never the whole of it.
    body = request.read(limit + 1) if declared.isdigit() and int(declared) > limit else request.body
    result = trigger_receive(
        source=source,
        headers=dict(request.headers),
        body=body,
        remote_addr=request.META.get("REMOTE_ADDR"),
    )
    response = JsonResponse(result.body, status=result.status)
    # Set here because webhooks skip the page middleware (CommonMiddleware would set it).
    response["Content-Length"] = str(len(response.content))
    if source == "slack" and result.status < 500:
        response["X-Slack-No-Retry"] = "1" if result.status >= 400 else "0"
    return response
