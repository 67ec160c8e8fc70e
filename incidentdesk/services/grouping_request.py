"""Asking for received triggers to be grouped: one task however many webhooks arrive.

A grouping task takes every received trigger in batches, so one queued or running task is
enough. The request is a Redis key: a webhook that sets it (SET NX) queues the task, one that
finds it set has nothing to do. The task renews the key while it works and clears it when it
finds nothing more, then looks one last time.

In a storm even the SET NX adds up, so a web process that has just seen the key set trusts it
for `LEASE_SECONDS` without asking again. That is safe because the task waits as long after
clearing the key before its last look: a trigger committed while some process still trusted
the key was committed before that look.
"""

import logging
import time
from typing import TYPE_CHECKING

from django.conf import settings

from incidentdesk.celery import app
from incidentdesk.queue import enqueue

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)

GROUPING_REQUESTED_KEY = "incidentdesk:grouping-requested"
# The key expires on its own so that a task lost with its worker does not silence the
# requests for good; a task that works longer renews it.
GROUPING_REQUESTED_SECONDS = 10
LEASE_SECONDS = 0.2
_redis_clients: dict[str, "redis.Redis"] = {}
_trusted_until = 0.0  # time.monotonic() until which this process trusts the key to be set


def _broker_redis() -> "redis.Redis | None":
    if app.conf.task_always_eager:
        return None
    url = app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    client = _redis_clients.get(url)
    if client is None:
        import redis

        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        client = _redis_clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=options.get("socket_connect_timeout", 1),
            socket_timeout=options.get("socket_timeout", 2),
        )
    return client


def grouping_request() -> bool:
    """Queue a grouping task unless one is queued or running already. False when the broker is down."""
    global _trusted_until
    asked_at = time.monotonic()
    if asked_at < _trusted_until:
        return True
    try:
        client = _broker_redis()
        # Without Redis (tasks in process, another broker) every webhook queues its task.
        if client is None or client.set(GROUPING_REQUESTED_KEY, "1", nx=True, ex=GROUPING_REQUESTED_SECONDS):
            try:
                enqueue("incidentdesk.process_triggers")
            except Exception:
                if client is not None:
                    client.delete(GROUPING_REQUESTED_KEY)
                raise
    except Exception as exc:  # any broker failure: kombu, redis, socket errors
        logger.warning("broker unavailable, grouping left for the sweeper: %s", exc)
        return False
    if client is not None:  # the key is set now, by this process or another
        _trusted_until = asked_at + LEASE_SECONDS
    return True


def grouping_request_renew() -> None:
    """Called by the grouping task on every batch: while it works, webhooks queue no second task."""
    client = _broker_redis()
    if client is None:
        return
    try:
        client.set(GROUPING_REQUESTED_KEY, "1", ex=GROUPING_REQUESTED_SECONDS)
    except Exception as exc:  # a broker gone mid-task: grouping goes on, a second task may start
        logger.warning("could not renew the grouping request: %s", exc)


def grouping_request_clear() -> float:
    """Called by the grouping task when it finds nothing more; how long to wait before its last look.

    A trigger committed before the clear is seen by that look; one committed after it, by a
    process that no longer trusts the key, finds it clear and queues a new task.
    """
    client = _broker_redis()
    if client is None:
        return 0.0
    try:
        client.delete(GROUPING_REQUESTED_KEY)
    except Exception as exc:  # the key expires on its own; later triggers may wait for that or the sweeper
        logger.warning("could not clear the grouping request: %s", exc)
    return LEASE_SECONDS
