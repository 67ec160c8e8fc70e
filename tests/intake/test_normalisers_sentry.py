from datetime import UTC, datetime

import pytest

from incidentdesk.intake.events import PayloadError
from incidentdesk.intake.normalisers import normalise
from tests.intake.vendor_payloads import encode, load, load_parsed


def test_a_new_issue_opens_a_run_for_its_project():
    headers, body = load("sentry/issue_created")
    delivery = normalise("sentry", headers, body)
    event = delivery.events[0]

    assert delivery.delivery_id == "issue:4810021937:created"
    assert event.kind == "trigger"
    assert event.vendor_key == "sentry:4810021937"
    assert event.service_name == "orders-api"
    assert event.started_at == datetime(2025, 6, 4, 13, 2, 11, 118000, tzinfo=UTC)
    assert event.occurred_at == datetime(2025, 6, 4, 13, 9, 40, 552000, tzinfo=UTC)
    assert event.symptoms[0].startswith("IntegrityError: duplicate key value")
    assert event.links == ("https://example.sentry.io/issues/4810021937/",)
    assert event.attributes["short_id"] == "ORDERS-API-3K1"


def test_a_retry_carries_a_new_request_id_but_the_same_delivery_id():
    headers, body = load("sentry/issue_created")
    retry_headers = {**headers, "Request-ID": "f" * 32, "Sentry-Hook-Timestamp": "1749042432"}
    first = normalise("sentry", headers, body)

    assert normalise("sentry", retry_headers, body).delivery_id == first.delivery_id


def test_a_resolved_issue_resolves_the_same_vendor_key():
    created = normalise("sentry", *load("sentry/issue_created")).events[0]
    delivery = normalise("sentry", *load("sentry/issue_resolved"))

    assert delivery.events[0].kind == "resolve"
    assert delivery.events[0].vendor_key == created.vendor_key
    assert delivery.delivery_id == "issue:4810021937:resolved"


@pytest.mark.parametrize(
    ("action", "kind"), [("unresolved", "trigger"), ("assigned", "update"), ("archived", "update")]
)
def test_the_issue_action_decides_the_kind(action, kind):
    headers, payload = load_parsed("sentry/issue_created")
    payload["action"] = action

    assert normalise("sentry", headers, encode(payload)).events[0].kind == kind


def test_an_event_alert_opens_a_run_grouped_with_its_issue():
    headers, body = load("sentry/event_alert_triggered")
    delivery = normalise("sentry", headers, body)
    event = delivery.events[0]

    event_id = "c2a5e7f9b1d34f6a8c0e2b4d6f8a1c3e"
    assert delivery.delivery_id == f"event_alert:{event_id}:orders-api: new IntegrityError"
    assert event.kind == "trigger"
    assert event.vendor_key == "sentry:4810021937"
    assert event.service_name == "orders-api"
    assert event.occurred_at == datetime(2025, 6, 4, 13, 2, 11, 118000, tzinfo=UTC)
    assert event.attributes["release"] == "orders-api@4.18.2"
    assert event.attributes["environment"] == "production"
    assert event.links == (f"https://example.sentry.io/issues/4810021937/events/{event_id}/",)


def test_an_event_alert_keeps_the_frames_of_the_exception_that_was_raised():
    event = normalise("sentry", *load("sentry/event_alert_triggered")).events[0]

    assert event.symptoms[0] == (
        'IntegrityError: duplicate key value violates unique constraint "orders_order_ref_key"'
    )
    assert [(f["filename"], f["function"], f["lineno"]) for f in event.attributes["frames"]] == [
        ("orders/views.py", "create", 48),
        ("orders/services.py", "order_create", 117),
    ]


def test_a_service_tag_names_the_service_before_the_project_in_the_url():
    headers, payload = load_parsed("sentry/event_alert_triggered")
    payload["data"]["event"]["tags"].append(["service", "orders-writer"])

    assert normalise("sentry", headers, encode(payload)).events[0].service_name == "orders-writer"


def test_the_resource_is_inferred_when_its_header_is_missing():
    headers, body = load("sentry/event_alert_triggered")
    del headers["Sentry-Hook-Resource"]

    assert normalise("sentry", headers, body).events[0].kind == "trigger"


def test_resources_the_desk_does_not_act_on_carry_no_event():
    body = encode({"action": "created", "installation": {"uuid": "x"}, "data": {"app": {"uuid": "x"}}})

    assert normalise("sentry", {"Sentry-Hook-Resource": "installation"}, body).events == ()


@pytest.mark.parametrize(
    ("resource", "data", "reason"),
    [
        ("issue", {}, "data.issue"),
        ("issue", {"issue": {"title": "no id"}}, "data.issue.id"),
        ("event_alert", {"event": {"title": "no id"}}, "data.event.event_id"),
        ("", {"something": 1}, "Sentry-Hook-Resource"),
    ],
)
def test_it_names_what_is_missing(resource, data, reason):
    body = encode({"action": "created", "data": data})

    with pytest.raises(PayloadError, match=reason):
        normalise("sentry", {"Sentry-Hook-Resource": resource}, body)


def test_a_body_without_data_is_rejected():
    with pytest.raises(PayloadError, match="missing required field data"):
        normalise("sentry", {"Sentry-Hook-Resource": "issue"}, b'{"action": "created"}')
