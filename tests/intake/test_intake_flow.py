"""Webhooks in, runs out: storing, verifying, deduplicating and grouping."""

import json

import pytest

from incidentdesk import clock
from incidentdesk.models import Run, RunEvent, Trigger
from incidentdesk.services.grouping import trigger_process

pytestmark = pytest.mark.django_db


def pagerduty(event_type: str, incident_id: str = "Q1AB2CD3EF", *, event_id: str = "01EV1", service="checkout-api",
              service_id="PCHKOUT"):
    # Sent as it happens: a signed event older than the replay horizon is refused.
    return {"event": {
        "id": event_id, "event_type": event_type, "resource_type": "incident",
        "occurred_at": clock.now().isoformat(), "agent": None, "client": {"name": "Datadog"},
        "data": {"id": incident_id, "type": "incident", "number": 4211,
                 "status": "resolved" if event_type == "incident.resolved" else "triggered",
                 "title": f"{service} 5xx > 5%", "incident_key": "dd-monitor-123456",
                 "created_at": "2026-03-04T10:15:21Z", "urgency": "high",
                 "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}",
                 "service": {"id": service_id, "summary": service, "type": "service_reference"},
                 "assignees": [], "priority": None, "resolve_reason": None}}}


def alertmanager(status: str, fingerprint: str = "1a30ba71cca2921f", service: str = "checkout-api"):
    return {"version": "4", "groupKey": "{}:{alertname=\"HighErrorRate\"}", "truncatedAlerts": 0,
            "status": status, "receiver": "incident-desk", "groupLabels": {"alertname": "HighErrorRate"},
            "commonLabels": {"alertname": "HighErrorRate", "service": service},
            "commonAnnotations": {"summary": "5xx ratio 7.2%"}, "externalURL": "http://alertmanager:9093",
            "alerts": [{"status": status, "labels": {"alertname": "HighErrorRate", "service": service},
                        "annotations": {"summary": "5xx ratio 7.2%"},
                        "startsAt": "2026-03-04T10:14:45.828Z",
                        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-03-04T10:44:45Z",
                        "generatorURL": "http://prometheus:9090/graph", "fingerprint": fingerprint}]}


def process_all() -> None:
    for trigger in Trigger.objects.filter(status=Trigger.Status.RECEIVED).order_by("pk"):
        trigger_process(trigger_id=trigger.pk)


@pytest.fixture(autouse=True)
def _no_collection(monkeypatch):
    """These tests are about grouping; collection is covered on its own."""
    monkeypatch.setattr("incidentdesk.services.collection.collection_enqueue", lambda **kw: True)


def test_a_signed_webhook_is_stored_verbatim_before_the_reply(hooks, catalog, django_capture_on_commit_callbacks):
    payload = pagerduty("incident.triggered")
    with django_capture_on_commit_callbacks() as callbacks:
        response = hooks.post("pagerduty", payload, headers={"X-Webhook-Id": "wh-1"})
    assert response.status_code == 202
    trigger = Trigger.objects.get(pk=response.json()["trigger"])
    assert bytes(trigger.body) == json.dumps(payload).encode()
    assert trigger.headers["X-Webhook-Id"] == "wh-1"
    assert trigger.status == Trigger.Status.RECEIVED
    assert len(callbacks) == 1  # processing waits for the commit


def test_it_opens_one_run_and_acknowledges_a_retry_without_processing_it_twice(hooks, catalog):
    first = hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "wh-1"})
    retry = hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "wh-1"})
    process_all()
    assert first.status_code == 202
    assert retry.status_code == 200 and retry.json()["status"] == "duplicate"
    run = Run.objects.get()
    assert run.service.name == "checkout-api"
    assert run.current_owner_team.name == "checkout-eng" and run.current_oncall == "alice"
    assert RunEvent.objects.filter(run=run).count() == 1
    assert Trigger.objects.filter(status=Trigger.Status.DUPLICATE).count() == 1


def test_events_about_the_same_vendor_incident_land_on_one_run_and_resolve_it(hooks, catalog):
    hooks.post("pagerduty", pagerduty("incident.triggered", event_id="e1"), headers={"X-Webhook-Id": "a"})
    hooks.post("pagerduty", pagerduty("incident.acknowledged", event_id="e2"), headers={"X-Webhook-Id": "b"})
    hooks.post("pagerduty", pagerduty("incident.resolved", event_id="e3"), headers={"X-Webhook-Id": "c"})
    process_all()
    run = Run.objects.get()
    assert run.status == Run.Status.RESOLVED
    assert list(run.events.values_list("kind", flat=True)) == ["trigger", "update", "resolve"]


