"""Datadog reads: metric series, monitor states and log events of the run's services.

Three connectors share one configuration (API key, application key, site). Each
stops at the first failed call: what was read before it is kept and the note says
where it stopped; a failure before any record raises the SourceError.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from collectors.base import Fetched, NotConfigured, Record, Scope, ServiceRef, SourceError
from collectors.http import MAX_BODY_BYTES, Deadline, json_body, make_client, request
from collectors.timefmt import iso_z as _iso
from collectors.vendors.metric_queries import queries_from_env

# `{service}` is replaced with the catalog name; Datadog's own braces stay as they are.
DEFAULT_QUERIES: dict[str, str] = {
    "error_rate": (
        "sum:trace.http.request.errors{service:{service}}.as_rate()"
        "/sum:trace.http.request.hits{service:{service}}.as_rate()"
    ),
    "latency_p99_ms": "p99:trace.http.request.duration{service:{service}}",
    "requests_per_s": "sum:trace.http.request.hits{service:{service}}.as_rate()",
}

# Multipliers to milliseconds, by the unit Datadog reports for a series.
_TO_MS = {"nanosecond": 1e-6, "microsecond": 1e-3, "millisecond": 1.0, "second": 1000.0, "minute": 60000.0}

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

_SITE = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)+$")
_METRIC_IN_QUERY = re.compile(r"([A-Za-z][\w.]*)\{")


@dataclass(frozen=True)
class DatadogConfig:
    api_key: str = field(repr=False)
    app_key: str = field(repr=False)
    site: str = "datadoghq.com"

    @property
    def api_url(self) -> str:
        return f"https://api.{self.site}"

    @property
    def app_url(self) -> str:
        # The web UI is app.<site> for two-label sites, the site itself otherwise (us3, us5, ap1).
        return f"https://app.{self.site}" if self.site.count(".") == 1 else f"https://{self.site}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DatadogConfig:
        for name in ("DD_API_KEY", "DD_APP_KEY"):
            if not environ.get(name):
                raise NotConfigured(f"{name} is not set")
        site = (environ.get("DD_SITE") or "datadoghq.com").strip().lower()
        if not _SITE.match(site):
            raise NotConfigured(f"DD_SITE {site!r} is not a Datadog site such as datadoghq.eu")
        return cls(api_key=environ["DD_API_KEY"], app_key=environ["DD_APP_KEY"], site=site)


class _DatadogConnector:
    vendor = "datadog"

    def __init__(
        self,
        config: DatadogConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.config = config
        self.transport = transport
        self.max_bytes = max_bytes

    def _client(self) -> httpx.Client:
        return make_client(
            base_url=self.config.api_url,
            headers={"DD-API-KEY": self.config.api_key, "DD-APPLICATION-KEY": self.config.app_key},
            transport=self.transport,
        )


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _stopped(records: list[Record], failure: SourceError, where: str) -> str:
    """The note for a fetch cut short, or the failure itself when nothing was read."""
    if not records:
        raise failure
    return f"stopped at {where}: {failure}"


@dataclass
class _Cut:
    """What the caps cut, gathered into one note."""

    parts: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)

    @property
    def note(self) -> str:
        return "; ".join(self.parts)


class DatadogMetrics(_DatadogConnector):
    source = "metrics"

    def __init__(
        self,
        config: DatadogConfig,
        *,
        queries: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        max_series: int = 5,
        max_points: int = 2_000,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        super().__init__(config, transport=transport, max_bytes=max_bytes)
        self.queries = dict(DEFAULT_QUERIES if queries is None else queries)
        self.max_series = max_series
        self.max_points = max_points

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> DatadogMetrics:
        """DD_QUERY_<NAME> overrides a metric's query; set it empty to skip that metric."""
        queries = queries_from_env(DEFAULT_QUERIES, environ, "DD_QUERY_")
        return cls(DatadogConfig.from_env(environ), queries=queries)

    def fetch(self, scope: Scope, *, deadline: Deadline) -> Fetched:
        records: list[Record] = []
        cut = _Cut()
        params = {"from": int(scope.start.timestamp()), "to": int(scope.end.timestamp())}
        with self._client() as client:
            for ref in scope.services:
                for name, template in self.queries.items():
                    query = template.replace("{service}", ref.name)
                    try:
                        response = request(
                            client,
                            "GET",
                            "/api/v1/query",
                            deadline=deadline,
                            params={**params, "query": query},
                            max_bytes=self.max_bytes,
                        )
                        records.extend(self._series_records(ref, name, json_body(response), cut))
                    except SourceError as failure:
                        note = _stopped(records, failure, f"{name} of {ref.name}")
                        return Fetched(
                            records, truncated=bool(cut.parts), note="; ".join(filter(None, [note, cut.note]))
                        )
        return Fetched(records, truncated=bool(cut.parts), note=cut.note)

    def _series_records(self, ref: ServiceRef, name: str, body: object, cut: _Cut) -> list[Record]:
        if not isinstance(body, dict) or not isinstance(body.get("series"), list):
            raise SourceError("malformed", "metric query answer has no series list")
        if body.get("status") == "error" or body.get("error"):
            raise SourceError("error", f"query failed: {body.get('error') or 'status error'}")
        series = body["series"]
        if len(series) > self.max_series:
            cut.add(f"{name} of {ref.name}: kept {self.max_series} of {len(series)} series")
            series = series[: self.max_series]
        records = []
        for item in series:
            if not isinstance(item, dict) or not isinstance(item.get("pointlist"), list):
                raise SourceError("malformed", "series without a pointlist")
            scale = _latency_scale(item) if name == "latency_p99_ms" else 1.0
            points = []
            for point in item["pointlist"]:
                if not isinstance(point, list) or len(point) != 2 or not isinstance(point[0], (int, float)):
                    raise SourceError("malformed", f"point {point!r} is not [ms, value]")
                if point[1] is None:
                    continue
                at = datetime.fromtimestamp(point[0] / 1000, tz=timezone.utc)
                points.append([_iso(at), float(point[1]) * scale])
            if len(points) > self.max_points:
                cut.add(f"{name} of {ref.name}: kept the last {self.max_points} of {len(points)} points")
                points = points[-self.max_points :]
            ident = f"datadog:{ref.name}:{name}"
            if len(series) > 1:
                ident += f":{item.get('scope') or item.get('expression') or len(records)}"
            records.append(
                Record(
                    ref=ident,
                    service=ref.name,
                    data={
                        "service": ref.name,
                        "name": name,
                        "source": "datadog",
                        "step_seconds": _step_seconds(item),
                        "points": points,
                    },
                    observed_at=_parse_time(points[-1][0]) if points else None,
                )
            )
        return records


