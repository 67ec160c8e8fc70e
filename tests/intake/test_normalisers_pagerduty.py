import json
from datetime import UTC, datetime

import pytest

from incidentdesk.intake.events import PayloadError
from incidentdesk.intake.normalisers import normalise
from tests.intake.vendor_payloads import encode, load, load_parsed


def only_event(name: str):
    headers, body = load(name)
    delivery = normalise("pagerduty", headers, body)
    assert len(delivery.events) == 1
    return delivery, delivery.events[0]


def test_a_triggered_incident_opens_a_run_for_the_pagerduty_service():
    delivery, event = only_event("pagerduty/incident_triggered")

    assert delivery.source == "pagerduty"
    assert delivery.reply is None
    assert event.kind == "trigger"
    assert event.vendor_key == "pagerduty:Q2KTX7P0LM4RZ1"
    assert event.service_name == "payments-gateway"
    assert event.attributes["vendor_service_id"] == "PGWAY01"
    assert event.title == "payments-gateway: p99 latency above 2s"
    assert event.occurred_at == datetime(2025, 6, 2, 8, 41, 8, 311000, tzinfo=UTC)
    assert event.started_at == datetime(2025, 6, 2, 8, 41, 7, tzinfo=UTC)
    assert event.links == ("https://example.pagerduty.com/incidents/Q2KTX7P0LM4RZ1",)
    assert event.attributes["assignees"] == ["Jun Park"]
    assert event.reports_data_exposure is False


def test_the_delivery_id_is_the_signed_event_id_whatever_the_unsigned_header_says():
    headers, body = load("pagerduty/incident_triggered")
    first = normalise("pagerduty", headers, body)
    replay = normalise("pagerduty", {**headers, "X-Webhook-Id": "fresh-label-from-an-attacker"}, body)

    assert first.delivery_id == json.loads(body)["event"]["id"]
    assert replay.delivery_id == first.delivery_id


def test_without_the_webhook_id_header_the_event_id_identifies_the_delivery():
    headers, body = load("pagerduty/incident_triggered")
    del headers["X-Webhook-Id"]

    assert normalise("pagerduty", headers, body).delivery_id == "01FZ8M3N4P5Q6R7S8T9U0V1W2X"


def test_a_resolved_incident_resolves_the_same_vendor_key():
    _, triggered = only_event("pagerduty/incident_triggered")
    _, resolved = only_event("pagerduty/incident_resolved")

    assert resolved.kind == "resolve"
    assert resolved.vendor_key == triggered.vendor_key


def test_an_acknowledgement_is_an_update():
    _, event = only_event("pagerduty/incident_acknowledged")

    assert event.kind == "update"
    assert event.vendor_key == "pagerduty:Q2KTX7P0LM4RZ1"


def test_a_note_updates_the_incident_it_references_and_carries_its_text():
    _, event = only_event("pagerduty/incident_annotated")

    assert event.kind == "update"
    assert event.vendor_key == "pagerduty:Q2KTX7P0LM4RZ1"
    assert "Card authorisations timing out against the acquirer" in event.symptoms


@pytest.mark.parametrize(
    "event_type",
    ["incident.reopened", "incident.escalated", "incident.priority_updated", "incident.unacknowledged"],
)
def test_events_that_make_an_incident_need_attention_again_are_triggers(event_type):
    headers, payload = load_parsed("pagerduty/incident_triggered")
    payload["event"]["event_type"] = event_type

    assert normalise("pagerduty", headers, encode(payload)).events[0].kind == "trigger"


@pytest.mark.parametrize(
    "event_type", ["incident.reassigned", "incident.delegated", "incident.responder.added"]
)
def test_other_incident_events_are_updates(event_type):
    headers, payload = load_parsed("pagerduty/incident_triggered")
    payload["event"]["event_type"] = event_type

    assert normalise("pagerduty", headers, encode(payload)).events[0].kind == "update"


def test_service_events_are_ignored_and_not_keyed_as_incidents():
    headers, _ = load("pagerduty/incident_triggered")
    body = {"event": {"id": "01G0", "event_type": "service.updated", "resource_type": "service",
                      "data": {"id": "PGWAY01", "type": "service", "summary": "payments-gateway"}}}

    event = normalise("pagerduty", headers, encode(body)).events[0]

    assert event.kind == "ignore"
    assert event.vendor_key is None


@pytest.mark.parametrize(
    ("priority", "severity"), [("P1", "sev1"), ("P2", "sev2"), ("P4", "sev4"), ("P5", None)]
)
def test_the_incident_priority_becomes_a_severity_hint(priority, severity):
    headers, payload = load_parsed("pagerduty/incident_triggered")
    payload["event"]["data"]["priority"]["summary"] = priority

    assert normalise("pagerduty", headers, encode(payload)).events[0].severity_hint == severity


def test_an_incident_without_priority_gives_no_severity_hint():
    headers, payload = load_parsed("pagerduty/incident_triggered")
    payload["event"]["data"]["priority"] = None

    assert normalise("pagerduty", headers, encode(payload)).events[0].severity_hint is None


def test_a_system_event_without_agent_is_still_read():
    headers, payload = load_parsed("pagerduty/incident_triggered")
    payload["event"]["agent"] = None

    assert normalise("pagerduty", headers, encode(payload)).events[0].kind == "trigger"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({}, "missing required field event"),
        ({"event": {"data": {"id": "Q1"}}}, "missing required field event.event_type"),
        ({"event": {"event_type": "incident.triggered"}}, "missing required field event.data"),
        ({"event": {"event_type": "incident.triggered", "data": {"title": "x"}}}, "event.data.id"),
    ],
)
def test_it_names_the_missing_required_field(payload, reason):
    with pytest.raises(PayloadError, match=reason):
        normalise("pagerduty", {}, json.dumps(payload).encode())


def test_a_top_level_array_is_rejected():
    with pytest.raises(PayloadError, match="JSON object"):
        normalise("pagerduty", {}, b"[]")
