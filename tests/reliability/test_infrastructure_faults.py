"""Infrastructure that fails under a running desk: Redis stopped during intake, PostgreSQL
connections dropped (or the server restarted) while a run is collecting.

Each test starts a real Celery worker; Redis is a redis-server of the test's own on a free
port, so stopping it touches nobody else. Restarting the shared PostgreSQL is opt-in
(FAULT_TESTS_RESTART_POSTGRES=1); by default the worker's connections are terminated
underneath it, which takes the same recovery path.
"""

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
from django.db import connection

from incidentdesk.celery import app
from incidentdesk.models import Run, SourceCollection, Trigger
from incidentdesk.services.sweeper import sweep_run
from tests.intake.test_intake_flow import alertmanager, pagerduty
from tests.reliability.fake_prometheus import FakePrometheus
from tests.workers import Worker, celery_reconnect, database_url, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def own_redis():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = RedisServer(_free_port())
    server.start()
    yield server
    server.kill()


@pytest.fixture
def worker_env(own_redis, transactional_db):
    env = dict(os.environ)
    env.update({"DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(),
                "REDIS_URL": own_redis.url, "CELERY_TASK_ALWAYS_EAGER": "0"})
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=own_redis.url, task_always_eager=False)
    celery_reconnect()
    yield env
    app.conf.update(**saved)
    celery_reconnect()


def _grouped(count: int):
    return lambda: Trigger.objects.filter(status=Trigger.Status.PROCESSED).count() >= count


def test_webhooks_taken_while_redis_is_down_are_grouped_after_it_restarts(worker_env, own_redis, hooks, catalog):
    worker = Worker(worker_env, concurrency=2)
    worker.start()
    try:
        first = hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "before"})
        assert first.status_code == 202
        wait_for(_grouped(1), timeout=30, what="the first webhook to be grouped")

        own_redis.kill()
        started = time.monotonic()
        during = [
            hooks.post("pagerduty", pagerduty("incident.acknowledged", event_id="e2"), headers={"X-Webhook-Id": "w2"}),
            hooks.post("alertmanager", alertmanager("firing", service="payments-gateway")),
            hooks.post("generic", {"service": "status-page", "summary": "support tickets up 10x", "id": "g-1"}),
        ]
        assert [r.status_code for r in during] == [202, 202, 202]
        assert time.monotonic() - started < 10, "a dead Redis must not hold the replies"
        waiting = Trigger.objects.filter(status=Trigger.Status.RECEIVED)
        assert waiting.count() == 3 and not waiting.filter(enqueued_at__isnull=False).exists()
        # A retry while Redis is down is still acknowledged, and not kept as a second delivery.
        retry = hooks.post("generic", {"service": "status-page", "summary": "support tickets up 10x", "id": "g-1"})
        assert retry.status_code == 200 and retry.json()["status"] == "duplicate"
        assert sweep_run()["triggers"] == 0, "the sweeper cannot hand anything over while Redis is down"

        own_redis.start()  # empty: whatever was queued before the kill is gone too
        celery_reconnect()
        # The sweeper hands them over; a grouping task still running when Redis died may have
        # taken some of them itself, which is as good.
        def grouped_after_sweeps() -> bool:
            sweep_run()
            return _grouped(4)()

        wait_for(grouped_after_sweeps, timeout=60, interval=1, what="the webhooks taken while Redis was down to be grouped")
    finally:
        worker.stop()
    assert not Trigger.objects.filter(status=Trigger.Status.RECEIVED).exists()
    assert set(Run.objects.values_list("service__name", flat=True)) == {"checkout-api", "payments-gateway",
                                                                       "status-page"}
    checkout = Run.objects.get(service__name="checkout-api")
    assert checkout.events.count() == 2  # the trigger and its acknowledgement, once each
    assert Trigger.objects.filter(status=Trigger.Status.DUPLICATE).count() == 1


def _worker_backends() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return [row[0] for row in cursor.fetchall()]


def _drop_worker_connections() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def _restart_postgres() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)
    connection.close()
    wait_for(lambda: _connects(), timeout=60, what="PostgreSQL to accept connections again")


def _connects() -> bool:
    try:
        connection.ensure_connection()
        return True
    except Exception:
        connection.close()
        return False


def test_a_run_collecting_when_its_database_connections_drop_still_finishes(worker_env, hooks, catalog):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    restart = os.environ.get("FAULT_TESTS_RESTART_POSTGRES") == "1"
    with FakePrometheus(hold_first=30) as prometheus:
        env = dict(worker_env, PROMETHEUS_URL=prometheus.url, COLLECT_SOURCE_DEADLINE_SECONDS="10",
                   COLLECT_RUN_DEADLINE_SECONDS="20")
        worker = Worker(env, concurrency=2)
        worker.start()
        try:
            hooks.post("pagerduty", pagerduty("incident.triggered"), headers={"X-Webhook-Id": "pg-1"})
            assert prometheus.first_request.wait(60), "the metrics collection never reached Prometheus"
            assert _worker_backends(), "the worker holds no database connection to drop"
            if restart:
                _restart_postgres()
            else:
                _drop_worker_connections()
            prometheus.release.set()
            # What the worker had in flight fails on its dead connection; the run's deadline task,
            # or the sweeper for runs past their deadline, finishes the run with what arrived.
            def finished() -> Run | None:
                sweep_run()
                return Run.objects.filter(collection=Run.Collection.DONE, packets__isnull=False).first()

            run = wait_for(finished, timeout=90, interval=1, what="the run to finish after the connections dropped")
        finally:
            worker.stop()
    assert not run.collections.exclude(
        state__in=[SourceCollection.State.DONE, SourceCollection.State.FAILED]).exists()
    packet = run.packets.order_by("-version").first()
    assert packet.data["service"] == "checkout-api"
    # The desk keeps taking webhooks on fresh connections afterwards.
    later = hooks.post("generic", {"service": "status-page", "summary": "after the drop", "id": "pg-2"})
    assert later.status_code == 202


def test_a_webhook_on_a_connection_the_database_dropped_is_taken_on_a_new_one(hooks, catalog):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    connection.ensure_connection()
    dropped = connection.connection.info.backend_pid
    import psycopg

    with psycopg.connect(database_url(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [dropped])
    reply = hooks.post("alertmanager", alertmanager("firing", service="payments-gateway"))
    assert reply.status_code == 202, reply.content
    assert connection.connection.info.backend_pid != dropped
    assert Trigger.objects.get().status == Trigger.Status.PROCESSED
    assert Run.objects.get().service.name == "payments-gateway"
