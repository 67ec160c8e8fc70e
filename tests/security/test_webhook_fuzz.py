"""Signed, mutated vendor deliveries to every webhook endpoint, through the test client and the
database (PostgreSQL in CI): never a 500; every request kept as a Trigger, verbatim; and once grouping
has run, every accepted trigger processed with each of its trigger events on a run, or refused with
its reason. None is left waiting, none fails, and nothing stored holds a NUL or a lone surrogate.

Each delivery arrives at the moment it was recorded, so signed PagerDuty and GitHub bodies stay
inside the replay horizon unless a mutation moves their time. ``FUZZ_EXAMPLES`` sets the examples per
endpoint (20 by default); when it is set, the figures of the run are printed at the end.
"""

import os
import time
from collections import Counter

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentdesk.intake.normalisers import NORMALISERS, normalise
from incidentdesk.models import Run, RunEvent, Trigger
from incidentdesk.services.grouping import triggers_process_pending
from tests.fuzz.test_webhook_views_fuzz import CONTENT_TYPES, _post
from tests.intake.test_normalisers_fuzz import FIXTURE_NAMES
from tests.intake.vendor_payloads import as_sent, load, load_parsed
from tests.security.webhook_mutations import (
    EVENT_HEADER_VALUES,
    EVENT_HEADERS,
    Raw,
    encode_json,
    mutate_form,
    mutate_json,
    not_json,
)

pytestmark = pytest.mark.django_db

SOURCES = sorted(NORMALISERS)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
FIXTURES_BY_SOURCE = {source: [n for n in FIXTURE_NAMES if n.startswith(f"{source}/")] for source in SOURCES}
# Replaced by the signature made for the mutated body.
SIGNING_HEADERS = ("content-type", "x-slack-signature", "x-slack-request-timestamp")

FIGURES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _figures(pytestconfig):
    started = time.monotonic()
    yield
    if "FUZZ_EXAMPLES" in os.environ:
        elapsed = time.monotonic() - started
        reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
        with pytestconfig.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
            sent = sum(FIGURES["sent", source] for source in SOURCES)
            reporter.write_line(f"\nwebhook fuzz: {sent} requests in {elapsed:.0f} s")
            for key, count in sorted(FIGURES.items(), key=lambda item: tuple(map(str, item[0]))):
                reporter.write_line(f"  {' '.join(map(str, key))}: {count}")


@pytest.fixture(autouse=True)
def _no_collection(monkeypatch):
    """Grouping is under test; opening a run must not start reading vendors."""
    monkeypatch.setattr("incidentdesk.services.collection.collection_enqueue", lambda **kw: True)


def _mutated_body(source: str, recorded, data: st.DataObject) -> bytes:
    if data.draw(st.integers(0, 9), label="not JSON at all") == 0:
        return not_json(data)
    if isinstance(recorded, str):
        return mutate_form(recorded, data)
    raw = Raw()
    payload = recorded
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        payload = mutate_json(source, payload, raw, data)
    return encode_json(payload, raw, data)


def _has_unstorable_text(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(_has_unstorable_text(k) or _has_unstorable_text(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_unstorable_text(v) for v in value)
    return False


def _assert_grouped(trigger: Trigger) -> None:
    """Every event of kind trigger sits on a run; what the runs and events keep is storable."""
    events = normalise(trigger.source, trigger.headers, bytes(trigger.body)).events
    placed = {event.index: event for event in RunEvent.objects.filter(trigger=trigger).select_related("run")}
    for index, event in enumerate(events):
        if event.kind == "trigger":
            assert index in placed, f"event {index} of trigger {trigger.pk} is on no run: {trigger.reason}"
    for event in placed.values():
        run: Run = event.run
        kept = [event.title, event.facts, run.title, run.service_hint, run.symptoms, run.links, run.dedup_key]
        assert not _has_unstorable_text(kept), kept


def _deliver(hooks, source: str, name: str, body: bytes, content_type: str, label: str, headers: dict
             ) -> Trigger:
    """Post one signed delivery, run grouping, and check what became of it; the trigger kept."""
    vendor_headers = {k: v for k, v in headers.items() if k.lower() not in SIGNING_HEADERS}
    vendor_headers.update({"X-Webhook-Id": label, "X-GitHub-Delivery": label})
    before = Trigger.objects.count()

    with as_sent(source, *load(name)):
        response = _post(hooks.client, source, body, content_type=content_type, sign=True, extra=vendor_headers)
        triggers_process_pending(limit=1000)

    FIGURES["sent", source] += 1
    FIGURES["status", source, response.status_code] += 1
    assert response.status_code < 500, response.content[:300]
    assert Trigger.objects.count() == before + 1, "every request is kept"
    FIGURES["stored", source] += 1
    trigger = Trigger.objects.order_by("-pk").first()
    reply = response.json()
    FIGURES["outcome", trigger.status] += 1
    assert trigger.http_status == response.status_code
    assert reply.get("trigger", trigger.pk) == trigger.pk
    if len(body) <= django_settings.HOOK_MAX_BODY_BYTES:
        assert bytes(trigger.body) == body, "kept verbatim"
    assert trigger.reason, f"trigger {trigger.pk} ({trigger.status}) says nothing of what became of it"
    assert not _has_unstorable_text([trigger.reason, trigger.headers, trigger.delivery_id])
    if response.status_code >= 400:
        assert trigger.status == Trigger.Status.REJECTED
        assert reply == {"status": "rejected", "reason": trigger.reason, "trigger": trigger.pk}
    else:
        assert trigger.status in (Trigger.Status.PROCESSED, Trigger.Status.DUPLICATE), trigger.reason
    if trigger.status == Trigger.Status.PROCESSED:
        _assert_grouped(trigger)
    assert not Trigger.objects.filter(status__in=[Trigger.Status.RECEIVED, Trigger.Status.FAILED]).exists()
    return trigger


@pytest.mark.parametrize("source", SOURCES)
@FUZZ
@given(data=st.data())
def test_signed_mutated_deliveries_are_kept_and_end_grouped_or_refused_with_a_reason(hooks, catalog, source, data):
    # Each example starts from the catalog alone, so that its deliveries are not all retries of
    # the previous examples'; within one, a few deliveries meet (join, resolve) and one may be resent.
    with transaction.atomic():
        for number in range(data.draw(st.integers(1, 3), label="deliveries")):
            name = data.draw(st.sampled_from(FIXTURES_BY_SOURCE[source]), label="fixture")
            headers, recorded = load_parsed(name)
            body = _mutated_body(source, recorded, data)
            content_type = headers.get("Content-Type", "application/json")
            if data.draw(st.integers(0, 5), label="another content type") == 0:
                content_type = data.draw(st.sampled_from(CONTENT_TYPES))
            if source in EVENT_HEADERS and data.draw(st.integers(0, 5), label="another event header") == 0:
                headers[EVENT_HEADERS[source]] = data.draw(st.sampled_from(EVENT_HEADER_VALUES))
            first = _deliver(hooks, source, name, body, content_type, f"delivery-{number}", headers)
            if data.draw(st.integers(0, 3), label="resent under a fresh label") == 0:
                again = _deliver(hooks, source, name, body, content_type, f"fresh-label-{number}", headers)
                if first.delivery_id and first.status != Trigger.Status.REJECTED:
                    assert again.status == Trigger.Status.DUPLICATE, again.reason
        transaction.set_rollback(True)
