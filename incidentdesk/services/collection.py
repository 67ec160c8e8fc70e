"""Collecting a run's evidence: one task per source, started together, each with a deadline.

The packet is built from whatever has arrived when every source has finished or the
run's deadline has passed; evidence that arrives later rebuilds it.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from collectors.base import SOURCES, Fetched, NotConfigured, SourceError
from collectors.redaction import marker_kinds, redact_record
from collectors.registry import connectors_for
from incidentdesk import clock
from incidentdesk.audit import audit_append
from incidentdesk.http import Deadline, HttpError
from incidentdesk.models import Evidence, Run, SourceCollection
from incidentdesk.policy import current_policy
from incidentdesk.queue import enqueue
from incidentdesk.services.packets import packet_build
from incidentdesk.services.scope import read_decision, record_services, run_scope

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
# Redacted kinds that are customer personal data (the rest are secrets).
PERSONAL_KINDS = frozenset({"email", "card", "phone", "national_id"})


def collection_start(*, run: Run) -> None:
    """Create the per-source rows and enqueue every configured source at once, after commit.

    A source with no connector configured is a gap from the start (audited as a failed read,
    as a task would have): no task is queued only to find that out.
    """
    now = clock.now()
    unconfigured = _unconfigured_sources()
    SourceCollection.objects.bulk_create(
        [
            SourceCollection(run=run, source=source, state=SourceCollection.State.FAILED, reason="not_configured",
                             detail=unconfigured[source].detail[:1000], finished_at=now)
            if source in unconfigured else SourceCollection(run=run, source=source)
            for source in SOURCES
        ],
        ignore_conflicts=True,
    )
    service = run.service.name if run.service else ""
    for source, exc in unconfigured.items():
        _read_failed_audit(run_id=run.pk, service=service, source=source, exc=exc)
    run.collection = Run.Collection.COLLECTING
    run.collection_started_at = now
    run.collection_deadline_at = now + timedelta(seconds=settings.COLLECT_RUN_DEADLINE_SECONDS)
    run.save(update_fields=["collection", "collection_started_at", "collection_deadline_at"])
    waiting = [source for source in SOURCES if source not in unconfigured]
    transaction.on_commit(lambda: collection_enqueue(run_id=run.pk, sources=waiting))


def _unconfigured_sources() -> dict[str, SourceError]:
    """Sources with no connector configured, each with the error that says what is missing."""
    missing = {}
    for source in SOURCES:
        try:
            connectors_for(source)
        except HttpError as exc:
            if exc.reason == "not_configured":
                missing[source] = exc
        except Exception:  # a connector that cannot even be built: its task records the error
            logger.exception("connectors for %s could not be built", source)
    return missing


def collection_enqueue(*, run_id: int, sources: list[str] | None = None) -> bool:
    """Queue the collection of `sources` (by default every one still waiting) and the run's deadline."""
    if sources is None:
        sources = list(SourceCollection.objects.filter(run_id=run_id, state=SourceCollection.State.WAITING)
                       .values_list("source", flat=True))
    try:
        for source in sources:
            enqueue("incidentdesk.collect_source", run_id, source)
        # With nothing to wait for, the packet is built at once (and not in the caller's task).
        countdown = settings.COLLECT_RUN_DEADLINE_SECONDS if sources else 0
        enqueue("incidentdesk.finish_collection", run_id, countdown=countdown)
    except Exception as exc:  # broker down: the sweeper re-enqueues runs still waiting
        logger.warning("broker unavailable, collection of run %s left for the sweeper: %s", run_id, exc)
        return False
    return True


def _claim(run_id: int, source: str) -> SourceCollection | None:
    """Take a source's collection for this worker: waiting ones, or running ones whose worker died."""
    now = clock.now()
    claimable = Q(state=SourceCollection.State.WAITING) | Q(
        state=SourceCollection.State.RUNNING, attempts__lt=MAX_ATTEMPTS
    )
    updated = (
        SourceCollection.objects.filter(claimable, run_id=run_id, source=source)
        .update(state=SourceCollection.State.RUNNING, started_at=now, attempts=F("attempts") + 1)
    )
    if not updated:
        return None
    return SourceCollection.objects.select_related("run", "run__service").get(run_id=run_id, source=source)


