"""Security checks across the desk: what a webhook reply reveals, CSRF on every POST, secrets kept out
of logs and pages, and untrusted evidence rendered as text."""

import base64
import json
import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from incidentdesk import clock
from incidentdesk.models import Evidence, Packet, Run, Service, Trigger
from incidentdesk.services.grouping import triggers_process_pending
from tests.conftest import SECRET
from tests.intake.test_intake_flow import alertmanager, pagerduty

pytestmark = pytest.mark.django_db

REPLY_KEYS = {"status", "trigger", "original", "reason"}


# --- webhook replies -------------------------------------------------------------------------------

def test_a_webhook_reply_names_only_what_was_posted_and_nothing_of_other_services(hooks, catalog):
    other = hooks.post("alertmanager", alertmanager("firing", service="payments-gateway"))
    triggers_process_pending()
    assert Run.objects.filter(service__name="payments-gateway").exists()

    reply = hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "sec-1"})
    retry = hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "sec-1"})
    bad = hooks.post("generic", {"service": "payments-gateway", "summary": "x"}, sign=False)
    for response in (reply, retry, bad):
        body = response.json()
        assert set(body) <= REPLY_KEYS, body
        text = response.content.decode()
        assert "payments-gateway" not in text and "ledger" not in text
    assert reply.json()["trigger"] == Trigger.objects.get(delivery_id="01EV1", status="received").pk
    assert retry.json()["original"] == reply.json()["trigger"]
    ids = {v for r in (reply, retry, bad) for k, v in r.json().items() if k in ("trigger", "original")}
    posted = set(Trigger.objects.exclude(pk=other.json()["trigger"]).values_list("pk", flat=True))
    assert ids == posted, "a reply names only the triggers of what was posted"
    assert not any(k.startswith("run") for r in (reply, retry, bad) for k in r.json())


def test_a_delivery_id_from_another_source_is_not_taken_for_a_retry(hooks, catalog):
    first = hooks.post("generic", {"service": "checkout-api", "summary": "first", "id": "shared-id"})
    other = hooks.post("datadog", {"id": "shared-id", "title": "[Triggered] payments", "service": "payments-gateway"})
    assert first.status_code == 202 and other.status_code == 202
    assert "original" not in other.json()


# --- CSRF ------------------------------------------------------------------------------------------

SAMPLE_ARGS = {"int": "1", "slug": "checkout-api", "str": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000000"}


def _concrete_paths(patterns=None, prefix: str = "") -> list[str]:
    """Every URL of the desk with sample values in place of its parameters (admin and hooks aside)."""
    found = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(entry.pattern)
        if route.startswith(("admin/", "hooks/", "^admin/", "^hooks/")):
            continue
        if isinstance(entry, URLResolver):
            found += _concrete_paths(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_ARGS.get(m.group(1) or "str", "x"), prefix + route)
            found.append("/" + path)
    return found


@pytest.fixture
def signed_in(users):
    client = Client(enforce_csrf_checks=True, HTTP_HOST="localhost")
    client.force_login(users["alice"])
    return client


def test_every_post_to_the_desk_without_a_csrf_token_is_refused(signed_in, catalog):
    paths = _concrete_paths()
    assert "/login/" in paths and "/logout/" in paths
    for path in paths:
        response = signed_in.post(path, {"comment": "x"})
        assert response.status_code in (403, 405), f"POST {path} without a CSRF token got {response.status_code}"


def test_login_and_logout_refuse_a_post_without_a_csrf_token(users):
    anonymous = Client(enforce_csrf_checks=True, HTTP_HOST="localhost")
    assert anonymous.post("/login/", {"username": "alice", "password": "x-pass-123456"}).status_code == 403
    assert "_auth_user_id" not in anonymous.session
    signed_in = Client(enforce_csrf_checks=True, HTTP_HOST="localhost")
    signed_in.force_login(users["alice"])
    assert signed_in.post("/logout/").status_code == 403
    assert "_auth_user_id" in signed_in.session


def test_the_admin_refuses_a_post_without_a_csrf_token(db):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "x-pass-123456")
    client = Client(enforce_csrf_checks=True, HTTP_HOST="localhost")
    assert client.post("/admin/login/", {"username": "root", "password": "x-pass-123456"}).status_code == 403
    client.force_login(admin)
    assert client.post("/admin/incidentdesk/trigger/add/", {}).status_code == 403


def test_a_login_with_its_csrf_token_works_and_every_form_carries_one(users, catalog):
    client = Client(enforce_csrf_checks=True, HTTP_HOST="localhost")
    page = client.get("/login/").content.decode()
    assert "csrfmiddlewaretoken" in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post("/login/", {"username": "alice", "password": "x-pass-123456",
                                   "csrfmiddlewaretoken": token}).status_code == 302
    for path in ("/", f"/runs/{_run_with_script_evidence().pk}/"):
        html = client.get(path).content.decode()
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", html, flags=re.S | re.I):
            assert "csrfmiddlewaretoken" in form, f"a POST form on {path} has no CSRF token"
        # htmx requests carry the token from <body hx-headers>.
        assert "X-CSRFToken" in html or "<form" not in html


