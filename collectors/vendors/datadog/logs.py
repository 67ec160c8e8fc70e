"""Datadog log events: POST /api/v2/logs/events/search, paged by cursor up to the cap."""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from collectors.base import Fetched, Record, Scope, ServiceRef, SourceError
from collectors.timefmt import iso_z as _iso
from collectors.vendors.datadog.client import Cut, DatadogConfig, DatadogConnector, parse_time, stopped_note
from incidentdesk.http import MAX_BODY_BYTES, Deadline, HttpError, json_body, request

_LOG_LEVELS = {
    "emergency": "critical",
    "emerg": "critical",
    "alert": "critical",
    "critical": "critical",
    "crit": "critical",
    "fatal": "critical",
    "error": "error",
    "err": "error",
    "warning": "warning",
    "warn": "warning",
    "notice": "info",
    "info": "info",
    "informational": "info",
    "ok": "info",
    "success": "info",
    "debug": "debug",
    "trace": "debug",
}


class DatadogLogs(DatadogConnector):
    source = "logs"

    def __init__(
        self,
        config: DatadogConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        max_lines: int = 2_000,
        page_limit: int = 1_000,
        max_message_chars: int = 4_000,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        super().__init__(config, transport=transport, max_bytes=max_bytes)
        self.max_lines = max_lines
        self.page_limit = min(page_limit, 1_000)
        self.max_message_chars = max_message_chars

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> DatadogLogs:
        return cls(DatadogConfig.from_env(environ))

    def fetch(self, scope: Scope, *, deadline: Deadline) -> Fetched:
        records: list[Record] = []
        cut = Cut()
        with self._client() as client:
            for ref in scope.services:
                try:
                    records.extend(self._service_logs(client, ref, scope, deadline, cut))
                except HttpError as failure:
                    note = stopped_note(records, failure, f"logs of {ref.name}")
                    return Fetched(
                        records, truncated=bool(cut.parts), note="; ".join(filter(None, [note, cut.note]))
                    )
        return Fetched(records, truncated=bool(cut.parts), note=cut.note)

    def _service_logs(
        self, client: httpx.Client, ref: ServiceRef, scope: Scope, deadline: Deadline, cut: Cut
    ) -> list[Record]:
        records: list[Record] = []
        cursor: str | None = None
        while True:
            page: dict = {"limit": min(self.page_limit, self.max_lines - len(records))}
            if cursor:
                page["cursor"] = cursor
            body = {
                "filter": {"query": f"service:{ref.name}", "from": _iso(scope.start), "to": _iso(scope.end)},
                # Newest first, so that a cap keeps the lines nearest the page rather than the quiet start.
                "sort": "-timestamp",
                "page": page,
            }
            response = request(
                client,
                "POST",
                "/api/v2/logs/events/search",
                deadline=deadline,
                json=body,
                max_bytes=self.max_bytes,
            )
            answer = json_body(response)
            if not isinstance(answer, dict) or not isinstance(answer.get("data"), list):
                raise SourceError("malformed", "log search answer has no data list")
            records.extend(self._record(ref, event) for event in answer["data"])
            meta = answer.get("meta") if isinstance(answer.get("meta"), dict) else {}
            if meta.get("status") == "timeout":
                cut.add(f"logs of {ref.name}: Datadog answered partially (search timed out)")
            cursor = (meta.get("page") or {}).get("after") if isinstance(meta.get("page"), dict) else None
            if not cursor or not answer["data"]:
                return records
            if len(records) >= self.max_lines:
                cut.add(f"logs of {ref.name}: kept the newest {self.max_lines} lines")
                return records

    def _record(self, ref: ServiceRef, event: object) -> Record:
        if not isinstance(event, dict) or not isinstance(event.get("attributes"), dict) or "id" not in event:
            raise SourceError("malformed", "log event without id or attributes")
        attrs = event["attributes"]
        when = parse_time(attrs.get("timestamp"))
        if when is None:
            raise SourceError("malformed", f"log event {event['id']} has no timestamp")
        status = str(attrs.get("status") or "info").strip().lower()
        message = str(attrs.get("message") or "")[: self.max_message_chars]
        return Record(
            ref=str(event["id"]),
            service=ref.name,
            data={
                "ts": _iso(when),
                "service": ref.name,
                "level": _LOG_LEVELS.get(status, "info"),
                "message": message,
                "attributes": _small_attributes(attrs),
            },
            observed_at=when,
        )


def _small_attributes(attrs: dict, *, max_keys: int = 16, max_chars: int = 256) -> dict:
    """The event's scalar custom attributes (and its host), each value cut short."""
    custom = attrs.get("attributes") if isinstance(attrs.get("attributes"), dict) else {}
    merged = {"host": attrs["host"]} if isinstance(attrs.get("host"), str) else {}
    merged.update(custom)
    small: dict = {}
    for key, value in merged.items():
        if len(small) >= max_keys:
            break
        if isinstance(value, str):
            small[key] = value[:max_chars]
        elif isinstance(value, (bool, int, float)) or value is None:
            small[key] = value
    return small
