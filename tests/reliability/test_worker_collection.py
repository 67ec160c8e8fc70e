"""A real Celery worker on Redis: a webhook becomes a packet, and a killed worker loses nothing."""

import os
import signal

import pytest
from django.db.models import Count

from incidentdesk.models import Evidence, Run, SourceCollection, Trigger
from incidentdesk.services.sweeper import sweep_run
from tests.intake.test_intake_flow import alertmanager, pagerduty
from tests.reliability.fake_prometheus import FakePrometheus
from tests.workers import Worker, wait_for

pytestmark = [pytest.mark.celery_worker]


def _finished_run() -> Run | None:
    return Run.objects.filter(collection=Run.Collection.DONE, packets__isnull=False).first()


def test_a_real_worker_turns_a_webhook_into_a_packet(celery_worker, hooks, catalog):
    response = hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "w-1"})
    assert response.status_code == 202
    run = wait_for(_finished_run, timeout=60, what="the worker to build a packet")
    packet = run.packets.order_by("-version").first()
    assert packet.data["service"] == "checkout-api"
    # Nothing is configured on this worker: every source is a gap, and the packet says so.
    assert {g["source"] for g in packet.data["gaps"]} >= {"deploys", "logs", "metrics"}
    assert all(c.finished for c in run.collections.all())


def test_a_worker_killed_mid_collection_leaves_a_complete_run_without_duplicates(celery_worker_env, hooks, catalog):
    with FakePrometheus(hold_first=30) as prometheus:
        env = dict(celery_worker_env, PROMETHEUS_URL=prometheus.url, COLLECT_SOURCE_DEADLINE_SECONDS="10",
                   COLLECT_RUN_DEADLINE_SECONDS="60")
        worker = Worker(env, concurrency=2)
        worker.start()
        try:
            hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "w-2"})
            assert prometheus.first_request.wait(60), "the metrics collection never reached Prometheus"
            children = worker.children()
            assert children
            for pid in children:
                os.kill(pid, signal.SIGKILL)  # mid-request: the task dies unacknowledged
            prometheus.release.set()
            run = wait_for(_finished_run, timeout=90, what="the run to complete after the kill")
        finally:
            worker.stop()
    metrics = SourceCollection.objects.get(run=run, source="metrics")
    assert metrics.state == SourceCollection.State.DONE
    assert metrics.attempts >= 2, "the killed collection was run again"
    assert Evidence.objects.filter(run=run, source="metrics").exists()
    duplicates = (Evidence.objects.filter(run=run).values("source", "ref").annotate(n=Count("id")).filter(n__gt=1))
    assert not duplicates.exists()
    assert len(prometheus.requests) > 1


def test_a_thread_pool_worker_killed_mid_collection_is_made_good_by_the_sweeper(
        celery_worker_env, hooks, catalog, settings):
    """The Procfile's worker is one process of threads: killed, it takes every task it held,
    the grouping task's request in Redis included, until that request expires."""
    settings.SWEEP_STALE_SECONDS = 5
    with FakePrometheus(hold_first=30) as prometheus:
        env = dict(celery_worker_env, PROMETHEUS_URL=prometheus.url, COLLECT_SOURCE_DEADLINE_SECONDS="10",
                   COLLECT_RUN_DEADLINE_SECONDS="3")
        worker = Worker(env, concurrency=8, pool="threads")
        replacement = Worker(env, concurrency=8, pool="threads")
        worker.start()
        try:
            hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "w-threads"})
            assert prometheus.first_request.wait(60), "the metrics collection never reached Prometheus"
            os.killpg(worker.process.pid, signal.SIGKILL)  # the metrics read and the run's deadline task die
            worker.process.wait()
            prometheus.release.set()
            replacement.start()

            def finished() -> Run | None:
                sweep_run()
                return _finished_run()

            run = wait_for(finished, timeout=60, interval=1, what="the sweeper to finish the run")
            # A webhook after the kill may find the dead grouping task's request still set: the
            # sweeper hands it to a new task once the request has expired and the trigger is stale.
            hooks.post("alertmanager", alertmanager("firing", service="payments-gateway"))

            def grouped_after_kill() -> bool:
                sweep_run()
                return Run.objects.filter(service__name="payments-gateway").exists()

            wait_for(grouped_after_kill, timeout=60, interval=1, what="a webhook after the kill to open its run")
        finally:
            worker.stop()
            replacement.stop()
    assert not run.collections.exclude(
        state__in=[SourceCollection.State.DONE, SourceCollection.State.FAILED]).exists()
    gaps = {g["source"]: g["reason"] for g in run.packets.order_by("-version").first().data["gaps"]}
    assert gaps["metrics"] == "timeout"
    assert Run.objects.filter(service__name="checkout-api").count() == 1


def _idle(worker) -> bool:
    log = worker.output()
    return log.count("] received") == log.count("] succeeded")


@pytest.fixture
def quick_worker(celery_worker_env):
    """A worker whose runs' deadline tasks come due within seconds, so that it is soon idle."""
    worker = Worker(dict(celery_worker_env, COLLECT_RUN_DEADLINE_SECONDS="2"), concurrency=2)
    worker.start()
    yield worker
    worker.stop()


def test_a_worker_keeps_its_database_connections_and_replaces_one_the_database_dropped(quick_worker, hooks, catalog):
    from tests.reliability.test_infrastructure_faults import _drop_worker_connections, _worker_backends

    def grouped(delivery: str):
        # PagerDuty deliveries are known by their signed event id, not the X-Webhook-Id header.
        return lambda: Trigger.objects.filter(delivery_id=delivery, status=Trigger.Status.PROCESSED).exists()

    hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "keep-1"})
    wait_for(grouped("01EV1"), timeout=30, what="the first webhook to be grouped")
    wait_for(_finished_run, timeout=60, what="the first run's collection")
    kept = set(_worker_backends())
    assert kept, "the worker closed every connection after its tasks"

    hooks.post("alertmanager", alertmanager("firing", service="payments-gateway"))
    wait_for(lambda: Run.objects.filter(collection=Run.Collection.DONE).count() == 2, timeout=60,
             what="the second run's collection")
    wait_for(lambda: _idle(quick_worker), timeout=30, what="the worker to finish its tasks")
    assert kept & set(_worker_backends()), "no connection was kept from one task to the next"

    _drop_worker_connections()
    logged = quick_worker.log.stat().st_size
    hooks.post("pagerduty", pagerduty("incident.triggered", "Q9DROP", event_id="01EV3"), headers={"X-Webhook-Id": "keep-3"})
    wait_for(grouped("01EV3"), timeout=30, what="a webhook after the connections were dropped")
    after = quick_worker.output(since=logged)
    assert "process_triggers" in after
    assert "Retry in" not in after and "raised unexpected" not in after, after[-3000:]