def source_collect(*, run_id: int, source: str) -> str:
    """Read one source for one run and store what it found. Idempotent per (run, source, ref).

    Side effects: Evidence rows, the SourceCollection state, audit entries for the read and for
    refused out-of-scope records, and a packet rebuild when this was the last source.
    """
    collection = _claim(run_id, source)
    if collection is None:
        return "not claimable (finished or retried too often)"
    run = collection.run
    now = clock.now()
    scope = run_scope(run, depth=settings.COLLECT_DEPENDENCY_DEPTH, now=now)
    if scope is None:
        _finish(collection, failed=SourceError("not_found", "the run names no catalog service"))
        return "no service"
    try:
        fetched = _fetch(source, scope)
    except HttpError as exc:
        _finish(collection, failed=exc)
        _read_failed_audit(run_id=run.pk, service=scope.service, source=source, exc=exc)
        return f"gap: {exc.reason}"
    stored, refused, customer_data = _store(run, source, fetched, scope)
    audit_append(
        actor="desk", action="source.read", run_id=run.pk, service=scope.service,
        detail={"source": source, "scope": sorted(scope.names), "window": [scope.start, scope.end],
                "records": stored, "truncated": fetched.truncated, "note": fetched.note[:300]},
        touches_customer_data=customer_data,
    )
    if refused:
        audit_append(actor="desk", action="source.read_refused", run_id=run.pk, service=scope.service,
                     detail={"source": source, "out_of_scope": refused[:50], "count": len(refused)})
    collection.item_count = stored
    collection.truncated = fetched.truncated
    collection.detail = fetched.note[:1000]
    _finish(collection)
    return f"{stored} records"


def _read_failed_audit(*, run_id: int, service: str, source: str, exc: HttpError) -> None:
    audit_append(actor="desk", action="source.read_failed", run_id=run_id, service=service,
                 detail={"source": source, "reason": exc.reason, "detail": exc.detail[:500]})


def _fetch(source: str, scope) -> Fetched:
    connectors = connectors_for(source)
    merged = Fetched(records=[])
    errors: list[SourceError] = []
    for connector in connectors:
        deadline = Deadline.after(settings.COLLECT_SOURCE_DEADLINE_SECONDS)
        try:
            part = connector.fetch(scope, deadline=deadline)
        except HttpError as exc:
            errors.append(exc)
            continue
        merged.records.extend(part.records)
        merged.truncated = merged.truncated or part.truncated
        merged.note = "; ".join(filter(None, [merged.note, part.note]))
    if errors and len(errors) == len(connectors):
        real = [e for e in errors if not isinstance(e, NotConfigured)]
        raise (real or errors)[0]
    return merged


def _store(run: Run, source: str, fetched: Fetched, scope) -> tuple[int, list[str], bool]:
    rows, refused, customer_data = [], [], False
    policy = current_policy()
    for record in fetched.records:
        decision = read_decision(record, scope, policy)
        if not decision.allowed:
            services = ", ".join(sorted(record_services(record, scope))) or "no service"
            refused.append(f"{record.ref} ({services}): {decision.rule}")
            continue
        data, kinds = redact_record(record.data)
        kinds = kinds | marker_kinds(record.data)  # evidence that arrived already redacted
        customer_data = customer_data or bool(set(kinds) & PERSONAL_KINDS)
        rows.append(
            Evidence(
                run=run, source=source, ref=str(record.ref)[:300], service=record.service or "",
                data=data, url=(record.url or "")[:1000], observed_at=record.observed_at,
                redactions=sorted(kinds), truncated=fetched.truncated,
            )
        )
    Evidence.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows), refused, customer_data


def _finish(collection: SourceCollection, failed: SourceError | None = None) -> None:
    collection.finished_at = clock.now()
    if failed is None:
        collection.state = SourceCollection.State.DONE
        collection.reason = ""
    else:
        collection.state = SourceCollection.State.FAILED
        collection.reason = failed.reason
        collection.detail = failed.detail[:1000]
    collection.save()
    collection_maybe_complete(run_id=collection.run_id)


def collection_maybe_complete(*, run_id: int, deadline_passed: bool = False) -> bool:
    """Build the packet when every source has finished, or when the run's deadline has passed."""
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run_id)
        pending = run.collections.exclude(
            state__in=[SourceCollection.State.DONE, SourceCollection.State.FAILED]
        )
        waiting = pending.exists()
        if waiting and not deadline_passed:
            return False
        if deadline_passed and not waiting and run.packets.filter(complete=True).exists():
            return False  # the last source to answer built the complete packet already
        if deadline_passed:
            pending.update(state=SourceCollection.State.FAILED, reason="timeout",
                           detail="no answer before the run's deadline", finished_at=clock.now())
        if run.collection != Run.Collection.DONE:
            run.collection = Run.Collection.DONE
            run.collection_finished_at = clock.now()
            run.save(update_fields=["collection", "collection_finished_at"])
    packet_build(run=run)
    return True
