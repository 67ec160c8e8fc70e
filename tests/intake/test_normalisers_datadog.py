from datetime import UTC, datetime

import pytest

from incidentdesk.intake.events import PayloadError
from incidentdesk.intake.normalisers import normalise
from tests.intake.vendor_payloads import encode, load, load_parsed


def event_of(payload: dict, headers: dict[str, str] | None = None):
    delivery = normalise("datadog", headers or {}, encode(payload))
    assert len(delivery.events) == 1
    return delivery.events[0]


def test_a_triggered_monitor_opens_a_run_keyed_on_the_monitor_and_its_alert_cycle():
    headers, body = load("datadog/monitor_triggered")
    delivery = normalise("datadog", headers, body)
    event = delivery.events[0]

    assert delivery.delivery_id == "7406322853081134520"
    assert event.kind == "trigger"
    assert event.vendor_key == "datadog:66120458:7340191177532904415"
    assert event.service_name == "inventory-api"
    assert event.title == "[Triggered] inventory-api error rate above 5%"
    assert event.occurred_at == datetime(2025, 6, 3, 8, 46, 5, tzinfo=UTC)
    # The query holds over `last_5m`: the condition began five minutes before the monitor fired.
    assert event.started_at == datetime(2025, 6, 3, 8, 41, 5, tzinfo=UTC)
    assert event.attributes["monitor_id"] == "66120458"
    assert event.attributes["event_type"] == "query_alert_monitor"
    assert event.attributes["alert_priority"] == "P1"
    assert event.severity_hint is None
    assert event.links[0] == "https://app.datadoghq.com/monitors/66120458?event_id=7406322853081134520"


def test_notification_handles_are_not_symptoms():
    headers, body = load("datadog/monitor_triggered")
    event = normalise("datadog", headers, body).events[0]

    assert any("9.1%" in symptom for symptom in event.symptoms)
    assert not any("@webhook" in symptom for symptom in event.symptoms)


def test_a_retried_notification_keeps_its_delivery_id():
    headers, body = load("datadog/monitor_triggered")

    assert normalise("datadog", headers, body).delivery_id == normalise("datadog", headers, body).delivery_id


def test_a_recovery_resolves_the_same_vendor_key_with_its_own_delivery_id():
    headers, triggered_body = load("datadog/monitor_triggered")
    _, recovered_body = load("datadog/monitor_recovered")
    triggered = normalise("datadog", headers, triggered_body)
    recovered = normalise("datadog", headers, recovered_body)

    assert recovered.events[0].kind == "resolve"
    assert recovered.events[0].vendor_key == triggered.events[0].vendor_key
    assert recovered.delivery_id != triggered.delivery_id
    assert recovered.events[0].started_at is None


def test_without_an_event_id_the_cycle_key_and_transition_identify_the_delivery():
    _, payload = load_parsed("datadog/monitor_triggered")
    del payload["id"]

    assert normalise("datadog", {}, encode(payload)).delivery_id == "7340191177532904415:Triggered"


def test_without_a_cycle_key_the_monitor_id_is_the_vendor_key():
    _, payload = load_parsed("datadog/monitor_triggered")
    del payload["alert_cycle_key"]

    assert event_of(payload).vendor_key == "datadog:66120458"


@pytest.mark.parametrize(
    ("transition", "kind"),
    [
        ("Re-Triggered", "trigger"),
        ("Warn", "trigger"),
        ("Re-Warn", "trigger"),
        ("No Data", "trigger"),
        ("Renotify", "trigger"),
        ("Recovered", "resolve"),
    ],
)
def test_the_alert_transition_decides_the_kind(transition, kind):
    _, payload = load_parsed("datadog/monitor_triggered")
    payload["alert_transition"] = transition

    assert event_of(payload).kind == kind


def test_only_the_first_notification_of_a_cycle_says_when_it_started():
    _, payload = load_parsed("datadog/monitor_triggered")
    payload["alert_transition"] = "Re-Triggered"

    assert event_of(payload).started_at is None


def test_without_a_transition_field_the_title_prefix_is_read():
    _, payload = load_parsed("datadog/monitor_recovered")
    del payload["alert_transition"]
    del payload["alert_type"]

    assert event_of(payload).kind == "resolve"


def test_a_synthetics_failure_takes_its_service_from_the_tags():
    headers, body = load("datadog/synthetics_triggered")
    event = normalise("datadog", headers, body).events[0]

    assert event.kind == "trigger"
    assert event.service_name == "storefront"
    assert event.attributes["event_type"] == "synthetics_alert"
    assert "Failing in 3 of 3 locations" in event.symptoms


def test_an_slo_alert_with_tags_as_a_list_and_an_empty_service_variable_finds_the_service():
    headers, body = load("datadog/slo_alert_triggered")
    event = normalise("datadog", headers, body).events[0]

    assert event.kind == "trigger"
    assert event.service_name == "search-api"
    assert event.occurred_at == datetime(2025, 6, 3, 11, 2, 44, tzinfo=UTC)


def test_the_scope_names_the_service_when_nothing_else_does():
    _, payload = load_parsed("datadog/monitor_triggered")
    del payload["service"]
    payload["tags"] = "env:prod"

    assert event_of(payload).service_name == "inventory-api"


@pytest.mark.parametrize("date", ["not a date", "", "99999999999999999999999", None, {"ms": 1}, "-1"])
def test_an_unreadable_date_leaves_the_times_empty(date):
    _, payload = load_parsed("datadog/monitor_triggered")
    payload["date"] = date
    payload["last_updated"] = date

    event = event_of(payload)

    assert event.occurred_at is None
    assert event.started_at is None


def test_numbers_sent_unquoted_are_read_like_strings():
    _, payload = load_parsed("datadog/monitor_triggered")
    payload["alert_id"] = 66120458
    payload["date"] = 1748940365000

    event = event_of(payload)

    assert event.vendor_key == "datadog:66120458:7340191177532904415"
    assert event.occurred_at == datetime(2025, 6, 3, 8, 46, 5, tzinfo=UTC)


def test_a_notification_without_a_title_is_rejected():
    _, payload = load_parsed("datadog/monitor_triggered")
    del payload["title"]

    with pytest.raises(PayloadError, match="missing required field title"):
        normalise("datadog", {}, encode(payload))
