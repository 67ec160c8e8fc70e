import json
from datetime import UTC, datetime

import pytest

from incidentdesk.intake.events import PayloadError
from incidentdesk.intake.normalisers import normalise
from tests.intake.vendor_payloads import encode, load, load_parsed


def test_each_firing_alert_of_a_group_becomes_its_own_trigger():
    delivery = normalise("alertmanager", *load("alertmanager/firing"))

    assert [event.kind for event in delivery.events] == ["trigger", "trigger"]
    assert [event.vendor_key for event in delivery.events] == [
        "alertmanager:c7d1e5a9b3f20864",
        "alertmanager:0e4a8c2f6b1d9375",
    ]
    first = delivery.events[0]
    assert first.service_name == "shipping-worker"
    assert first.title == "KafkaConsumerLagHigh: consumer lag on shipping-worker-0 above 50k messages"
    assert first.started_at == datetime(2025, 6, 6, 2, 14, 30, 112000, tzinfo=UTC)
    assert first.symptoms == (
        "consumer lag on shipping-worker-0 above 50k messages",
        "shipping-worker is not keeping up with the orders topic.",
    )
    assert first.links == (
        "https://prometheus.example.internal/graph?g0.expr=kafka_consumergroup_lag%3E50000&g0.tab=1",
        "https://runbooks.example.internal/shipping-worker/lag",
    )
    assert first.attributes["labels"]["instance"] == "shipping-worker-0"
    assert "ends_at" not in first.attributes


def test_a_critical_severity_label_is_not_turned_into_a_sev_level():
    delivery = normalise("alertmanager", *load("alertmanager/firing"))

    assert {event.severity_hint for event in delivery.events} == {None}


def test_an_explicit_sev_label_is_passed_on():
    headers, payload = load_parsed("alertmanager/firing")
    payload["alerts"][0]["labels"]["severity"] = "SEV2"

    assert normalise("alertmanager", headers, encode(payload)).events[0].severity_hint == "sev2"


def test_a_re_sent_group_has_the_same_delivery_id_whatever_the_alert_order():
    headers, payload = load_parsed("alertmanager/firing")
    first = normalise("alertmanager", headers, encode(payload))
    payload["alerts"].reverse()
    payload["groupKey"] = "changed"

    assert normalise("alertmanager", headers, encode(payload)).delivery_id == first.delivery_id


def test_the_resolution_has_a_different_delivery_id_and_resolves_each_alert():
    firing = normalise("alertmanager", *load("alertmanager/firing"))
    resolved = normalise("alertmanager", *load("alertmanager/resolved"))

    assert resolved.delivery_id != firing.delivery_id
    assert [event.kind for event in resolved.events] == ["resolve", "resolve"]
    assert [e.vendor_key for e in resolved.events] == [e.vendor_key for e in firing.events]
    assert resolved.events[0].occurred_at == datetime(2025, 6, 6, 2, 41, 0, 500000, tzinfo=UTC)


def test_the_service_falls_back_to_the_job_label():
    headers, payload = load_parsed("alertmanager/firing")
    del payload["commonLabels"]["service"]
    for alert in payload["alerts"]:
        del alert["labels"]["service"]
        alert["labels"]["job"] = "shipping"

    assert normalise("alertmanager", headers, encode(payload)).events[0].service_name == "shipping"


def test_an_alert_without_a_fingerprint_gets_a_stable_one_from_its_labels():
    headers, payload = load_parsed("alertmanager/firing")
    for alert in payload["alerts"]:
        del alert["fingerprint"]

    first = normalise("alertmanager", headers, encode(payload)).events
    again = normalise("alertmanager", headers, encode(payload)).events

    assert first[0].vendor_key == again[0].vendor_key
    assert first[0].vendor_key != first[1].vendor_key


def test_a_body_without_alerts_is_rejected():
    with pytest.raises(PayloadError, match="alerts"):
        normalise("alertmanager", {}, encode({"status": "firing"}))


def test_an_alert_that_is_not_an_object_is_rejected():
    with pytest.raises(PayloadError, match=r"alerts\[1\]"):
        normalise("alertmanager", {}, encode({"alerts": [{"status": "firing"}, "oops"]}))


def test_the_condition_began_before_startsat_by_the_rule_range_and_pending_period():
    headers, body = load("alertmanager/firing")
    payload = json.loads(body)
    alert = payload["alerts"][0]
    alert["generatorURL"] = (
        "https://prometheus.example.internal/graph?g0.expr="
        "sum%28rate%28http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D%29%29%20%3E%200.05&g0.tab=1"
    )
    alert["annotations"]["description"] = "More than 5% of requests failed for 10 minutes."
    first = normalise("alertmanager", headers, json.dumps(payload).encode()).events[0]
    assert first.started_at == datetime(2025, 6, 6, 2, 4, 30, 112000, tzinfo=UTC)