def test_a_different_trigger_for_the_same_service_joins_its_open_run(hooks, catalog):
    hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "a"})
    hooks.post("alertmanager", alertmanager("firing"))
    process_all()
    run = Run.objects.get()
    assert {e.trigger.source for e in run.events.select_related("trigger")} == {"pagerduty", "alertmanager"}


def test_an_alertmanager_fingerprint_resolves_its_run(hooks, catalog):
    hooks.post("alertmanager", alertmanager("firing", service="payments-gateway"))
    hooks.post("alertmanager", alertmanager("resolved", service="payments-gateway"))
    process_all()
    run = Run.objects.get()
    assert run.service.name == "payments-gateway" and run.status == Run.Status.RESOLVED


def test_a_vendor_alias_resolves_to_the_catalog_service(hooks, catalog):
    hooks.post("pagerduty", pagerduty("incident.triggered", service="Checkout", service_id="PCHKOUT"),
               headers={"X-Webhook-Id": "a"})
    process_all()
    assert Run.objects.get().service.name == "checkout-api"


def test_an_unknown_service_still_opens_a_run_that_needs_a_service(hooks, catalog):
    hooks.post("pagerduty", pagerduty("incident.triggered", service="mystery-box", service_id="PZZZZZZ"),
               headers={"X-Webhook-Id": "a"})
    process_all()
    run = Run.objects.get()
    assert run.service is None and run.needs_service and run.service_hint == "mystery-box"


@pytest.mark.parametrize("source", ["pagerduty", "sentry", "github", "slack", "datadog", "alertmanager", "generic"])
def test_a_request_without_credentials_gets_401_and_is_kept(hooks, catalog, source):
    response = hooks.post(source, {"anything": True}, sign=False)
    assert response.status_code == 401
    assert response.json()["reason"]
    trigger = Trigger.objects.get(pk=response.json()["trigger"])
    assert trigger.status == Trigger.Status.REJECTED and trigger.http_status == 401
    assert not Run.objects.exists()


def test_a_malformed_body_gets_400_with_a_reason_and_is_kept(hooks, catalog):
    response = hooks.post("pagerduty", b"{not json", headers={"X-Webhook-Id": "x"})
    assert response.status_code == 400
    assert response.json()["reason"]
    assert Trigger.objects.get().body == b"{not json"


def test_an_oversized_body_gets_413(hooks, catalog, settings):
    settings.HOOK_MAX_BODY_BYTES = 1000
    response = hooks.post("generic", {"service": "checkout-api", "summary": "x" * 5000})
    assert response.status_code == 413
    assert "limit" in response.json()["reason"]
    assert Trigger.objects.get().status == Trigger.Status.REJECTED


def test_an_unknown_source_gets_404_and_is_kept(hooks, catalog):
    response = hooks.post("nagios", {"x": 1}, sign=False)
    assert response.status_code == 404
    assert Trigger.objects.get().reason.startswith("unknown source")


def test_the_stored_request_does_not_keep_the_bearer_secret(hooks, catalog):
    hooks.post("generic", {"service": "checkout-api", "summary": "support spike"})
    trigger = Trigger.objects.get()
    assert "test-hook-secret" not in json.dumps(trigger.headers)


def test_a_get_is_refused_without_a_500(hooks, catalog):
    assert hooks.client.get("/hooks/pagerduty/").status_code == 405


def test_what_people_report_is_kept_on_the_run_and_reaches_the_analysis(hooks, catalog):
    from incidentdesk.services.packets import run_reports

    hooks.post("generic", {"service": "checkout-api", "summary": "Customers say they were charged twice",
                           "kind": "support_spike", "count": 37, "baseline": 2, "window_minutes": 60,
                           "severity": "sev2", "link": "https://support.example.com/spikes/1",
                           "started_at": "2026-03-04T10:05:00Z", "id": "spike-1"})
    hooks.post("alertmanager", alertmanager("firing"))
    process_all()
    run = Run.objects.get()
    facts = [e.facts for e in run.events.order_by("pk")]
    assert facts[0]["people"] is True and facts[0]["count"] == "37" and facts[0]["severity"] == "sev2"
    assert "people" not in facts[1]  # an alert is not a report by people
    (report,) = run_reports(run)
    assert (report.id, report.count, report.baseline, report.window_minutes) == ("T1", 37.0, 2.0, 60.0)
    assert report.link == "https://support.example.com/spikes/1"
    assert report.started_at.isoformat() == "2026-03-04T10:05:00+00:00"