def _latency_scale(series: dict) -> float:
    """Milliseconds per unit of this series; trace durations are seconds when no unit is given."""
    units = series.get("unit")
    if isinstance(units, list) and units and isinstance(units[0], dict):
        return _TO_MS.get(str(units[0].get("name", "")).lower(), 1000.0)
    return 1000.0


def _step_seconds(series: dict) -> int | None:
    interval = series.get("interval")
    if isinstance(interval, (int, float)) and interval > 0:
        return int(interval)
    stamps = [p[0] for p in series.get("pointlist", [])[:2]]
    if len(stamps) == 2:
        return int((stamps[1] - stamps[0]) / 1000)
    return None


class DatadogMonitors(_DatadogConnector):
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
        cut = _Cut()
        with self._client() as client:
            for ref in scope.services:
                try:
                    records.extend(self._service_monitors(client, ref, deadline, cut))
                except SourceError as failure:
                    note = _stopped(records, failure, f"monitors of {ref.name}")
                    return Fetched(
                        records, truncated=bool(cut.parts), note="; ".join(filter(None, [note, cut.note]))
                    )
        return Fetched(records, truncated=bool(cut.parts), note=cut.note)

    def _service_monitors(
        self, client: httpx.Client, ref: ServiceRef, deadline: Deadline, cut: _Cut
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
        changed = _parse_time(monitor.get("overall_state_modified"))
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


class DatadogLogs(_DatadogConnector):
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
        cut = _Cut()
        with self._client() as client:
            for ref in scope.services:
                try:
                    records.extend(self._service_logs(client, ref, scope, deadline, cut))
                except SourceError as failure:
                    note = _stopped(records, failure, f"logs of {ref.name}")
                    return Fetched(
                        records, truncated=bool(cut.parts), note="; ".join(filter(None, [note, cut.note]))
                    )
        return Fetched(records, truncated=bool(cut.parts), note=cut.note)

    def _service_logs(
        self, client: httpx.Client, ref: ServiceRef, scope: Scope, deadline: Deadline, cut: _Cut
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
        when = _parse_time(attrs.get("timestamp"))
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
