"""A signed body resent after its vendor has stopped sending it is a replay: kept, refused with its
reason, and never grouped, whatever delivery header it comes under."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incidentdesk import clock
from incidentdesk.intake.horizon import replay_refusal
from incidentdesk.intake.normalisers import normalise
from incidentdesk.models import Run, RunEvent, Trigger
from incidentdesk.services.grouping import triggers_process_pending
from tests.intake.test_intake_flow import pagerduty
from tests.intake.vendor_payloads import encode, load, load_parsed

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# The documented defaults: PagerDuty retries for up to 48 h, GitHub.com redelivers for 3 days; a day more.
HORIZON_HOURS = {"pagerduty": 72, "github": 96}
LABEL_HEADER = {"pagerduty": "X-Webhook-Id", "github": "X-GitHub-Delivery"}
# Captured deliveries, and when their signed body says they were made.
SENT_AT = {
    "pagerduty/incident_triggered": datetime(2025, 6, 2, 8, 41, 8, 311000, tzinfo=UTC),
    "github/deployment_status_failure": datetime(2025, 6, 5, 10, 2, 11, tzinfo=UTC),
    "github/workflow_run_failure": datetime(2025, 6, 5, 9, 52, 44, tzinfo=UTC),
}
CAPTURED = sorted(SENT_AT)


@pytest.fixture(autouse=True)
def _no_collection(monkeypatch):
    monkeypatch.setattr("incidentdesk.services.collection.collection_enqueue", lambda **kw: True)


def _source(name: str) -> str:
    return name.split("/")[0]


def _horizon_edge(name: str) -> datetime:
    return SENT_AT[name] + timedelta(hours=HORIZON_HOURS[_source(name)])


def _post_captured(hooks, name: str, label: str, *, at: datetime):
    """The recorded body, byte for byte, under a delivery header of the sender's choosing."""
    headers, body = load(name)
    headers[LABEL_HEADER[_source(name)]] = label
    with clock.frozen_at(at):
        response = hooks.post(_source(name), body, headers=headers, content_type=headers.pop("Content-Type"))
        triggers_process_pending()
    return response


@pytest.mark.parametrize("name", CAPTURED)
def test_a_captured_body_resent_under_a_fresh_label_after_the_horizon_is_refused_and_kept(hooks, catalog, name):
    source = _source(name)

    response = _post_captured(hooks, name, "fresh-label", at=_horizon_edge(name) + timedelta(hours=1))

    assert response.status_code == 422
    reply = response.json()
    assert reply["status"] == "rejected"
    assert f"older than the {HORIZON_HOURS[source]}-hour replay horizon for {source}" in reply["reason"]
    assert f"HOOK_REPLAY_HORIZON_HOURS_{source.upper()}" in reply["reason"]
    trigger = Trigger.objects.get(pk=reply["trigger"])
    assert trigger.status == Trigger.Status.REJECTED and trigger.http_status == 422
    assert trigger.reason == reply["reason"]
    assert bytes(trigger.body) == load(name)[1]
    assert {k.lower(): v for k, v in trigger.headers.items()}[LABEL_HEADER[source].lower()] == "fresh-label"
    assert not Run.objects.exists() and not RunEvent.objects.exists()


@pytest.mark.parametrize("name", CAPTURED)
def test_a_replay_after_the_horizon_is_refused_even_when_the_original_was_taken(hooks, catalog, name):
    original = _post_captured(hooks, name, "original", at=SENT_AT[name] + timedelta(seconds=5))

    replay = _post_captured(hooks, name, "fresh-label", at=_horizon_edge(name) + timedelta(minutes=1))

    assert original.status_code == 202
    assert replay.status_code == 422 and "replay horizon" in replay.json()["reason"]
    assert Run.objects.count() == 1
    assert Trigger.objects.get(pk=original.json()["trigger"]).status == Trigger.Status.PROCESSED


@pytest.mark.parametrize("name", CAPTURED)
def test_a_delivery_inside_the_horizon_is_taken_and_grouped(hooks, catalog, name):
    just_inside = _horizon_edge(name) - timedelta(minutes=1)

    response = _post_captured(hooks, name, "late-but-in-time", at=just_inside)

    assert response.status_code == 202
    trigger = Trigger.objects.get(pk=response.json()["trigger"])
    assert trigger.status == Trigger.Status.PROCESSED
    assert RunEvent.objects.filter(trigger=trigger).exists()


@pytest.mark.parametrize("name", CAPTURED)
def test_a_replay_inside_the_horizon_is_a_duplicate_of_the_original(hooks, catalog, name):
    original = _post_captured(hooks, name, "original", at=SENT_AT[name] + timedelta(seconds=5))

    replay = _post_captured(hooks, name, "fresh-label", at=SENT_AT[name] + timedelta(hours=2))

    assert replay.status_code == 200
    assert replay.json()["status"] == "duplicate" and replay.json()["original"] == original.json()["trigger"]


