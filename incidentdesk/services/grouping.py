"""Turning trigger events into runs: which run an event feeds, and opening new ones."""

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from approvals.audit import audit_append
from incidentdesk import clock
from incidentdesk.intake.events import TriggerEvent
from incidentdesk.intake.normalisers import normalise
from incidentdesk.models import Run, RunEvent, RunKey, Service, ServiceAlias, Trigger

logger = logging.getLogger(__name__)
MAX_SYMPTOMS = 20
MAX_LINKS = 20


class TriggerGone(Exception):
    pass


def service_resolve(name: str | None, text: str = "") -> Service | None:
    """The catalog service a vendor means, by name or alias (repos included), else by a name in the text."""
    if name:
        alias = ServiceAlias.objects.select_related("service").filter(name=name.strip().lower()).first()
        if alias:
            return alias.service
    tokens = [t for t in re.split(r"[\s,;:()\[\]\"'`]+", text.lower()) if t]
    if tokens:
        alias = (
            ServiceAlias.objects.select_related("service")
            .filter(name__in=tokens)
            .order_by("name")
            .first()
        )
        if alias:
            return alias.service
    return None


def trigger_process(*, trigger_id: int) -> str:
    """Apply a received trigger's events to runs. Idempotent: a processed trigger is left alone.

    Side effects: runs opened, joined, resolved; RunEvents; audit entries for new runs; the
    collection of each new run enqueued after commit. Raises TriggerGone for an unknown id.
    """
    with transaction.atomic():
        trigger = Trigger.objects.select_for_update().filter(pk=trigger_id).first()
        if trigger is None:
            raise TriggerGone(trigger_id)
        if trigger.status != Trigger.Status.RECEIVED:
            return f"already {trigger.status}"
        trigger.attempts += 1
        delivery = normalise(trigger.source, trigger.headers, bytes(trigger.body))
        outcomes = [
            _event_apply(trigger, index, event) for index, event in enumerate(delivery.events)
        ]
        trigger.status = Trigger.Status.PROCESSED
        trigger.processed_at = clock.now()
        trigger.reason = "; ".join(outcomes)[:2000]
        trigger.save(update_fields=["status", "processed_at", "attempts", "reason"])
    return trigger.reason


def _event_apply(trigger: Trigger, index: int, event: TriggerEvent) -> str:
    if event.kind == "ignore":
        return f"event {index}: ignored"
    run = _run_for(event)
    now = clock.now()
    if run is None:
        if event.kind != "trigger":
            return f"event {index}: {event.kind} for no open run, nothing to do"
        run = _run_open(trigger, event)
        outcome = f"event {index}: opened run {run.pk}"
    else:
        outcome = _run_update(run, event)
        outcome = f"event {index}: {outcome} run {run.pk}"
    if event.vendor_key:
        _key_attach(run, event.vendor_key)
    RunEvent.objects.get_or_create(
        trigger=trigger, index=index,
        defaults={"run": run, "kind": event.kind, "title": event.title[:500], "occurred_at": event.occurred_at or now},
    )
    return outcome


def _run_for(event: TriggerEvent) -> Run | None:
    if event.vendor_key:
        key = RunKey.objects.select_related("run").filter(key=event.vendor_key).first()
        if key and (key.run.is_open or event.kind != "trigger"):
            return Run.objects.select_for_update().get(pk=key.run_id)
    service = service_resolve(event.service_name, event.title)
    if service is None:
        return None
    window = clock.now() - timedelta(minutes=settings.RUN_JOIN_WINDOW_MINUTES)
    return (
        Run.objects.select_for_update()
        .filter(service=service, status=Run.Status.OPEN, last_event_at__gte=window)
        .order_by("-last_event_at")
        .first()
    )


def _key_attach(run: Run, key: str) -> None:
    existing = RunKey.objects.filter(key=key).first()
    if existing is None:
        try:
            with transaction.atomic():
                RunKey.objects.create(key=key, run=run)
        except IntegrityError:
            pass
    elif existing.run_id != run.pk and not existing.run.is_open:
        # The vendor reuses a key after resolving (PagerDuty dedup_key): it now names the new run.
        RunKey.objects.filter(pk=existing.pk).update(run=run)


def _run_open(trigger: Trigger, event: TriggerEvent) -> Run:
    from incidentdesk.services.collection import collection_start

    now = clock.now()
    service = service_resolve(event.service_name, event.title)
    team = service.team if service else None
    started = event.started_at
    run = Run.objects.create(
        title=event.title[:500] or f"{trigger.source} alert",
        service=service,
        service_hint=(event.service_name or "")[:200],
        needs_service=service is None,
        severity=event.severity_hint or "",
        trigger_source=trigger.source,
        triggered_at=event.occurred_at or now,
        first_seen_at=min(filter(None, [started, event.occurred_at, now])),
        started_at=started,
        last_event_at=now,
        symptoms=list(event.symptoms)[:MAX_SYMPTOMS],
        links=list(event.links)[:MAX_LINKS],
        reports_data_exposure=event.reports_data_exposure,
        current_owner_team=team,
        current_oncall=team.oncall if team else "",
        dedup_key=(event.vendor_key or "")[:300],
    )
    audit_append(
        actor="desk", action="run.opened", run_id=run.pk, service=service.name if service else "",
        detail={"trigger": trigger.pk, "source": trigger.source, "title": run.title,
                "needs_service": run.needs_service, "service_hint": run.service_hint},
        touches_customer_data=event.reports_data_exposure,
    )
    collection_start(run=run)
    return run


def _run_update(run: Run, event: TriggerEvent) -> str:
    now = clock.now()
    run.last_event_at = now
    for symptom in event.symptoms:
        if symptom not in run.symptoms and len(run.symptoms) < MAX_SYMPTOMS:
            run.symptoms.append(symptom)
    for link in event.links:
        if link not in run.links and len(run.links) < MAX_LINKS:
            run.links.append(link)
    run.reports_data_exposure = run.reports_data_exposure or event.reports_data_exposure
    outcome = "joined"
    if event.kind == "resolve" and run.status != Run.Status.RESOLVED:
        run.status = Run.Status.RESOLVED
        run.resolved_at = event.occurred_at or now
        outcome = "resolved"
    elif event.kind == "trigger" and run.status == Run.Status.RESOLVED:
        run.status = Run.Status.OPEN
        run.resolved_at = None
        outcome = "reopened"
    run.save()
    if outcome in ("resolved", "reopened"):
        audit_append(actor="desk", action=f"run.{outcome}", run_id=run.pk,
                     service=run.service.name if run.service else "", detail={"title": event.title})
    return outcome
