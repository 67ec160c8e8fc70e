"""Every vendor's recorded delivery, signed as the vendor signs it, through the webhook view."""

import pytest

from incidentdesk.intake.normalisers import normalise
from incidentdesk.models import Run, RunEvent, Trigger
from incidentdesk.services.grouping import trigger_process
from tests.intake.vendor_payloads import as_sent, load

pytestmark = pytest.mark.django_db

# A trigger of each vendor, and the catalog service it names (through names, aliases or repos).
DELIVERIES = [
    ("pagerduty/incident_triggered", "pagerduty"),
    ("datadog/monitor_triggered", "datadog"),
    ("datadog/synthetics_triggered", "datadog"),
    ("datadog/slo_alert_triggered", "datadog"),
    ("sentry/issue_created", "sentry"),
    ("sentry/event_alert_triggered", "sentry"),
    ("slack/slash_incident", "slack"),
    ("slack/message", "slack"),
    ("github/deployment_status_failure", "github"),
    ("github/workflow_run_failure", "github"),
    ("alertmanager/firing", "alertmanager"),
    ("generic/support_spike", "generic"),
]


@pytest.fixture(autouse=True)
def _no_collection(monkeypatch):
    monkeypatch.setattr("incidentdesk.services.collection.collection_enqueue", lambda **kw: True)


def process_all() -> None:
    for trigger in Trigger.objects.filter(status=Trigger.Status.RECEIVED).order_by("pk"):
        trigger_process(trigger_id=trigger.pk)


@pytest.mark.parametrize("fixture, source", DELIVERIES)
def test_a_vendor_delivery_opens_one_run_and_its_retry_is_acknowledged_once(hooks, catalog, fixture, source):
    headers, body = load(fixture)
    content_type = headers.pop("Content-Type", "application/json")
    with as_sent(source, headers, body):
        first = hooks.post(source, body, headers=headers, content_type=content_type)
        retry = hooks.post(source, body, headers=headers, content_type=content_type)
        process_all()
    assert first.status_code in (200, 202), first.content
    assert retry.status_code == 200
    assert Trigger.objects.filter(status=Trigger.Status.DUPLICATE).count() == 1
    expected = [e for e in normalise(source, headers, body).events if e.kind == "trigger"]
    assert expected, "the fixture is a trigger"
    # One run per vendor incident in the delivery (Alertmanager groups several alerts), one event each.
    assert RunEvent.objects.count() == len(expected)
    assert Run.objects.count() == len({e.vendor_key or e.service_name for e in expected})
    assert all(run.trigger_source == source and run.title for run in Run.objects.all())
