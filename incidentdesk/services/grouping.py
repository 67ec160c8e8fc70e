"""Turning trigger events into runs: which run an event feeds, and opening new ones."""

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q

from incidentdesk import clock
from incidentdesk.audit import audit_append
from incidentdesk.intake.events import TriggerEvent
from incidentdesk.intake.normalisers import normalise
from incidentdesk.models import Run, RunEvent, RunKey, Service, ServiceAlias, Trigger
from incidentdesk.rows import rows_insert, rows_update
from incidentdesk.services.collection import collection_start

logger = logging.getLogger(__name__)
MAX_SYMPTOMS = 20
MAX_LINKS = 20


class TriggerGone(Exception):
    pass


# Grouping is serialised across workers: two triggers about one new incident, grouped at the
# same time, would each open a run. One transaction-scoped PostgreSQL advisory lock.
GROUPING_LOCK = 0x6964_6772  # "idgr"
BATCH_SIZE = 500


def _grouping_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [GROUPING_LOCK])


def trigger_process(*, trigger_id: int) -> str:
    """Apply a received trigger's events to runs. Idempotent: a processed trigger is left alone.

    Side effects: runs opened, joined, resolved; RunEvents; audit entries for new runs; the
    collection of each new run enqueued after commit. Raises TriggerGone for an unknown id.
    """
    with transaction.atomic():
        _grouping_lock()
        trigger = Trigger.objects.select_for_update().filter(pk=trigger_id).first()
        if trigger is None:
            raise TriggerGone(trigger_id)
        if trigger.status != Trigger.Status.RECEIVED:
            return f"already {trigger.status}"
        _Grouper().apply([trigger])
    return trigger.reason


def triggers_process_pending(*, limit: int = BATCH_SIZE) -> int:
    """Group up to `limit` received triggers, oldest first, in one transaction; how many were taken.

    Same side effects as `trigger_process`, for the whole batch. When the batch fails on
    something other than the database going away, it is split in halves and each half grouped
    as a batch, down to the triggers that fail alone: those are marked failed with the error,
    and a few bad triggers cost a few small batches, not one transaction per trigger.
    """
    taken, grouped = _batch(_received(Trigger.objects.order_by("pk"))[:limit])
    if not grouped:
        _group_halves(taken)
    return len(taken)


def _received(triggers):
    return triggers.select_for_update(skip_locked=True).filter(status=Trigger.Status.RECEIVED)


def _batch(triggers) -> tuple[list[int], bool]:
    """Group these triggers in one transaction: their ids, and whether it worked."""
    taken: list[int] = []
    try:
        with transaction.atomic():
            _grouping_lock()
            rows = list(triggers)
            taken = [t.pk for t in rows]
            if rows:
                _Grouper().apply(rows)
        return taken, True
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        logger.warning("grouping a batch of %d triggers failed; grouping each half on its own", len(taken))
        return taken, False


def _group_halves(ids: list[int]) -> None:
    middle = len(ids) // 2
    for half in (ids[:middle], ids[middle:]):
        if len(half) == 1:
            _group_alone(half[0])
        elif half and not _batch(_received(Trigger.objects.filter(pk__in=half).order_by("pk")))[1]:
            _group_halves(half)


def _group_alone(trigger_id: int) -> None:
    try:
        trigger_process(trigger_id=trigger_id)
    except (OperationalError, InterfaceError):
        raise
    except TriggerGone:
        return
    except Exception as exc:
        logger.exception("trigger %s could not be grouped", trigger_id)
        Trigger.objects.filter(pk=trigger_id, status=Trigger.Status.RECEIVED).update(
            status=Trigger.Status.FAILED, processed_at=clock.now(), reason=f"grouping failed: {exc!r}"[:2000],
            attempts=F("attempts") + 1,
        )


