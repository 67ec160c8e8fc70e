"""Whatever the bytes, a normaliser answers with a Delivery or a PayloadError, nothing else."""

import json

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentdesk.intake.events import Delivery, PayloadError
from incidentdesk.intake.normalisers import NORMALISERS, normalise
from tests.intake.vendor_payloads import FIXTURES, load_parsed

SOURCES = sorted(NORMALISERS)
FIXTURE_NAMES = sorted(str(path.relative_to(FIXTURES).with_suffix("")) for path in FIXTURES.glob("*/*.json"))

# Header values that steer the normalisers down each of their branches.
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": st.sampled_from(
            ["application/json", "application/x-www-form-urlencoded", "text/plain"]
        ),
        "X-GitHub-Event": st.sampled_from(["deployment_status", "workflow_run", "ping", ""]),
        "X-GitHub-Delivery": st.text(max_size=40),
        "Sentry-Hook-Resource": st.sampled_from(["issue", "event_alert", "installation", "metric_alert", ""]),
        "X-Webhook-Id": st.text(max_size=40),
        "X-Slack-Request-Timestamp": st.text(max_size=20),
    },
)
FIELD_NAMES = sorted(
    {
        key
        for name in FIXTURE_NAMES
        if isinstance(load_parsed(name)[1], dict)
        for key in json.dumps(load_parsed(name)[1]).split('"')[1::2]
        if key.isidentifier() or "_" in key
    }
)[:400]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(
        ["", "firing", "resolved", "failure", "success", "Triggered", "Recovered", "sev2", "P1", "message",
         "2025-06-05T10:02:11Z", "1749050101.000200", "0001-01-01T00:00:00Z", "/incident"]
    )
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=10), children, max_size=6),
    max_leaves=40,
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_only_delivery_or_payload_error(source: str, headers: dict[str, str], body: bytes) -> None:
    try:
        result = normalise(source, headers, body)
    except PayloadError:
        return
    assert isinstance(result, Delivery)
    assert result.source == source


def mutate(value: object, data: st.DataObject) -> object:
    """Replace a few nodes of a real payload with random JSON, keeping the rest of its shape."""
    if data.draw(st.integers(0, 9)) == 0:
        return data.draw(JSON_VALUES)
    if isinstance(value, dict):
        mutated = {key: mutate(child, data) for key, child in value.items()}
        if mutated and data.draw(st.integers(0, 9)) == 0:
            mutated.pop(data.draw(st.sampled_from(sorted(mutated))))
        return mutated
    if isinstance(value, list):
        return [mutate(child, data) for child in value]
    return value


WATCHED = override_settings(SLACK_WATCHED_CHANNELS=["C0OPS0001", "#ops"])


@WATCHED
@FUZZ
@given(source=st.sampled_from(SOURCES), headers=HEADERS, body=st.binary(max_size=512))
def test_random_bytes_never_raise_anything_but_payload_error(source, headers, body):
    assert_only_delivery_or_payload_error(source, headers, body)


@WATCHED
@FUZZ
@given(source=st.sampled_from(SOURCES), headers=HEADERS, payload=JSON_VALUES)
def test_random_json_never_raises_anything_but_payload_error(source, headers, payload):
    assert_only_delivery_or_payload_error(source, headers, json.dumps(payload).encode())


@WATCHED
@FUZZ
@given(name=st.sampled_from(FIXTURE_NAMES), data=st.data())
def test_mutated_vendor_payloads_never_raise_anything_but_payload_error(name, data):
    headers, payload = load_parsed(name)
    source = name.split("/")[0]
    if isinstance(payload, str):
        names = st.sampled_from(["command", "text", "trigger_id", "payload"])
        fields = data.draw(st.dictionaries(names, st.text()))
        body = "&".join(f"{key}={value}" for key, value in fields.items()).encode("utf-8", "surrogatepass")
    else:
        body = json.dumps(mutate(payload, data)).encode()
    assert_only_delivery_or_payload_error(source, headers, body)


@WATCHED
@FUZZ
@given(source=st.sampled_from(SOURCES), text=st.text(max_size=200))
def test_random_form_text_never_raises_anything_but_payload_error(source, text):
    body = text.encode("utf-8", "surrogatepass")
    assert_only_delivery_or_payload_error(source, {"Content-Type": "application/x-www-form-urlencoded"}, body)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
    ],
)
def test_unreadable_bodies_are_payload_errors_with_a_reason(source, body, reason):
    with pytest.raises(PayloadError, match=reason):
        normalise(source, {"Content-Type": "application/json"}, body)


@pytest.mark.parametrize("source", [source for source in SOURCES if source != "slack"])
@pytest.mark.parametrize("body", [b"", b"not json", b"{'single': 'quotes'}"])
def test_a_body_that_is_not_json_is_a_payload_error(source, body):
    with pytest.raises(PayloadError, match="not JSON"):
        normalise(source, {"Content-Type": "application/json"}, body)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null", b"true"])
def test_a_top_level_value_that_is_not_an_object_is_a_payload_error(source, body):
    with pytest.raises(PayloadError):
        normalise(source, {"Content-Type": "application/json"}, body)


def test_an_unknown_source_is_a_payload_error():
    with pytest.raises(PayloadError, match="unknown source 'nagios'"):
        normalise("nagios", {}, b"{}")


def test_overlong_ids_are_hashed_so_retries_still_match_and_names_are_cut():
    payload = {"id": "x" * 5000, "service": "s" * 5000, "summary": "long", "incident_key": "k" * 5000}
    body = json.dumps(payload).encode()

    first = normalise("generic", {}, body)
    again = normalise("generic", {}, body)

    assert first.delivery_id == again.delivery_id
    assert len(first.delivery_id) <= 200
    assert len(first.events[0].vendor_key) <= 200
    assert first.events[0].vendor_key == again.events[0].vendor_key
    assert len(first.events[0].service_name) == 150
