"""Prometheus range queries: the run's services' golden signals as metric records."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from datetime import datetime, timezone

import httpx

from collectors.base import Fetched, NotConfigured, Record, Scope, ServiceRef, SourceError
from collectors.timefmt import iso_z as _iso
from collectors.vendors.metric_queries import queries_from_env
from incidentdesk.http import MAX_BODY_BYTES, Deadline, HttpError, json_body, make_client, request

# `{service}` is replaced with the catalog name; PromQL's own braces stay as they are.
DEFAULT_QUERIES: dict[str, str] = {
    "error_rate": (
        'sum(rate(http_requests_total{service="{service}",code=~"5.."}[5m]))'
        ' / sum(rate(http_requests_total{service="{service}"}[5m]))'
    ),
    "latency_p99_ms": (
        "1000 * histogram_quantile(0.99, sum by (le) "
        '(rate(http_request_duration_seconds_bucket{service="{service}"}[5m])))'
    ),
    "requests_per_s": 'sum(rate(http_requests_total{service="{service}"}[5m]))',
}

# Prometheus refuses a range query of more than 11,000 points per series.
SERVER_MAX_POINTS = 11_000


class PrometheusMetrics:
    source = "metrics"
    vendor = "prometheus"

    def __init__(
        self,
        base_url: str,
        *,
        bearer_token: str | None = None,
        queries: Mapping[str, str] | None = None,
        step_seconds: int = 60,
        max_series: int = 5,
        max_points: int = 2_000,
        max_bytes: int = MAX_BODY_BYTES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.bearer_token = bearer_token
        self.queries = dict(DEFAULT_QUERIES if queries is None else queries)
        self.step_seconds = step_seconds
        self.max_series = max_series
        self.max_points = max_points
        self.max_bytes = max_bytes
        self.transport = transport

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> PrometheusMetrics:
        """PROMETHEUS_QUERY_<NAME> overrides a metric's PromQL; set it empty to skip that metric."""
        url = (environ.get("PROMETHEUS_URL") or "").strip()
        if not url:
            raise NotConfigured("PROMETHEUS_URL is not set")
        if not url.startswith(("http://", "https://")):
            raise NotConfigured("PROMETHEUS_URL must be an http(s) URL")
        queries = queries_from_env(DEFAULT_QUERIES, environ, "PROMETHEUS_QUERY_")
        return cls(url, bearer_token=environ.get("PROMETHEUS_BEARER_TOKEN") or None, queries=queries)

    def step_for(self, start: datetime, end: datetime) -> int:
        span = max(0.0, (end - start).total_seconds())
        return max(self.step_seconds, math.ceil(span / (SERVER_MAX_POINTS - 1)))

    def fetch(self, scope: Scope, *, deadline: Deadline) -> Fetched:
        step = self.step_for(scope.start, scope.end)
        params = {"start": _iso(scope.start), "end": _iso(scope.end), "step": str(step)}
        headers = {"Authorization": f"Bearer {self.bearer_token}"} if self.bearer_token else None
        records: list[Record] = []
        cuts: list[str] = []
        with make_client(base_url=self.base_url, headers=headers, transport=self.transport) as client:
            for ref in scope.services:
                for name, template in self.queries.items():
                    try:
                        response = request(
                            client,
                            "GET",
                            "/api/v1/query_range",
                            deadline=deadline,
                            params={**params, "query": template.replace("{service}", ref.name)},
                            max_bytes=self.max_bytes,
                        )
                        records.extend(self._records(ref, name, step, json_body(response), cuts))
                    except HttpError as failure:
                        if not records:
                            raise
                        note = f"stopped at {name} of {ref.name}: {failure}"
                        return Fetched(records, truncated=bool(cuts), note="; ".join([note, *cuts]))
        return Fetched(records, truncated=bool(cuts), note="; ".join(cuts))

    def _records(self, ref: ServiceRef, name: str, step: int, body: object, cuts: list[str]) -> list[Record]:
        if not isinstance(body, dict):
            raise SourceError("malformed", "query_range answer is not an object")
        if body.get("status") == "error":
            raise SourceError("error", f"{body.get('errorType', 'error')}: {body.get('error', '')}".strip())
        data = body.get("data")
        if (
            body.get("status") != "success"
            or not isinstance(data, dict)
            or not isinstance(data.get("result"), list)
        ):
            raise SourceError("malformed", "query_range answer has no data.result")
        if data.get("resultType") != "matrix":
            raise SourceError("malformed", f"expected a matrix, got {data.get('resultType')!r}")
        series = data["result"]
        if len(series) > self.max_series:
            cuts.append(f"{name} of {ref.name}: kept {self.max_series} of {len(series)} series")
            series = series[: self.max_series]
        records = []
        for item in series:
            if not isinstance(item, dict) or not isinstance(item.get("values"), list):
                raise SourceError("malformed", "series without values")
            points = [p for p in (_point(v) for v in item["values"]) if p is not None]
            if len(points) > self.max_points:
                cuts.append(f"{name} of {ref.name}: kept the last {self.max_points} of {len(points)} points")
                points = points[-self.max_points :]
            ident = f"prometheus:{ref.name}:{name}"
            if len(series) > 1:
                labels = item.get("metric") if isinstance(item.get("metric"), dict) else {}
                ident += ":" + ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
            records.append(
                Record(
                    ref=ident,
                    service=ref.name,
                    data={
                        "service": ref.name,
                        "name": name,
                        "source": "prometheus",
                        "step_seconds": step,
                        "points": [[_iso(at), value] for at, value in points],
                    },
                    observed_at=points[-1][0] if points else None,
                )
            )
        return records


def _point(raw: object) -> tuple[datetime, float] | None:
    """A [unix seconds, "value"] pair, or None for the NaN and infinite values Prometheus emits."""
    if not isinstance(raw, list) or len(raw) != 2 or not isinstance(raw[0], (int, float)):
        raise SourceError("malformed", f"sample {raw!r} is not [time, value]")
    try:
        value = float(raw[1])
    except (TypeError, ValueError) as exc:
        raise SourceError("malformed", f"sample value {raw[1]!r} is not a number") from exc
    if not math.isfinite(value):
        return None
    return datetime.fromtimestamp(raw[0], tz=timezone.utc), value