class _Grouper:
    """One batch of triggers grouped in the caller's transaction.

    What the batch needs (aliases, vendor keys, candidate runs) is read once, the events are
    applied in order in memory, and the changes written back in bulk.
    """

    def __init__(self) -> None:
        self.now = clock.now()
        self.window = self.now - timedelta(minutes=settings.RUN_JOIN_WINDOW_MINUTES)
        self.aliases: dict[str, Service] = {}
        self.runs: dict[int, Run] = {}
        self.key_runs: dict[str, int] = {}  # vendor key -> run id
        self.key_ids: dict[str, int] = {}  # vendor key -> RunKey id
        self.new_keys: dict[str, RunKey] = {}
        self.moved_keys: dict[int, int] = {}  # RunKey id -> run id
        self.open_by_service: dict[int, list[Run]] = {}
        self.dirty: dict[int, Run] = {}
        self.run_events: list[RunEvent] = []

    def apply(self, triggers: list[Trigger]) -> None:
        parsed: list[tuple[Trigger, tuple[TriggerEvent, ...]]] = []
        for trigger in triggers:
            trigger.attempts += 1
            delivery = normalise(trigger.source, trigger.headers, bytes(trigger.body))
            parsed.append((trigger, delivery.events))
        events = [event for _, evs in parsed for event in evs if event.kind != "ignore"]
        self._load(events)
        for trigger, evs in parsed:
            outcomes = [self._event_apply(trigger, index, event) for index, event in enumerate(evs)]
            trigger.status = Trigger.Status.PROCESSED
            trigger.reason = "; ".join(outcomes)[:2000]
        self._save(triggers)

    def _load(self, events: list[TriggerEvent]) -> None:
        names = {e.service_name.strip().lower() for e in events if e.service_name and e.service_name.strip()}
        self._aliases_load(names)
        unresolved = [e for e in events if not self._service_by_name(e.service_name)]
        tokens = {t for e in unresolved for t in _tokens(e.title)} - set(self.aliases)
        self._aliases_load(tokens)
        keys = {e.vendor_key for e in events if e.vendor_key}
        for key_id, key, run_id in RunKey.objects.filter(key__in=keys).values_list("pk", "key", "run_id"):
            self.key_runs[key] = run_id
            self.key_ids[key] = key_id
        services = {s.pk for e in events if (s := self._service(e)) is not None}
        candidates = Q(pk__in=set(self.key_runs.values())) | Q(
            service_id__in=services, status=Run.Status.OPEN, last_event_at__gte=self.window
        )
        for run in (
            Run.objects.select_for_update(of=("self",)).select_related("service")
            .filter(candidates).order_by("pk")
        ):
            self._remember(run)

    def _aliases_load(self, names: set[str]) -> None:
        if not names:
            return
        for alias in ServiceAlias.objects.select_related("service", "service__team").filter(name__in=names):
            self.aliases[alias.name] = alias.service

    def _service_by_name(self, name: str | None) -> Service | None:
        return self.aliases.get(name.strip().lower()) if name else None

    def _service(self, event: TriggerEvent) -> Service | None:
        """The catalog service a vendor means, by name or alias (repos included), else by a name in the text."""
        service = self._service_by_name(event.service_name)
        if service is not None:
            return service
        found = sorted(t for t in _tokens(event.title) if t in self.aliases)
        return self.aliases[found[0]] if found else None

    def _remember(self, run: Run) -> None:
        self.runs[run.pk] = run
        if run.service_id is not None:
            listed = self.open_by_service.setdefault(run.service_id, [])
            if run not in listed:
                listed.append(run)

    def _event_apply(self, trigger: Trigger, index: int, event: TriggerEvent) -> str:
        if event.kind == "ignore":
            return f"event {index}: ignored"
        run = self._run_for(event)
        if run is None:
            if event.kind != "trigger":
                return f"event {index}: {event.kind} for no open run, nothing to do"
            run = _run_open(trigger, event, self._service(event))
            self._remember(run)
            outcome = f"event {index}: opened run {run.pk}"
        else:
            outcome = f"event {index}: {_run_update(run, event)} run {run.pk}"
            self.dirty[run.pk] = run
        if event.vendor_key:
            self._key_attach(run, event.vendor_key)
        self.run_events.append(RunEvent(
            trigger=trigger, index=index, run=run, kind=event.kind, title=event.title[:500],
            occurred_at=event.occurred_at or clock.now(), facts=event.facts(),
        ))
        return outcome

    def _run_for(self, event: TriggerEvent) -> Run | None:
        if event.vendor_key and event.vendor_key in self.key_runs:
            run = self.runs[self.key_runs[event.vendor_key]]
            if run.is_open or event.kind != "trigger":
                return run
        service = self._service(event)
        if service is None:
            return None
        open_runs = [
            r for r in self.open_by_service.get(service.pk, ())
            if r.status == Run.Status.OPEN and r.last_event_at >= self.window
        ]
        return max(open_runs, key=lambda r: r.last_event_at, default=None)

    def _key_attach(self, run: Run, key: str) -> None:
        current = self.key_runs.get(key)
        if current is None:
            self.new_keys[key] = RunKey(key=key, run=run)
            self.key_runs[key] = run.pk
        elif current != run.pk and not self.runs[current].is_open:
            # The vendor reuses a key after resolving (PagerDuty dedup_key): it now names the new run.
            self.key_runs[key] = run.pk
            if key in self.new_keys:
                self.new_keys[key].run = run
            else:
                self.moved_keys[self.key_ids[key]] = run.pk

    def _save(self, triggers: list[Trigger]) -> None:
        if self.new_keys:
            RunKey.objects.bulk_create(self.new_keys.values(), ignore_conflicts=True)
        for key_id, run_id in self.moved_keys.items():
            RunKey.objects.filter(pk=key_id).update(run_id=run_id)
        if self.dirty:
            rows_update(
                list(self.dirty.values()),
                ["last_event_at", "symptoms", "links", "reports_data_exposure", "status", "resolved_at"],
            )
        rows_insert(self.run_events, ignore_conflicts=True)
        processed_at = clock.now()
        for trigger in triggers:
            trigger.processed_at = processed_at
        rows_update(triggers, ["status", "processed_at", "attempts", "reason"])

def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,;:()\[\]\"'`]+", text.lower()) if t]


def _run_open(trigger: Trigger, event: TriggerEvent, service: Service | None) -> Run:
    now = clock.now()
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
    if outcome in ("resolved", "reopened"):
        audit_append(actor="desk", action=f"run.{outcome}", run_id=run.pk,
                     service=run.service.name if run.service else "", detail={"title": event.title})
    return outcome
