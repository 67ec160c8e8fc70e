"""Webhook endpoints: /hooks/<source>/. Every request is stored; nothing here answers 500."""

import logging

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from incidentdesk.services.intake import trigger_receive, trigger_refuse

logger = logging.getLogger(__name__)


@csrf_exempt
def hook(request: HttpRequest, source: str) -> JsonResponse:
    from django.conf import settings

    limit = settings.HOOK_MAX_BODY_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    too_big = declared.isdigit() and int(declared) > limit
    # Read at most one byte past the limit: enough to know it is too big, never the whole of it.
    body = request.read(limit + 1) if too_big else request.body
    where = {"source": source, "headers": dict(request.headers), "body": body,
             "remote_addr": request.META.get("REMOTE_ADDR")}
    refusal = _refusal(request)
    if refusal:
        result = trigger_refuse(**where, status=refusal[0], reason=refusal[1])
    elif too_big:
        result = trigger_refuse(
            **where, status=413, reason=f"body of {declared} bytes exceeds the {limit}-byte limit"
        )
    else:
        result = trigger_receive(**where)
    response = JsonResponse(result.body, status=result.status)
    # Set here because webhooks skip the page middleware (CommonMiddleware would set it).
    response["Content-Length"] = str(len(response.content))
    if source == "slack" and result.status < 500:
        response["X-Slack-No-Retry"] = "1" if result.status >= 400 else "0"
    if result.status == 405:
        response["Allow"] = "POST"
    return response


def _refusal(request: HttpRequest) -> tuple[int, str] | None:
    """Why the request is refused before it is read as a webhook; every refusal is kept too."""
    try:
        request.get_host()  # webhooks skip the page middleware, which checks ALLOWED_HOSTS
    except DisallowedHost:
        return 400, "this host is not served here (DJANGO_ALLOWED_HOSTS)"
    if request.method != "POST":
        return 405, f"webhooks are POSTed; {request.method} is not taken"
    return None
