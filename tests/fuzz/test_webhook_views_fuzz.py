"""Every webhook endpoint, through the Django test client and the database, with bytes no vendor
should send: random and mutated vendor payloads, wrong content types, huge and deeply nested JSON.

Whatever arrives: never a 500; a rejection is a 4xx with its reason and the attempt kept as a
Trigger row; an unverified request never opens a run; what was accepted groups without failing.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentdesk.intake.normalisers import NORMALISERS
from incidentdesk.models import Run, Trigger
from incidentdesk.services.grouping import triggers_process_pending
from tests.conftest import signed_headers
from tests.intake.vendor_payloads import FIXTURES, as_sent, load

pytestmark = pytest.mark.django_db

SOURCES = sorted(NORMALISERS)
FIXTURE_NAMES = sorted(str(p.relative_to(FIXTURES).with_suffix("")) for p in FIXTURES.glob("*/*.json"))
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain", "application/xml",
                 "multipart/form-data; boundary=xyz", "multipart/form-data", "application/octet-stream", ""]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


def _mutate(body: bytes, data: st.DataObject) -> bytes:
    """A vendor payload with a slice cut, bytes flipped, or one of its JSON values replaced."""
    how = data.draw(st.sampled_from(["truncate", "flip", "replace", "drop"]))
    if how == "truncate":
        return body[: data.draw(st.integers(0, len(body)))]
    if how == "flip":
        raw = bytearray(body)
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        return bytes(raw)
    try:
        parsed = json.loads(body)
    except ValueError:
        return body + data.draw(st.binary(max_size=20))
    if not isinstance(parsed, dict) or not parsed:
        return json.dumps(data.draw(JSON_VALUES)).encode()
    target = parsed
    # Walk down a few levels so that nested vendor fields get hit too.
    for _ in range(data.draw(st.integers(0, 3))):
        nested = [k for k, v in target.items() if isinstance(v, dict) and v]
        if not nested:
            break
        target = target[data.draw(st.sampled_from(sorted(nested)))]
    key = data.draw(st.sampled_from(sorted(target)))
    if how == "drop":
        del target[key]
    else:
        target[key] = data.draw(JSON_VALUES)
    return json.dumps(parsed).encode()


def _post(client, source: str, body: bytes, *, content_type: str, sign: bool, extra: dict | None = None):
    headers = dict(signed_headers(source, body)) if sign else {}
    headers.update(extra or {})
    return client.post(f"/hooks/{source}/", data=body, content_type=content_type, headers=headers)


def _assert_answered_cleanly(response) -> None:
    assert response.status_code < 500, response.content[:300]
    body = response.json()
    if response.status_code >= 400:
        assert body["status"] == "rejected" and body["reason"], body
        trigger = Trigger.objects.get(pk=body["trigger"])
        assert trigger.status == Trigger.Status.REJECTED and trigger.http_status == response.status_code


def _group_and_check() -> None:
    triggers_process_pending(limit=1000)
    assert not Trigger.objects.filter(status=Trigger.Status.FAILED).exists()
    assert not Trigger.objects.filter(status=Trigger.Status.RECEIVED).exists()


@FUZZ
@given(data=st.data())
def test_mutated_vendor_payloads_signed_correctly_never_get_a_500(hooks, catalog, data):
    name = data.draw(st.sampled_from(FIXTURE_NAMES))
    headers, body = load(name)
    source = name.split("/")[0]
    mutated = _mutate(body, data)
    content_type = data.draw(st.sampled_from(CONTENT_TYPES))
    extra = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "x-slack-signature",
                                                                   "x-slack-request-timestamp")}
    before = Trigger.objects.count()
    with as_sent(source, headers, body):  # inside the replay horizon, unless the mutation moved its time
        response = _post(hooks.client, source, mutated, content_type=content_type, sign=True, extra=extra)
    _assert_answered_cleanly(response)
    assert Trigger.objects.count() == before + 1, "every attempt is kept"
    _group_and_check()


@FUZZ
@given(data=st.data())
def test_unverified_requests_are_refused_with_401_and_open_no_run(hooks, catalog, data):
    source = data.draw(st.sampled_from(SOURCES))
    if data.draw(st.booleans()):
        _, body = load(data.draw(st.sampled_from([n for n in FIXTURE_NAMES if n.startswith(source)])))
        body = _mutate(body, data) if data.draw(st.booleans()) else body
    else:
        body = data.draw(st.binary(max_size=2000))
    forged = data.draw(st.sampled_from([
        {}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic Og=="}, {"X-PagerDuty-Signature": "v1=00"},
        {"Sentry-Hook-Signature": "zz"}, {"X-Hub-Signature-256": "sha256="},
        {"X-Slack-Signature": "v0=00", "X-Slack-Request-Timestamp": "1"},
    ]))
    runs = Run.objects.count()
    response = _post(hooks.client, source, body, content_type=data.draw(st.sampled_from(CONTENT_TYPES)),
                     sign=False, extra=forged)
    _assert_answered_cleanly(response)
    assert response.status_code == 401
    _group_and_check()
    assert Run.objects.count() == runs


@FUZZ
@given(source=st.sampled_from(SOURCES), body=st.binary(max_size=3000), content_type=st.sampled_from(CONTENT_TYPES))
def test_random_bytes_signed_correctly_get_a_clear_answer(hooks, catalog, source, body, content_type):
    response = _post(hooks.client, source, body, content_type=content_type, sign=True)
    _assert_answered_cleanly(response)
    _group_and_check()


@FUZZ
@given(source=st.sampled_from(SOURCES), value=JSON_VALUES)
def test_random_json_signed_correctly_gets_a_clear_answer(hooks, catalog, source, value):
    response = _post(hooks.client, source, json.dumps(value).encode(), content_type="application/json", sign=True)
    _assert_answered_cleanly(response)
    _group_and_check()


@pytest.mark.parametrize("source", SOURCES)
def test_a_body_over_the_limit_gets_413_and_is_kept_cut(hooks, catalog, settings, source):
    huge = json.dumps({"summary": "x" * (settings.HOOK_MAX_BODY_BYTES + 10), "service": "checkout-api"}).encode()
    response = _post(hooks.client, source, huge, content_type="application/json", sign=True)
    assert response.status_code == 413
    trigger = Trigger.objects.get(pk=response.json()["trigger"])
    assert len(bytes(trigger.body)) == settings.HOOK_MAX_BODY_BYTES
    assert not Run.objects.exists()


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("shape", ["array", "object", "inside_a_vendor_field"])
def test_deeply_nested_json_gets_400_not_a_crash(hooks, catalog, source, shape):
    depth = 50_000
    if shape == "array":
        body = b"[" * depth + b"]" * depth
    elif shape == "object":
        body = b'{"a":' * depth + b"1" + b"}" * depth
    else:
        nested = b'{"a":' * depth + b"1" + b"}" * depth
        body = b'{"service":"checkout-api","summary":"deep","event":' + nested + b',"data":' + nested + b"}"
    response = _post(hooks.client, source, body, content_type="application/json", sign=True)
    _assert_answered_cleanly(response)
    assert response.status_code in (400, 413)
    _group_and_check()
    assert not Run.objects.exists()


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize("source", SOURCES)
def test_a_valid_payload_under_a_wrong_content_type_is_answered_without_a_500(hooks, catalog, source, content_type):
    name = next(n for n in FIXTURE_NAMES if n.startswith(source))
    headers, body = load(name)
    extra = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "x-slack-signature",
                                                                   "x-slack-request-timestamp")}
    with as_sent(source, headers, body):
        response = _post(hooks.client, source, body, content_type=content_type, sign=True, extra=extra)
    _assert_answered_cleanly(response)
    _group_and_check()


def test_an_unknown_source_gets_404_and_the_attempt_is_kept(hooks, catalog):
    response = _post(hooks.client, "nagios", b'{"host": "x"}', content_type="application/json", sign=False)
    assert response.status_code == 404
    assert Trigger.objects.get(pk=response.json()["trigger"]).source == "nagios"


@pytest.mark.parametrize("method", ["get", "head", "put", "delete", "patch", "options"])
def test_other_methods_are_refused_with_405_and_kept(hooks, method):
    response = getattr(hooks.client, method)("/hooks/generic/")
    assert response.status_code == 405 and response["Allow"] == "POST"
    trigger = Trigger.objects.get()
    assert trigger.status == Trigger.Status.REJECTED and trigger.http_status == 405
    assert method.upper() in trigger.reason


def test_an_oversized_body_is_reported_at_its_declared_size(hooks, catalog, settings):
    huge = b'{"summary": "' + b"x" * (settings.HOOK_MAX_BODY_BYTES * 2) + b'"}'
    response = _post(hooks.client, "generic", huge, content_type="application/json", sign=True)
    assert response.status_code == 413
    assert f"body of {len(huge)} bytes exceeds" in response.json()["reason"]
