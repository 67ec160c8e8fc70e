"""The change calendar: planned freezes, maintenance, migrations and releases from an iCalendar feed."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import httpx
import icalendar
import recurring_ical_events

from collectors.base import Fetched, NotConfigured, Record, Scope, SourceError
from collectors.timefmt import iso_z as _iso
from incidentdesk.http import Deadline, make_client, request

MAX_CALENDAR_BYTES = 2 * 1024 * 1024
KINDS = ("freeze", "maintenance", "migration", "release")

# Summary words that say which kind of change an event is, checked in this order.
_KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("freeze", ("freeze", "frozen", "moratorium")),
    ("migration", ("migration", "migrate", "migrating", "cutover", "failover")),
    ("release", ("release", "deploy", "deployment", "rollout", "launch", "release train")),
    ("maintenance", ("maintenance", "upgrade", "patch", "reindex", "restart", "reboot", "rotation")),
)
_CATEGORY_KINDS = {
    "freeze": "freeze",
    "change freeze": "freeze",
    "code freeze": "freeze",
    "maintenance": "maintenance",
    "migration": "migration",
    "release": "release",
    "deploy": "release",
}


class ICalChangeCalendar:
    source = "change_calendar"
    vendor = "ical"

    def __init__(
        self,
        *,
        url: str | None = None,
        path: str | Path | None = None,
        max_events: int = 500,
        max_bytes: int = MAX_CALENDAR_BYTES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if (url is None) == (path is None):
            raise ValueError("give exactly one of url or path")
        self.url = url
        self.path = Path(path) if path is not None else None
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.transport = transport

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ICalChangeCalendar:
        url = (environ.get("CHANGE_CALENDAR_URL") or "").strip()
        path = (environ.get("CHANGE_CALENDAR_FILE") or "").strip()
        if url:
            if not url.startswith(("http://", "https://")):
                raise NotConfigured("CHANGE_CALENDAR_URL must be an http(s) URL")
            return cls(url=url)
        if path:
            return cls(path=path)
        raise NotConfigured("neither CHANGE_CALENDAR_URL nor CHANGE_CALENDAR_FILE is set")

    def fetch(self, scope: Scope, *, deadline: Deadline) -> Fetched:
        calendar = _parse(self._read(deadline))
        recurring = _recurring_uids(calendar)
        window_start = scope.start - timedelta(days=1)
        window_end = scope.end + timedelta(days=1)
        try:
            occurrences = recurring_ical_events.of(calendar).between(window_start, window_end)
        except Exception as exc:  # the expander raises its own and dateutil's errors on bad rules
            raise SourceError("malformed", f"cannot expand the calendar's recurrences: {exc}") from exc
        records: list[Record] = []
        matched = 0
        for event in occurrences:
            record = _record(event, scope, recurring)
            if record is None:
                continue
            matched += 1
            if len(records) < self.max_events:
                records.append(record)
        records.sort(key=lambda r: (r.data["start"], r.ref))
        if matched > len(records):
            return Fetched(records, truncated=True, note=f"kept {len(records)} of {matched} calendar events")
        return Fetched(records)

    def _read(self, deadline: Deadline) -> bytes:
        if self.path is not None:
            try:
                with self.path.open("rb") as handle:
                    raw = handle.read(self.max_bytes + 1)
            except FileNotFoundError as exc:
                raise SourceError("not_found", f"no calendar file at {self.path}") from exc
            except OSError as exc:
                raise SourceError("error", f"cannot read {self.path}: {exc.strerror}") from exc
            if len(raw) > self.max_bytes:
                raise SourceError("malformed", f"calendar file exceeds the {self.max_bytes}-byte cap")
            return raw
        with make_client(
            headers={"Accept": "text/calendar, text/plain;q=0.5"}, transport=self.transport
        ) as client:
            return request(client, "GET", self.url, deadline=deadline, max_bytes=self.max_bytes).content


def _parse(raw: bytes) -> icalendar.Calendar:
    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except ValueError as exc:
        raise SourceError("malformed", f"not an iCalendar feed: {exc}") from exc
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise SourceError("malformed", "not an iCalendar feed: no VCALENDAR")
    return calendar


def _recurring_uids(calendar: icalendar.Calendar) -> set[str]:
    """UIDs with more than one occurrence: a rule, extra dates, or overridden instances."""
    counts: dict[str, int] = {}
    recurring: set[str] = set()
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("UID", ""))
        counts[uid] = counts.get(uid, 0) + 1
        if "RRULE" in event or "RDATE" in event or "RECURRENCE-ID" in event or counts[uid] > 1:
            recurring.add(uid)
    return recurring


SHARED_KINDS = frozenset({"maintenance", "migration"})


def _record(event: icalendar.Event, scope: Scope, recurring: set[str]) -> Record | None:
    start = _utc(event.get("DTSTART"))
    if start is None:
        return None
    end = _utc(event.get("DTEND")) or start
    uid = str(event.get("UID") or "")
    title = str(event.get("SUMMARY") or "")
    description = str(event.get("DESCRIPTION") or "")
    categories = _categories(event)
    kind = _kind(categories, title)
    services = _services(event, categories, f"{title}\n{description}", scope)
    if not services and kind == "freeze":
        # A freeze that names no service holds for every service.
        services = [ref.name for ref in scope.services]
    if not set(services) & scope.names and (services or kind not in SHARED_KINDS):
        # About other services. A maintenance or migration naming no service at all is on
        # shared infrastructure (the network, the hosts' OS), under every service.
        return None
    ident = uid
    if uid in recurring or not uid:
        # The original slot names an occurrence even when it was moved.
        ident = f"{uid}@{_iso(_utc(event.get('RECURRENCE-ID')) or start)}"
    return Record(
        ref=ident,
        service=next((s for s in services if s in scope.names), None),
        data={
            "uid": ident,
            "title": title,
            "start": _iso(start),
            "end": _iso(end),
            "services": services,
            "kind": kind,
        },
        observed_at=start,
        url=str(event["URL"]) if event.get("URL") else None,
    )


def _categories(event: icalendar.Event) -> list[str]:
    value = event.get("CATEGORIES")
    if value is None:
        return []
    props = value if isinstance(value, list) else [value]
    found: list[str] = []
    for prop in props:
        for item in getattr(prop, "cats", [prop]):
            text = str(item).strip()
            if text:
                found.append(text)
    return found


def _kind(categories: Iterable[str], title: str) -> str:
    for category in categories:
        kind = _CATEGORY_KINDS.get(category.strip().lower())
        if kind:
            return kind
    lowered = title.lower()
    for kind, words in _KIND_WORDS:
        if any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in words):
            return kind
    return "maintenance"


def _services(event: icalendar.Event, categories: list[str], text: str, scope: Scope) -> list[str]:
    """Catalog names the event names: X-SERVICES in full, categories and free text when they are in scope."""
    by_name = {}
    for ref in scope.services:
        for name in (ref.name, *ref.aliases):
            by_name.setdefault(name.lower(), ref.name)
    services: list[str] = []

    def add(name: str) -> None:
        if name and name not in services:
            services.append(name)

    declared = event.get("X-SERVICES")
    for value in declared if isinstance(declared, list) else [declared] if declared else []:
        for name in str(value).split(","):
            name = name.strip()
            add(by_name.get(name.lower(), name))
    for category in categories:
        add(by_name.get(category.lower(), ""))
    for ref in scope.services:
        if re.search(rf"(?<![\w-]){re.escape(ref.name)}(?![\w-])", text, re.IGNORECASE):
            add(ref.name)
    return services


def _utc(prop: object) -> datetime | None:
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=timezone.utc)
    return None