def test_a_fresh_pagerduty_event_is_taken(hooks, catalog):
    response = hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "fresh"})
    triggers_process_pending()

    assert response.status_code == 202
    assert Run.objects.get().trigger_source == "pagerduty"


def test_a_fresh_github_deployment_status_is_taken(hooks, catalog):
    headers, payload = load_parsed("github/deployment_status_failure")
    now = clock.now().isoformat()
    payload["deployment_status"].update(created_at=now, updated_at=now)

    response = hooks.post("github", encode(payload), headers=headers, content_type=headers.pop("Content-Type"))

    assert response.status_code == 202


def test_the_horizon_is_measured_from_the_latest_time_github_signed(hooks, catalog):
    """A deployment status updated after it was created was sent after the update."""
    headers, payload = load_parsed("github/deployment_status_failure")
    month_ago = clock.now() - timedelta(days=30)
    payload["deployment_status"].update(created_at=month_ago.isoformat(), updated_at=clock.now().isoformat())

    response = hooks.post("github", encode(payload), headers=headers, content_type=headers.pop("Content-Type"))

    assert response.status_code == 202


def test_the_horizon_is_a_setting(hooks, catalog, settings):
    settings.HOOK_REPLAY_HORIZON_HOURS = {**settings.HOOK_REPLAY_HORIZON_HOURS, "pagerduty": 1}
    with clock.frozen_at(clock.now() - timedelta(hours=2)):
        two_hours_old = pagerduty("incident.triggered", event_id="old")
    with clock.frozen_at(clock.now() - timedelta(minutes=30)):
        half_an_hour_old = pagerduty("incident.triggered", event_id="recent")

    refused = hooks.post("pagerduty", two_hours_old)
    taken = hooks.post("pagerduty", half_an_hour_old)

    assert refused.status_code == 422 and "1-hour replay horizon" in refused.json()["reason"]
    assert taken.status_code == 202


def test_a_signed_body_without_a_readable_time_is_left_to_dedup(hooks, catalog):
    payload = pagerduty("incident.triggered")
    payload["event"]["occurred_at"] = "not a time"

    first = hooks.post("pagerduty", payload, headers={"X-Webhook-Id": "a"})
    again = hooks.post("pagerduty", payload, headers={"X-Webhook-Id": "b"})

    assert first.status_code == 202
    assert again.json()["status"] == "duplicate"


# Sentry's times say when the error was seen (an issue is resolved long after), Alertmanager re-sends
# a firing alert with its first startsAt, and bearer-authenticated bodies are not signed at all.
UNSIGNED_TIMES = ["sentry/issue_resolved", "sentry/event_alert_triggered", "alertmanager/firing",
                  "datadog/monitor_triggered", "generic/support_spike"]


@pytest.mark.parametrize("name", UNSIGNED_TIMES)
def test_sources_whose_bodies_carry_no_signed_time_of_sending_are_never_refused_as_replays(hooks, catalog, name):
    headers, body = load(name)
    content_type = headers.pop("Content-Type", "application/json")

    with clock.frozen_at(clock.now() + timedelta(days=365)):
        response = hooks.post(_source(name), body, headers=headers, content_type=content_type)

    assert response.status_code in (200, 202), response.json()


@pytest.mark.parametrize("source", sorted(HORIZON_HOURS))
def test_the_horizon_s_edge_is_still_inside(source):
    now = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    edge = now - timedelta(hours=HORIZON_HOURS[source])

    assert replay_refusal(source=source, signed_at=edge, now=now, horizon_hours=HORIZON_HOURS) is None
    assert replay_refusal(source=source, signed_at=edge - timedelta(seconds=1), now=now, horizon_hours=HORIZON_HOURS)


def test_the_defaults_are_the_documented_ones(settings):
    assert settings.HOOK_REPLAY_HORIZON_HOURS == HORIZON_HOURS


@pytest.mark.parametrize(
    ("name", "field"),
    [("pagerduty/incident_triggered", ("event", "occurred_at")),
     ("github/deployment_status_failure", ("deployment_status", "updated_at")),
     ("github/workflow_run_failure", ("workflow_run", "updated_at"))],
)
def test_the_signed_time_is_read_from_the_body_the_signature_covers(name, field):
    headers, payload = load_parsed(name)
    outer, inner = field
    payload[outer][inner] = "2026-01-02T03:04:05Z"
    if _source(name) == "github":
        payload[outer]["created_at"] = "2026-01-01T00:00:00Z"

    delivery = normalise(_source(name), headers, json.dumps(payload).encode())

    assert delivery.signed_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_horizon_that_is_not_above_zero_stops_the_desk(value):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOK_")}
    env.update(DJANGO_SETTINGS_MODULE="incidentdesk.settings", DJANGO_DEBUG="1",
               HOOK_REPLAY_HORIZON_HOURS_GITHUB=value)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode != 0
    assert "HOOK_REPLAY_HORIZON_HOURS_GITHUB must be a number of hours above 0" in result.stderr
