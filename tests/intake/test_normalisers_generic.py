import hashlib
from datetime import UTC, datetime

import pytest

from incidentdesk.intake.events import PayloadError
from incidentdesk.intake.normalisers import normalise
from tests.intake.vendor_payloads import encode, load, load_parsed


def test_a_support_spike_opens_a_run_for_its_service():
    headers, body = load("generic/support_spike")
    delivery = normalise("generic", headers, body)
    event = delivery.events[0]

    assert event.kind == "trigger"
    assert event.service_name == "mobile-api"
    assert event.title == "Spike in tickets: app shows empty order history"
    assert event.vendor_key is None
    assert event.started_at == datetime(2025, 6, 7, 7, 12, tzinfo=UTC)
    assert event.links == ("https://support.example.com/views/spikes/3310",)
    assert "count 52 against a baseline of 4 over 30 min" in event.symptoms
    assert event.attributes["category"] == "support_spike"
    assert event.reports_data_exposure is False


def test_without_an_id_a_retry_of_the_same_bytes_has_the_same_delivery_id():
    headers, body = load("generic/support_spike")

    assert normalise("generic", headers, body).delivery_id == hashlib.sha256(body).hexdigest()


def test_a_given_id_is_the_delivery_id():
    assert normalise("generic", *load("generic/security_report")).delivery_id == "sec-2025-0611"


def test_a_security_report_says_it_reports_data_exposure_and_its_severity():
    event = normalise("generic", *load("generic/security_report")).events[0]

    assert event.reports_data_exposure is True
    assert event.severity_hint == "sev1"
    assert event.vendor_key == "generic:sec-accounts-tokens"
    assert event.title == "Session tokens logged in plaintext"
    assert len(event.links) == 2


@pytest.mark.parametrize("kind", ["security", "data_exposure", "privacy"])
def test_a_data_exposure_kind_reports_exposure(kind):
    headers, payload = load_parsed("generic/support_spike")
    payload["kind"] = kind

    assert normalise("generic", headers, encode(payload)).events[0].reports_data_exposure is True


def test_exposure_is_never_inferred_from_text_or_tags():
    headers, payload = load_parsed("generic/support_spike")
    payload["summary"] = "Customers see another customer's personal data"
    payload["tags"] = ["privacy", "data_exposure"]
    payload["data_exposure"] = "yes"

    assert normalise("generic", headers, encode(payload)).events[0].reports_data_exposure is False


def test_a_resolved_status_resolves_the_same_incident_key():
    headers, payload = load_parsed("generic/security_report")
    opened = normalise("generic", headers, encode(payload)).events[0]
    payload.update(status="resolved", id="sec-2025-0611-resolved")

    resolved = normalise("generic", headers, encode(payload)).events[0]

    assert resolved.kind == "resolve"
    assert resolved.vendor_key == opened.vendor_key


def test_a_dedup_key_groups_like_an_incident_key():
    headers, payload = load_parsed("generic/support_spike")
    payload["dedup_key"] = "mobile-orders-empty"

    event = normalise("generic", headers, encode(payload)).events[0]

    assert event.vendor_key == "generic:mobile-orders-empty"


def test_a_severity_on_another_scale_is_kept_but_not_mapped():
    headers, payload = load_parsed("generic/support_spike")
    payload["severity"] = "critical"

    event = normalise("generic", headers, encode(payload)).events[0]

    assert event.severity_hint is None
    assert event.attributes["severity"] == "critical"


@pytest.mark.parametrize(
    ("drop", "reason"),
    [("service", "missing required field service"), ("summary", "missing required field summary")],
)
def test_it_names_the_missing_required_field(drop, reason):
    headers, payload = load_parsed("generic/support_spike")
    del payload[drop]

    with pytest.raises(PayloadError, match=reason):
        normalise("generic", headers, encode(payload))


def test_an_unknown_status_is_rejected():
    headers, payload = load_parsed("generic/support_spike")
    payload["status"] = "acknowledged"

    with pytest.raises(PayloadError, match="status must be one of"):
        normalise("generic", headers, encode(payload))


@pytest.mark.parametrize("status, kind", [("down", "trigger"), ("failing", "trigger"), ("up", "resolve"),
                                          ("ok", "resolve")])
def test_a_checkers_own_status_words_are_understood(status, kind):
    headers, payload = load_parsed("generic/support_spike")
    payload["status"] = status

    assert normalise("generic", headers, encode(payload)).events[0].kind == kind


def test_a_checker_payload_with_a_name_and_failing_since_is_read():
    payload = {"service": "checkout-api", "name": "checkout /health/deep", "status": "down",
               "failing_since": "2026-05-26T21:05:10Z", "url": "https://checkout.example/health/deep"}

    event = normalise("generic", {}, encode(payload)).events[0]

    assert event.title == "checkout /health/deep" and event.kind == "trigger"
    assert event.started_at.isoformat() == "2026-05-26T21:05:10+00:00"
    assert "https://checkout.example/health/deep" in event.links
