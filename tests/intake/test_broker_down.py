"""A dead broker loses nothing: webhooks still get their 2xx and the sweeper processes them later."""

import time

import pytest

from incidentdesk.celery import app
from incidentdesk.models import Run, Trigger
from incidentdesk.services.sweeper import sweep_run
from tests.intake.test_intake_flow import alertmanager, pagerduty
from tests.workers import celery_reconnect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dead_broker():
    """Point Celery at a port where nothing listens, as when Redis is down."""
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url="redis://127.0.0.1:9/0", task_always_eager=False)
    celery_reconnect()
    yield
    app.conf.update(**saved)
    celery_reconnect()


@pytest.fixture(autouse=True)
def _no_collection(monkeypatch):
    monkeypatch.setattr("incidentdesk.services.collection.collection_enqueue", lambda **kw: True)


def test_webhooks_are_accepted_while_the_broker_is_down_and_processed_by_the_sweeper(hooks, catalog, dead_broker):
    started = time.monotonic()
    replies = [
        hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "a"}),
        hooks.post("alertmanager", alertmanager("firing", service="payments-gateway")),
        hooks.post("generic", {"service": "status-page", "summary": "support tickets up 10x"}),
    ]
    elapsed = time.monotonic() - started
    assert [r.status_code for r in replies] == [202, 202, 202]
    assert elapsed < 10, "a dead broker must not hold the replies"
    assert Trigger.objects.filter(status=Trigger.Status.RECEIVED, enqueued_at__isnull=True).count() == 3
    assert not Run.objects.exists()

    # While the broker is still down the sweeper leaves them waiting.
    assert sweep_run()["triggers"] == 0
    assert Trigger.objects.filter(status=Trigger.Status.RECEIVED).count() == 3

    # The broker is back (here: tasks run in process), and the next sweep gets every one through.
    app.conf.update(task_always_eager=True)
    result = sweep_run()
    assert result["triggers"] == 3
    assert Trigger.objects.filter(status=Trigger.Status.PROCESSED).count() == 3
    assert set(Run.objects.values_list("service__name", flat=True)) == {"checkout-api", "payments-gateway", "status-page"}


def test_the_sweeper_does_not_process_a_trigger_twice(hooks, catalog):
    hooks.post("generic", {"service": "status-page", "summary": "support tickets up 10x"})
    assert Trigger.objects.get().status == Trigger.Status.PROCESSED
    Trigger.objects.update(enqueued_at=None)  # as if the enqueue had never been recorded
    sweep_run()
    assert Run.objects.count() == 1
    assert Run.objects.get().events.count() == 1
