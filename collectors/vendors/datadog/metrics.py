"""Datadog metric series: GET /api/v1/query, one query per metric name and service."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone

import httpx

from collectors.base import Fetched, Record, Scope, ServiceRef, SourceError
from collectors.timefmt import iso_z as _iso
from collectors.vendors.datadog.client import Cut, DatadogConfig, DatadogConnector, parse_time, stopped_note
from collectors.vendors.metric_queries import queries_from_env
from incidentdesk.http import MAX_BODY_BYTES, Deadline, HttpError, json_body, request

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

# Multipliers to milliseconds, by the unit Datadog reports for a series.
_TO_MS = {"nanosecond": 1e-6, "microsecond": 1e-3, "millisecond": 1.0, "second": 1000.0, "minute": 60000.0}


class DatadogMetrics(DatadogConnector):
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
        cut = Cut()
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
                    except HttpError as failure:
                        note = stopped_note(records, failure, f"{name} of {ref.name}")
                        return Fetched(
                            records, truncated=bool(cut.parts), note="; ".join(filter(None, [note, cut.note]))
                        )
        return Fetched(records, truncated=bool(cut.parts), note=cut.note)

    def _series_records(self, ref: ServiceRef, name: str, body: object, cut: Cut) -> list[Record]:
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
                    observed_at=parse_time(points[-1][0]) if points else None,
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
