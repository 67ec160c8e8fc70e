"""Sentry reads: the issues of the scope's projects seen in the window, with their latest event."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from collectors.base import Fetched, NotConfigured, Record, Scope, SourceError
from collectors.timefmt import iso_z as _iso
from collectors.timefmt import parse_iso as _parse_time
from collectors.timefmt import utc as _utc
from incidentdesk.http import MAX_BODY_BYTES, Deadline, HttpError, json_body, link_pages, make_client, request

DEFAULT_URL = "https://sentry.io"
PROJECT_ANNOTATION = "sentry.io/project-slug"
MAX_PAGES = 20
_SLUG = re.compile(r"^[A-Za-z0-9_.-]+$")
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)








class SentryErrors:
    """Issues last seen in the window, one record each, with in-app frames from the latest event."""

    source = "errors"
    vendor = "sentry"

    def __init__(
        self,
        *,
        token: str,
        org: str,
        url: str = DEFAULT_URL,
        max_records: int = 100,
        max_frames: int = 30,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.token = token
        self.org = org
        self.url = url.rstrip("/")
        self.max_records = max_records
        self.max_frames = max_frames
        self.transport = transport
        self.sleep = sleep
        self.max_bytes = max_bytes

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **kwargs: Any) -> SentryErrors:
        values = {name: environ.get(name, "").strip() for name in ("SENTRY_AUTH_TOKEN", "SENTRY_ORG")}
        for name, value in values.items():
            if not value:
                raise NotConfigured(f"{name} is not set")
        return cls(
            token=values["SENTRY_AUTH_TOKEN"],
            org=values["SENTRY_ORG"],
            url=environ.get("SENTRY_URL") or DEFAULT_URL,
            **kwargs,
        )

    def fetch(self, scope: Scope, *, deadline: Deadline) -> Fetched:
        start, end = _utc(scope.start), _utc(scope.end)
        projects: dict[str, str] = {}
        notes: list[str] = []
        for ref in scope.services:
            slug = str(ref.annotations.get(PROJECT_ANNOTATION) or ref.name)
            if not _SLUG.match(slug):
                notes.append(f"{ref.name}: project slug {slug!r} is not valid")
                continue
            projects.setdefault(slug, ref.name)

        records: list[Record] = []
        truncated = False
        missing = 0
        with make_client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, transport=self.transport
        ) as client:
            for slug, service in projects.items():
                try:
                    room = self.max_records - len(records)
                    issues, cut = self._issues(client, slug, start, end, room, deadline)
                except HttpError as exc:
                    if exc.reason != "not_found":
                        raise
                    missing += 1
                    notes.append(f"project {slug}: not found")
                    continue
                if cut:
                    truncated = True
                    notes.insert(0, f"kept {self.max_records} issues; more in project {slug} cut")
                records.extend(self._record(client, issue, service, deadline) for issue in issues)
        if projects and missing == len(projects):
            raise SourceError("not_found", "; ".join(notes))
        return Fetched(records=records, truncated=truncated, note="; ".join(notes))

    def _get(
        self, client: httpx.Client, url: str, deadline: Deadline, params: dict | None = None
    ) -> tuple[Any, httpx.Response]:
        response = request(
            client, "GET", url, deadline=deadline, params=params, sleep=self.sleep, max_bytes=self.max_bytes
        )
        return json_body(response), response

    def _pages(self, client: httpx.Client, path: str, params: dict, deadline: Deadline) -> Iterator[list]:
        return link_pages(client, path, params, deadline=deadline, max_pages=MAX_PAGES, sleep=self.sleep,
                          max_bytes=self.max_bytes)

    def _issues(
        self, client: httpx.Client, slug: str, start: datetime, end: datetime, room: int, deadline: Deadline
    ) -> tuple[list[dict], bool]:
        path = f"/api/0/projects/{quote(self.org, safe='')}/{slug}/issues/"
        # An empty query lists resolved issues too; statsPeriod only sizes the stats buckets.
        params = {"query": "", "statsPeriod": "24h"}
        kept: list[dict] = []
        try:
            for page in self._pages(client, path, params, deadline):
                for issue in page:
                    last_seen = _parse_time(issue["lastSeen"])
                    # Issues come newest last-seen first: the first one before the window ends the list.
                    if last_seen < start:
                        return kept, False
                    if last_seen > end:
                        continue
                    if len(kept) >= room:
                        return kept, True
                    kept.append(issue)
        except _SHAPE_ERRORS as exc:
            raise SourceError("malformed", f"project {slug} issues: {exc!r}") from exc
        return kept, False

    def _record(self, client: httpx.Client, issue: dict, service: str, deadline: Deadline) -> Record:
        try:
            issue_id = str(issue["id"])
            event = self._latest_event(client, issue_id, deadline)
            tags = {tag["key"]: tag["value"] for tag in event.get("tags") or [] if isinstance(tag, dict)}
            exceptions = [
                value
                for entry in event.get("entries") or []
                if entry.get("type") == "exception"
                for value in (entry.get("data") or {}).get("values") or []
            ]
            last_seen = _parse_time(issue["lastSeen"])
            context = {"environment": tags["environment"]} if tags.get("environment") else {}
            return Record(
                ref=issue_id,
                service=service,
                data={
                    "id": issue_id,
                    "service": service,
                    "title": issue["title"],
                    "culprit": issue.get("culprit"),
                    "first_seen": _iso(_parse_time(issue["firstSeen"])),
                    "last_seen": _iso(last_seen),
                    "count": int(issue["count"]),
                    "users": int(issue.get("userCount") or 0),
                    "release": tags.get("release") or _release(event.get("release")),
                    "frames": self._frames(exceptions),
                    "sample": {"message": _message(event, exceptions, issue), "context": context},
                },
                observed_at=last_seen,
                url=issue.get("permalink"),
            )
        except _SHAPE_ERRORS as exc:
            raise SourceError("malformed", f"issue {issue.get('id')!r}: {exc!r}") from exc

    def _latest_event(self, client: httpx.Client, issue_id: str, deadline: Deadline) -> dict:
        org, issue = quote(self.org, safe=""), quote(issue_id, safe="")
        path = f"/api/0/organizations/{org}/issues/{issue}/events/latest/"
        try:
            event, _ = self._get(client, path, deadline)
        except HttpError as exc:
            # Events outlive retention less than issues do: an issue without one is still evidence.
            if exc.reason == "not_found":
                return {}
            raise
        if not isinstance(event, dict):
            raise SourceError("malformed", f"issue {issue_id} latest event: expected a JSON object")
        return event

    def _frames(self, exceptions: list[dict]) -> list[dict]:
        # Chained exceptions run oldest first and frames outermost first, so the crashing frame ends the list.
        frames = [
            frame
            for value in exceptions
            for frame in (value.get("stacktrace") or {}).get("frames") or []
            if isinstance(frame, dict)
        ]
        chosen = [frame for frame in frames if frame.get("inApp")] or frames
        return [
            {
                "filename": frame.get("filename") or frame.get("module"),
                "function": frame.get("function"),
                "lineno": frame.get("lineNo"),
            }
            for frame in chosen[-self.max_frames :]
        ]


def _release(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("version")
    return value if isinstance(value, str) else None


def _message(event: dict, exceptions: list[dict], issue: dict) -> str:
    if event.get("message"):
        return event["message"]
    if exceptions:
        last = exceptions[-1]
        kind, value = last.get("type"), last.get("value")
        if kind and value:
            return f"{kind}: {value}"
        if kind or value:
            return kind or value
    return event.get("title") or issue["title"]
