"""The WSGI application: webhooks skip the page middleware, pages keep all of it."""

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest

from incidentdesk.models import Trigger
from incidentdesk.wsgi import application
from tests.conftest import signed_headers

# Django signals close connections around each request, as in production: no test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def _call(method: str, path: str, body: bytes = b"", headers: dict | None = None,
          host: str = "localhost") -> tuple[str, dict, bytes]:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO(body),
               "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json", "HTTP_HOST": host}
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    setup_testing_defaults(environ)
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(response_headers)

    chunks = application(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return seen["status"], seen["headers"], content


def test_a_webhook_is_taken_without_the_page_middleware(hook_secrets, catalog):
    body = json.dumps({"service": "status-page", "summary": "support tickets up 10x", "id": "wsgi-1"}).encode()
    status, headers, content = _call("POST", "/hooks/generic/", body, signed_headers("generic", body))
    assert status.startswith("202"), content
    assert json.loads(content)["status"] == "accepted"
    assert headers["Content-Length"] == str(len(content))
    assert Trigger.objects.get().delivery_id
    # No session, CSRF or clickjacking middleware ran: none of their headers or cookies.
    assert "Set-Cookie" not in headers and "X-Frame-Options" not in headers and "Vary" not in headers


def test_a_webhook_path_still_refuses_what_the_view_refuses(hook_secrets):
    status, _, _ = _call("GET", "/hooks/generic/")
    assert status.startswith("405")
    status, _, content = _call("POST", "/hooks/generic/", b"{}")
    assert status.startswith("401")
    assert json.loads(content)["status"] == "rejected" and json.loads(content)["reason"]


def test_pages_keep_every_middleware():
    status, headers, _ = _call("GET", "/login/")
    assert status.startswith("200")
    assert headers["X-Frame-Options"] == "DENY"
    assert "csrftoken=" in headers.get("Set-Cookie", "")
    status, headers, _ = _call("GET", "/")
    assert status.startswith("302") and "/login/" in headers["Location"]


def test_a_webhook_url_without_its_trailing_slash_is_taken_too(hook_secrets, catalog):
    body = json.dumps({"service": "status-page", "summary": "support tickets up 10x", "id": "wsgi-2"}).encode()
    status, _, content = _call("POST", "/hooks/generic", body, signed_headers("generic", body))
    assert status.startswith("202"), content
    assert Trigger.objects.get().source == "generic"


@pytest.mark.parametrize("path", ["/hooks/", "/hooks/generic/extra", "/hooks/no-such-vendor"])
def test_any_other_path_under_hooks_gets_a_404_that_says_why_and_is_kept(hook_secrets, path):
    status, headers, content = _call("POST", path, b'{"a": 1}')
    assert status.startswith("404")
    reply = json.loads(content)
    assert reply["status"] == "rejected" and "unknown source" in reply["reason"]
    kept = Trigger.objects.get(pk=reply["trigger"])
    assert kept.status == Trigger.Status.REJECTED and bytes(kept.body) == b'{"a": 1}'


def test_a_webhook_for_a_host_not_served_here_is_refused_with_400_and_kept(hook_secrets, catalog):
    """The page middleware checks the Host header; webhooks skip it, so the view checks it."""
    body = json.dumps({"service": "status-page", "summary": "x", "id": "wsgi-host"}).encode()
    status, _, content = _call("POST", "/hooks/generic/", body, signed_headers("generic", body), host="evil.example")
    assert status.startswith("400") and "not served here" in json.loads(content)["reason"]
    trigger = Trigger.objects.get()
    assert trigger.http_status == 400 and trigger.status == Trigger.Status.REJECTED
