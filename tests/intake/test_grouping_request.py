"""The grouping request: one task however many webhooks, and no trigger left behind by the lease."""

import pytest

from incidentdesk.celery import app
from incidentdesk.models import Run, Trigger
from incidentdesk.services import grouping_request as request
from incidentdesk.tasks import process_triggers
from tests.intake.test_intake_flow import alertmanager
from tests.workers import celery_reconnect, redis_url

pytestmark = pytest.mark.django_db(transaction=True)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def broker(monkeypatch):
    """Celery on the test Redis, not eager; tasks are counted instead of queued."""
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=redis_url(), task_always_eager=False)
    celery_reconnect()
    clock = Clock()
    monkeypatch.setattr(request.time, "monotonic", clock)
    queued = []
    monkeypatch.setattr(process_triggers, "apply_async", lambda args, countdown: queued.append(clock.now))
    client = request._broker_redis()
    client.delete(request.GROUPING_REQUESTED_KEY)
    yield clock, queued, client
    client.delete(request.GROUPING_REQUESTED_KEY)
    app.conf.update(**saved)
    celery_reconnect()


def test_webhooks_queue_one_task_and_ask_redis_again_only_once_the_lease_is_over(broker):
    clock, queued, client = broker
    assert request.grouping_request() and queued == [1000.0]
    assert client.get(request.GROUPING_REQUESTED_KEY) == b"1"

    # Within the lease the process does not ask: even a key gone meanwhile queues nothing.
    client.delete(request.GROUPING_REQUESTED_KEY)
    clock.now += request.LEASE_SECONDS / 2
    assert request.grouping_request() and queued == [1000.0]

    # After it, it asks again, finds no request and queues a task.
    clock.now += request.LEASE_SECONDS
    assert request.grouping_request() and len(queued) == 2
    # A key set by someone else is trusted the same way.
    clock.now += 2 * request.LEASE_SECONDS
    assert request.grouping_request() and len(queued) == 2


def test_the_task_waits_out_the_lease_before_its_last_look_so_a_trusting_webhook_is_grouped(
        broker, hooks, catalog, monkeypatch):
    clock, queued, client = broker
    monkeypatch.setattr("incidentdesk.services.collection.collection_enqueue", lambda **kw: True)
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        if seconds == request.LEASE_SECONDS and len(waits) == 1:
            # A web process that saw the request set just before the clear trusts it still,
            # so its trigger arrives without a new task being queued.
            hooks.post("alertmanager", alertmanager("firing", service="payments-gateway"))

    monkeypatch.setattr("incidentdesk.tasks.time.sleep", sleep)
    client.set(request.GROUPING_REQUESTED_KEY, "1")
    assert request.grouping_request() and queued == []  # the process now trusts the request
    result = process_triggers.apply().get()

    assert waits[0] == request.LEASE_SECONDS
    assert queued == [], "the trusting webhook queued no task"
    assert result == "1 triggers grouped"
    assert Trigger.objects.get().status == Trigger.Status.PROCESSED
    assert Run.objects.get().service.name == "payments-gateway"
    assert client.get(request.GROUPING_REQUESTED_KEY) is None


def test_a_broker_that_is_down_is_reported_and_no_lease_is_taken(broker):
    clock, queued, client = broker
    app.conf.update(broker_url="redis://127.0.0.1:9/0")
    request._redis_clients.clear()
    assert request.grouping_request() is False
    assert request._trusted_until == 0.0 and queued == []
