"""Taking a webhook in: keep the raw request, verify it, parse it, and enqueue its processing.

The rule: whatever arrives is stored before the reply, and nothing here raises to a 500.
"""

import logging
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction

from incidentdesk import clock
from incidentdesk.envsecret import env_secrets
from incidentdesk.intake.events import Delivery, PayloadError, SignatureError
from incidentdesk.intake.horizon import replay_refusal
from incidentdesk.intake.normalisers import NORMALISERS, normalise
from incidentdesk.intake.normalisers.fields import storable
from incidentdesk.intake.signatures import verify
from incidentdesk.models import Trigger
from incidentdesk.rows import row_insert
from incidentdesk.services.grouping_request import grouping_request

logger = logging.getLogger(__name__)

SOURCES = tuple(NORMALISERS)
# Headers that carry credentials are not kept with the stored request.
# Credentials, and the vendors' signatures: with the body, a signature is what a replay needs.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "proxy-authorization",
        "x-pagerduty-signature",
        "x-hub-signature",
        "x-hub-signature-256",
        "sentry-hook-signature",
        "x-slack-signature",
    }
)


@dataclass(frozen=True)
class IntakeResult:
    status: int
    body: dict
    trigger_id: int | None = None


def hook_secret_name(source: str) -> str:
    return f"HOOK_SECRET_{source.upper()}"


def stored_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: ("[REDACTED]" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def trigger_receive(
    *, source: str, headers: Mapping[str, str], body: bytes, remote_addr: str | None = None
) -> IntakeResult:
    """Store one webhook request and answer it.

    Side effects: one Trigger row whatever happens (rejected ones keep their reason);
    for an accepted first delivery, grouping is requested after commit. A broker that is
    down is logged and left to the sweeper: the vendor still gets its 2xx.

    Database connections are kept between requests and not checked before use (a check is a
    round trip on every webhook): one the database dropped fails here, and the request is
    taken once more on a new connection. If the first attempt had stored the trigger, the
    second one finds it and answers as for a retry.
    """
    try:
        return _receive(source=source, headers=headers, body=body, remote_addr=remote_addr)
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        logger.warning("database connection lost while taking a %s webhook; once more on a new one", source[:30])
        connection.close()
        return _receive(source=source, headers=headers, body=body, remote_addr=remote_addr)


def _kept(source: str, headers: Mapping[str, str], body: bytes, remote_addr: str | None) -> dict:
    return {
        "source": storable(source[:30]),
        "headers": storable(stored_headers(headers)),
        "body": body[: settings.HOOK_MAX_BODY_BYTES],
        "remote_addr": remote_addr,
    }


def trigger_refuse(
    *, source: str, headers: Mapping[str, str], body: bytes, remote_addr: str | None, status: int, reason: str
) -> IntakeResult:
    """Keep a request refused before its body is read as a webhook (wrong method, wrong host)."""
    return _reject(_kept(source, headers, body, remote_addr), status, reason)


def _receive(*, source: str, headers: Mapping[str, str], body: bytes, remote_addr: str | None) -> IntakeResult:
    keep = _kept(source, headers, body, remote_addr)
    if source not in NORMALISERS:
        return _reject(keep, 404, f"unknown source '{keep['source']}'; known: {', '.join(SOURCES)}")
    if len(body) > settings.HOOK_MAX_BODY_BYTES:
        keep["body"] = body[: settings.HOOK_MAX_BODY_BYTES]
        return _reject(keep, 413, f"body of {len(body)} bytes exceeds the {settings.HOOK_MAX_BODY_BYTES}-byte limit")
    try:
        verify(
            source,
            headers,
            body,
            env_secrets(hook_secret_name(source)),
            now=clock.now().timestamp(),
            max_skew=settings.HOOK_SLACK_MAX_SKEW_SECONDS,
        )
    except SignatureError as exc:
        return _reject(keep, 401, str(exc))
    try:
        delivery = normalise(source, headers, body)
    except PayloadError as exc:
        return _reject(keep, 400, str(exc))
    replayed = replay_refusal(
        source=source, signed_at=delivery.signed_at, now=clock.now(),
        horizon_hours=settings.HOOK_REPLAY_HORIZON_HOURS,
    )
    if replayed:
        # A 4xx, as for any refusal: vendors do not retry it, and one redelivering by hand sees why.
        return _reject(keep, 422, replayed)
    return _accept(keep, delivery)


def _reject(keep: dict, status: int, reason: str) -> IntakeResult:
    trigger_id = row_insert(Trigger, {"status": Trigger.Status.REJECTED, "http_status": status, "reason": reason, **keep})
    logger.info("rejected %s webhook %s: %s", keep["source"], trigger_id, reason)
    return IntakeResult(status, {"status": "rejected", "reason": reason, "trigger": trigger_id}, trigger_id)


def _accept(keep: dict, delivery: Delivery) -> IntakeResult:
    reply = delivery.reply
    if not delivery.events:
        # Nothing to process (e.g. Slack's URL verification); kept for the record all the same.
        trigger_id = row_insert(Trigger, {
            "status": Trigger.Status.PROCESSED, "http_status": 200, "delivery_id": None,
            "processed_at": clock.now(), "reason": "no events", **keep,
        })
        return IntakeResult(200, reply or {"status": "ok", "trigger": trigger_id}, trigger_id)
    status = 202 if reply is None else 200
    trigger_id = _first_copy_create(keep, delivery.delivery_id, status)
    if trigger_id is None:
        original = Trigger.objects.filter(
            source=keep["source"], delivery_id=delivery.delivery_id
        ).exclude(status__in=[Trigger.Status.DUPLICATE, Trigger.Status.REJECTED]).values_list("pk", flat=True).first()
        trigger_id = row_insert(Trigger, {
            "status": Trigger.Status.DUPLICATE, "http_status": 200, "delivery_id": delivery.delivery_id,
            "reason": f"retry of trigger {original or '?'}", **keep,
        })
        return IntakeResult(
            200, reply or {"status": "duplicate", "trigger": trigger_id, "original": original}, trigger_id,
        )
    return IntakeResult(status, reply or {"status": "accepted", "trigger": trigger_id}, trigger_id)


def _first_copy_create(keep: dict, delivery_id: str | None, http_status: int) -> int | None:
    """Insert the trigger and enqueue it after commit; its id, None when this delivery was already received.

    One INSERT and no UPDATE on the way to the reply: `enqueued_at` is written with the row,
    as the enqueue follows the commit at once, and cleared again only if the broker refuses
    it. A process that dies in between leaves a stale `enqueued_at`, which the sweeper treats
    as a lost task.
    """
    # Inside a caller's transaction the insert needs a savepoint so that a duplicate's
    # IntegrityError does not break it; on its own, autocommit is one round trip instead of three.
    scope = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        with scope:
            trigger_id = row_insert(Trigger, {
                "status": Trigger.Status.RECEIVED, "http_status": http_status, "delivery_id": delivery_id,
                "enqueued_at": clock.now(), **keep,
            })
            transaction.on_commit(lambda: trigger_enqueue(trigger_id=trigger_id))
    except IntegrityError:
        return None
    return trigger_id


def trigger_enqueue(*, trigger_id: int) -> bool:
    """Make sure a grouping task will see this trigger.

    False when the broker could not take it: the trigger is marked as never enqueued and the
    sweeper hands it over once the broker is back.
    """
    if grouping_request():
        return True
    Trigger.objects.filter(pk=trigger_id, status=Trigger.Status.RECEIVED).update(enqueued_at=None)
    return False
