"""A real Celery worker on a real Redis, for the tests that are about tasks."""

import os
import subprocess
import time

import pytest
from django.db import connection

from incidentdesk.celery import app
from tests.production.procfile import ROOT, DeskProcess, worker_command


def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: no Redis for worker tests")
    return url


def database_url() -> str:
    settings = connection.settings_dict
    if settings["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("worker tests share the test database with the worker: PostgreSQL only")
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{settings.get('HOST') or '127.0.0.1'}:{settings.get('PORT') or 5432}/{settings['NAME']}"


def celery_reconnect() -> None:
    """Make Celery connect afresh to whatever broker_url now says.

    kombu keeps its pools in a global registry keyed by the broker: dropping our references
    (as Celery does after a fork) is enough; closing them would break the registry's copy.
    """
    from incidentdesk.services import grouping_request

    app._pool = None
    app.amqp._producer_pool = None
    # The grouping request's client, and the trust in a request seen on the old broker.
    grouping_request._redis_clients.clear()
    grouping_request._trusted_until = 0.0


class Worker(DeskProcess):
    def __init__(self, env: dict, concurrency: int, pool: str = "prefork") -> None:
        # One log file for the workers of a test session.
        command = worker_command(pool=pool, concurrency=concurrency, name=f"test-{os.getpid()}")
        super().__init__("worker", command, env=env, log=ROOT / "var" / f"worker-{os.getpid()}.log")

    def start(self) -> "Worker":
        super().start()
        self.wait_for_output(r" ready\.")
        return self

    def children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]


@pytest.fixture
def celery_worker_env(transactional_db, settings):
    """Environment for a worker process sharing this test's database and a Redis broker."""
    broker = redis_url()
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    })
    import redis

    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=broker, task_always_eager=False)
    redis.Redis.from_url(broker).flushdb()
    celery_reconnect()
    yield env
    app.conf.update(**saved)
    celery_reconnect()


@pytest.fixture
def celery_worker(celery_worker_env):
    worker = Worker(celery_worker_env, concurrency=2)
    worker.start()
    yield worker
    worker.stop()


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
