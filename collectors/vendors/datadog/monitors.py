"""Datadog monitor states: GET /api/v1/monitor, by the service tag."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import httpx

from collectors.base import Fetched, Record, Scope, ServiceRef, SourceError
from collectors.timefmt import iso_z as _iso
from collectors.vendors.datadog.client import (
    Cut,
    DatadogConfig,
    DatadogConnector,
    parse_time,
    stopped_note,
)
from incidentdesk.http import MAX_BODY_BYTES, Deadline, HttpError, json_body, request

_METRIC_IN_QUERY = re.compile(r"([A-Za-z][\w.]*)\{")

_MONITOR_STATES = {
    "ok": "ok",
    "warn": "warn",
    "alert": "alert",
    "no data": "no_data",
    "unknown": "no_data",
    # Muted or skipped evaluations are not alerting.
    "ignored": "ok",
    "skipped": "ok",
}


class DatadogMonitors(DatadogConnector):
    source = "monitors"

    def __init__(
        self,
        config: DatadogConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        page_size: int = 100,
        max_monitors: int = 200,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        super().__init__(config, transport=transport, max_bytes=max_bytes)
        self.page_size = page_size
        self.max_monitors = max_monitors

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> DatadogMonitors:
        return cls(DatadogConfig.from_env(environ))

    def fetch(self, scope: Scope, *, deadline: Deadline) -> Fetched:
        records: list[Record] = []
        cut = Cut()
        with self._client() as client:
            for ref in scope.services:
                try:
                    records.extend(self._service_monitors(client, ref, deadline, cut))
                except HttpError as failure:
                    note = stopped_note(records, failure, f"monitors of {ref.name}")
                    return Fetched(
                        records, truncated=bool(cut.parts), note="; ".join(filter(None, [note, cut.note]))
                    )
        return Fetched(records, truncated=bool(cut.parts), note=cut.note)

    def _service_monitors(
        self, client: httpx.Client, ref: ServiceRef, deadline: Deadline, cut: Cut
    ) -> list[Record]:
        records: list[Record] = []
        page = 0
        while True:
            response = request(
                client,
                "GET",
                "/api/v1/monitor",
                deadline=deadline,
                # monitor_tags filters on the monitor's own service/custom tags; `tags` would filter on
                # the scope of the query (host:…), which is not what names a service's monitors.
                params={"monitor_tags": f"service:{ref.name}", "page": page, "page_size": self.page_size},
                max_bytes=self.max_bytes,
            )
            monitors = json_body(response)
            if not isinstance(monitors, list):
                raise SourceError("malformed", "monitor list is not a JSON array")
            for monitor in monitors:
                if len(records) >= self.max_monitors:
                    cut.add(f"monitors of {ref.name}: kept the first {self.max_monitors}")
                    return records
                records.append(self._record(ref, monitor))
            if len(monitors) < self.page_size:
                return records
            page += 1

    def _record(self, ref: ServiceRef, monitor: object) -> Record:
        if not isinstance(monitor, dict) or "id" not in monitor or not isinstance(monitor.get("name"), str):
            raise SourceError("malformed", "monitor without id or name")
        state = str(monitor.get("overall_state") or "").strip().lower()
        changed = parse_time(monitor.get("overall_state_modified"))
        return Record(
            ref=str(monitor["id"]),
            service=ref.name,
            data={
                "name": monitor["name"],
                "service": ref.name,
                "source": "datadog",
                "status": _MONITOR_STATES.get(state, "no_data"),
                "metric": monitor_metric(monitor.get("query")),
                "last_changed": _iso(changed) if changed else None,
            },
            observed_at=changed,
            url=f"{self.config.app_url}/monitors/{monitor['id']}",
        )


def monitor_metric(query: object) -> str | None:
    """Best effort: our metric name when the query's metric says which, else the query's first metric."""
    if not isinstance(query, str):
        return None
    found = _METRIC_IN_QUERY.search(query)
    if not found:
        return None
    metric = found.group(1)
    lowered = query.lower()
    if "error" in metric.lower():
        return "error_rate"
    if "duration" in metric.lower() or "latency" in metric.lower():
        return "latency_p99_ms" if "p99" in lowered or "0.99" in lowered else metric
    return metric