# --- secrets -------------------------------------------------------------------------------------------

def test_hook_secrets_never_reach_the_logs_or_the_stored_request(hooks, catalog, caplog):
    connection.force_debug_cursor = True  # every SQL statement, with its parameters, is logged
    try:
        with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="django.db.backends"):
            hooks.post("generic", {"service": "checkout-api", "summary": "tickets up", "id": "s-1"})
            hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "s-2"})
            hooks.post("datadog", {"id": "9", "title": "[Triggered] checkout"},
                       headers={"Authorization": "Basic " + base64.b64encode(f"datadog:{SECRET}".encode()).decode()},
                       sign=False)
            hooks.post("alertmanager", alertmanager("firing"), headers={"Authorization": "Bearer not-the-secret-42"},
                       sign=False)
            triggers_process_pending()
    finally:
        connection.force_debug_cursor = False
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "INSERT" in logged, "the query log was not captured: the check would prove nothing"
    assert SECRET not in logged
    assert "not-the-secret-42" not in logged, "a wrong credential is somebody's secret too"
    for trigger in Trigger.objects.all():
        stored = json.dumps(trigger.headers)
        assert SECRET not in stored and "not-the-secret-42" not in stored
        if "Authorization" in trigger.headers:
            assert trigger.headers["Authorization"] == "[REDACTED]"


def test_hook_secrets_never_appear_in_the_pages(hooks, catalog, users):
    hooks.post("generic", {"service": "checkout-api", "summary": "tickets up", "id": "p-1"})
    triggers_process_pending()
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "x-pass-123456")
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    trigger = Trigger.objects.get(delivery_id="p-1")
    run = Run.objects.get(service__name="checkout-api")
    for path in ("/", f"/runs/{run.pk}/", "/admin/incidentdesk/trigger/",
                 f"/admin/incidentdesk/trigger/{trigger.pk}/change/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert SECRET not in response.content.decode(), path


# --- untrusted evidence on the page --------------------------------------------------------------------

SCRIPT = '<script>alert("owned")</script>'
IMG = '<img src=x onerror="alert(1)">'


def _run_with_script_evidence() -> Run:
    now = clock.now()
    run = Run.objects.create(
        title=f"checkout-api errors {IMG}", service=Service.objects.get(name="checkout-api"), trigger_source="generic",
        triggered_at=now, first_seen_at=now, last_event_at=now, collection=Run.Collection.DONE,
        symptoms=[SCRIPT],
    )
    line = f"ERROR payment failed {SCRIPT} {IMG}"
    evidence = Evidence.objects.create(
        run=run, source="logs", ref="log-1", service="checkout-api", observed_at=now,
        data={"service": "checkout-api", "message": line, "level": "error", "count": 40},
        url="javascript:alert(1)",
    )
    cite = evidence.public_id
    data = {
        "text": f"Logs show {line}", "service": "checkout-api",
        "hypotheses": [{"confidence": "high", "kind": "error_burst", "ref": SCRIPT, "summary": line,
                        "evidence": [cite]}],
        "conflicts": [{"text": IMG, "evidence": [cite]}],
        "gaps": [{"source": "metrics", "reason": SCRIPT}],
        "evidence": [{"id": cite, "source": "logs", "ref": "log-1", "summary": line, "url": ""}],
        "data_risk": {"flagged": False},
    }
    Packet.objects.create(run=run, version=1, content_hash="x" * 64, data=data, text=data["text"],
                          evidence_ids=[cite], complete=True)
    return run


def test_a_log_line_with_html_is_shown_as_text_on_the_run_page(users, catalog):
    run = _run_with_script_evidence()
    client = Client(HTTP_HOST="localhost")
    client.force_login(users["alice"])
    for headers in ({}, {"HX-Request": "true"}):
        html = client.get(f"/runs/{run.pk}/", headers=headers).content.decode()
        assert "payment failed" in html
        assert SCRIPT not in html and IMG not in html
        assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=" in html


@pytest.mark.parametrize("name, label", [("pagerduty/incident_triggered", "X-Webhook-Id"),
                                         ("github/deployment_status_failure", "X-GitHub-Delivery")])
def test_a_captured_delivery_replayed_under_a_fresh_delivery_header_is_a_duplicate(hooks, catalog, name, label):
    from tests.intake.vendor_payloads import as_sent, load

    headers, body = load(name)
    source = name.split("/")[0]
    with as_sent(source, headers, body):
        first = hooks.post(source, body, headers={**headers, label: "original-delivery"},
                           content_type="application/json")
        replay = hooks.post(source, body, headers={**headers, label: "fresh-label-from-an-attacker"},
                            content_type="application/json")
    assert first.status_code == 202
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert replay.json()["original"] == first.json()["trigger"]
