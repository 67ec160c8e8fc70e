"""Grafana Loki log lines of the run's services, newest first, paged backwards up to a cap."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from datetime import datetime, timezone

import httpx

from collectors.base import Fetched, NotConfigured, Record, Scope, ServiceRef, SourceError
from collectors.timefmt import iso_z as _iso
from incidentdesk.http import MAX_BODY_BYTES, Deadline, HttpError, json_body, make_client, request

# `{service}` is replaced with the catalog name; LogQL's own braces stay as they are.
DEFAULT_QUERY = '{service="{service}"}'

_LEVELS = {
    "emergency": "critical",
    "emerg": "critical",
    "alert": "critical",
    "critical": "critical",
    "crit": "critical",
    "fatal": "critical",
    "panic": "critical",
    "error": "error",
    "err": "error",
    "eror": "error",
    "warning": "warning",
    "warn": "warning",
    "notice": "info",
    "info": "info",
    "informational": "info",
    "debug": "debug",
    "dbug": "debug",
    "trace": "debug",
}
_LOGFMT_LEVEL = re.compile(r'(?:^|\s)(?:level|lvl)="?([A-Za-z]+)"?(?=\s|$)')
_LABELS_KEPT_OUT = {"service", "level", "detected_level", "service_name"}


class LokiLogs:
    source = "logs"
    vendor = "loki"

    def __init__(
        self,
        base_url: str,
        *,
        tenant: str | None = None,
        auth: tuple[str, str] | None = None,
        query: str = DEFAULT_QUERY,
        max_lines: int = 2_000,
        page_limit: int = 1_000,
        max_message_chars: int = 4_000,
        max_bytes: int = MAX_BODY_BYTES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tenant = tenant
        self.auth = auth
        self.query = query
        self.max_lines = max_lines
        self.page_limit = page_limit
        self.max_message_chars = max_message_chars
        self.max_bytes = max_bytes
        self.transport = transport

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> LokiLogs:
        """LOKI_URL; optional LOKI_TENANT, LOKI_USER + LOKI_PASSWORD, LOKI_QUERY (a `{service}` template)."""
        url = (environ.get("LOKI_URL") or "").strip()
        if not url:
            raise NotConfigured("LOKI_URL is not set")
        if not url.startswith(("http://", "https://")):
            raise NotConfigured("LOKI_URL must be an http(s) URL")
        user, password = environ.get("LOKI_USER"), environ.get("LOKI_PASSWORD")
        if user and not password:
            raise NotConfigured("LOKI_PASSWORD is not set (LOKI_USER is)")
        return cls(
            url,
            tenant=environ.get("LOKI_TENANT") or None,
            auth=(user, password) if user and password else None,
            query=(environ.get("LOKI_QUERY") or "").strip() or DEFAULT_QUERY,
        )

    def fetch(self, scope: Scope, *, deadline: Deadline) -> Fetched:
        headers = {"X-Scope-OrgID": self.tenant} if self.tenant else None
        records: list[Record] = []
        cuts: list[str] = []
        with make_client(
            base_url=self.base_url, headers=headers, auth=self.auth, transport=self.transport
        ) as client:
            for ref in scope.services:
                try:
                    records.extend(self._service_lines(client, ref, scope, deadline, cuts))
                except HttpError as failure:
                    if not records:
                        raise
                    note = f"stopped at logs of {ref.name}: {failure}"
                    return Fetched(records, truncated=bool(cuts), note="; ".join([note, *cuts]))
        return Fetched(records, truncated=bool(cuts), note="; ".join(cuts))

    def _service_lines(
        self, client: httpx.Client, ref: ServiceRef, scope: Scope, deadline: Deadline, cuts: list[str]
    ) -> list[Record]:
        start_ns = _ns(scope.start)
        end_ns = _ns(scope.end)
        seen: set[str] = set()
        boundary = 0  # lines already held at the oldest nanosecond, which the next page repeats
        records: list[Record] = []
        while True:
            limit = min(self.page_limit, self.max_lines - len(records) + boundary)
            response = request(
                client,
                "GET",
                "/loki/api/v1/query_range",
                deadline=deadline,
                params={
                    "query": self.query.replace("{service}", ref.name),
                    "start": str(start_ns),
                    "end": str(end_ns),
                    "limit": str(limit),
                    "direction": "backward",
                },
                max_bytes=self.max_bytes,
            )
            entries = sorted(_entries(json_body(response)), key=lambda e: e[1], reverse=True)
            fresh = 0
            for labels, ts, line in entries:
                key = _line_key(labels, ts, line)
                if key in seen or len(records) >= self.max_lines:
                    continue
                seen.add(key)
                fresh += 1
                records.append(self._record(ref, key, labels, ts, line))
            if len(entries) < limit:
                return records
            if len(records) >= self.max_lines:
                cuts.append(f"logs of {ref.name}: kept the newest {self.max_lines} lines")
                return records
            if fresh == 0:
                # A full page of lines at one nanosecond that we already hold: paging cannot move on.
                cuts.append(f"logs of {ref.name}: more than {limit} lines share one timestamp; stopped there")
                return records
            oldest = entries[-1][1]
            boundary = sum(1 for _, ts, _ in entries if ts == oldest)
            # `end` is exclusive: ask again up to and including the oldest nanosecond seen, then drop repeats.
            end_ns = oldest + 1

    def _record(self, ref: ServiceRef, key: str, labels: dict, ts: int, line: str) -> Record:
        when = datetime.fromtimestamp(ts // 1_000_000_000, tz=timezone.utc).replace(
            microsecond=(ts % 1_000_000_000) // 1000
        )
        return Record(
            ref=key,
            service=ref.name,
            data={
                "ts": _iso(when),
                "service": ref.name,
                "level": _level(labels, line),
                "message": line[: self.max_message_chars],
                "attributes": {k: v for k, v in sorted(labels.items()) if k not in _LABELS_KEPT_OUT},
            },
            observed_at=when,
        )


def _entries(body: object) -> list[tuple[dict, int, str]]:
    """(stream labels, ns timestamp, line) for every value of a streams answer."""
    if not isinstance(body, dict) or body.get("status") != "success":
        detail = body.get("error", "") if isinstance(body, dict) else ""
        raise SourceError("malformed", f"Loki did not answer success {detail}".strip())
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("result"), list):
        raise SourceError("malformed", "Loki answer has no data.result")
    if data.get("resultType") != "streams":
        raise SourceError("malformed", f"expected streams, got {data.get('resultType')!r}")
    entries = []
    for stream in data["result"]:
        if not isinstance(stream, dict) or not isinstance(stream.get("values"), list):
            raise SourceError("malformed", "stream without values")
        labels = stream.get("stream") if isinstance(stream.get("stream"), dict) else {}
        for value in stream["values"]:
            if not isinstance(value, list) or len(value) < 2 or not isinstance(value[1], str):
                raise SourceError("malformed", f"log value {value!r} is not [ns, line]")
            try:
                ts = int(value[0])
            except (TypeError, ValueError) as exc:
                raise SourceError("malformed", f"timestamp {value[0]!r} is not nanoseconds") from exc
            entries.append((labels, ts, value[1]))
    return entries


def _line_key(labels: dict, ts: int, line: str) -> str:
    """A stable id for one line: the same stream, nanosecond and text always hash alike."""
    material = json.dumps([sorted(labels.items()), ts, line], ensure_ascii=False, separators=(",", ":"))
    return "loki:" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def _level(labels: dict, line: str) -> str:
    for name in ("level", "detected_level", "severity"):
        value = labels.get(name)
        if isinstance(value, str) and value.lower() in _LEVELS:
            return _LEVELS[value.lower()]
    found = _LOGFMT_LEVEL.search(line)
    if found and found.group(1).lower() in _LEVELS:
        return _LEVELS[found.group(1).lower()]
    return "info"


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


