import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import respx

from collectors.base import NotConfigured, Scope
from collectors.vendors.prometheus import DEFAULT_QUERIES, PrometheusMetrics
from incidentdesk.http import Deadline, HttpError
from tests.collectors.vendors.recorded import fixture, scope_of

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "http://prometheus.test:9090"
START = datetime(2026, 3, 9, 1, 40, tzinfo=timezone.utc)
END = datetime(2026, 3, 9, 2, 40, tzinfo=timezone.utc)


def scope(*names: str, start: datetime = START, end: datetime = END) -> Scope:
    return scope_of(*names, start=start, end=end)


@pytest.fixture
def router():
    return respx.MockRouter(base_url=BASE, assert_all_called=False)


def error_rate_only(transport, **kwargs) -> PrometheusMetrics:
    return PrometheusMetrics(
        BASE, queries={"error_rate": DEFAULT_QUERIES["error_rate"]}, transport=transport, **kwargs
    )


def test_it_normalises_a_matrix_and_skips_nan_samples(router, transport):
    route = router.get("/api/v1/query_range").respond(json=fixture("prometheus_query_range_error_rate.json"))

    fetched = error_rate_only(transport).fetch(scope("orders-api"), deadline=Deadline.after(5))

    [record] = fetched.records
    assert record.ref == "prometheus:orders-api:error_rate"
    assert record.service == "orders-api"
    assert record.data == {
        "service": "orders-api",
        "name": "error_rate",
        "source": "prometheus",
        "step_seconds": 60,
        "points": [
            ["2026-03-09T01:40:00Z", 0.00507],
            ["2026-03-09T01:42:00Z", 0.0511],
            ["2026-03-09T01:43:00Z", 0.0843],
        ],
    }
    assert record.observed_at == datetime(2026, 3, 9, 1, 43, tzinfo=timezone.utc)
    params = route.calls.last.request.url.params
    assert params["query"] == (
        'sum(rate(http_requests_total{service="orders-api",code=~"5.."}[5m]))'
        ' / sum(rate(http_requests_total{service="orders-api"}[5m]))'
    )
    assert (params["start"], params["end"], params["step"]) == (
        "2026-03-09T01:40:00Z",
        "2026-03-09T02:40:00Z",
        "60",
    )
    assert "authorization" not in route.calls.last.request.headers


def test_it_queries_every_metric_for_every_service(router, transport):
    route = router.get("/api/v1/query_range").respond(json=fixture("prometheus_query_range_error_rate.json"))

    fetched = PrometheusMetrics(BASE, transport=transport).fetch(
        scope("orders-api", "inventory-api"), deadline=Deadline.after(5)
    )

    assert route.call_count == 6
    assert {(r.service, r.data["name"]) for r in fetched.records} == {
        (s, n)
        for s in ("orders-api", "inventory-api")
        for n in ("error_rate", "latency_p99_ms", "requests_per_s")
    }
    assert any(
        'http_request_duration_seconds_bucket{service="inventory-api"}' in c.request.url.params["query"]
        for c in route.calls
    )


def test_it_sends_the_bearer_token(router, transport):
    route = router.get("/api/v1/query_range").respond(json=fixture("prometheus_query_range_error_rate.json"))

    error_rate_only(transport, bearer_token="s3cret").fetch(scope("orders-api"), deadline=Deadline.after(5))

    assert route.calls.last.request.headers["authorization"] == "Bearer s3cret"


def test_it_raises_the_step_to_stay_under_eleven_thousand_points():
    connector = PrometheusMetrics(BASE)

    assert connector.step_for(START, START + timedelta(hours=6)) == 60
    week = connector.step_for(START, START + timedelta(days=30))
    assert week > 60
    assert (30 * 86400) / week < 11_000


def test_it_keeps_several_series_apart_and_caps_them(router, transport):
    router.get("/api/v1/query_range").respond(json=fixture("prometheus_query_range_by_pod.json"))

    fetched = error_rate_only(transport, max_series=2).fetch(scope("orders-api"), deadline=Deadline.after(5))

    assert [r.ref for r in fetched.records] == [
        "prometheus:orders-api:error_rate:pod=orders-api-0",
        "prometheus:orders-api:error_rate:pod=orders-api-1",
    ]
    assert fetched.truncated
    assert "kept 2 of 3 series" in fetched.note


def test_it_skips_infinite_samples(router, transport):
    router.get("/api/v1/query_range").respond(json=fixture("prometheus_query_range_by_pod.json"))

    fetched = error_rate_only(transport).fetch(scope("orders-api"), deadline=Deadline.after(5))

    assert fetched.records[2].data["points"] == []


def test_it_keeps_the_latest_points_beyond_the_cap(router, transport):
    router.get("/api/v1/query_range").respond(json=fixture("prometheus_query_range_error_rate.json"))

    fetched = error_rate_only(transport, max_points=1).fetch(scope("orders-api"), deadline=Deadline.after(5))

    assert fetched.records[0].data["points"] == [["2026-03-09T01:43:00Z", 0.0843]]
    assert fetched.truncated


def test_a_status_error_body_carries_the_error_type(router, transport):
    router.get("/api/v1/query_range").respond(200, json=fixture("prometheus_query_range_bad_data.json"))

    with pytest.raises(HttpError) as caught:
        error_rate_only(transport).fetch(scope("orders-api"), deadline=Deadline.after(5))

    assert caught.value.reason == "error"
    assert caught.value.detail.startswith("bad_data:")


@pytest.mark.parametrize("status", [400, 422])
def test_a_rejected_query_is_permanent(router, transport, waits, status):
    route = router.get("/api/v1/query_range").respond(
        status, json=fixture("prometheus_query_range_bad_data.json")
    )

    with pytest.raises(HttpError) as caught:
        error_rate_only(transport).fetch(scope("orders-api"), deadline=Deadline.after(5))

    assert caught.value.reason == "error"
    assert not caught.value.transient
    assert route.call_count == 1


def test_a_503_is_retried_then_succeeds(router, transport, waits):
    router.get("/api/v1/query_range").mock(
        side_effect=[
            httpx.Response(503, json={"status": "error", "errorType": "timeout", "error": "query timed out"}),
            httpx.Response(200, json=fixture("prometheus_query_range_error_rate.json")),
        ]
    )

    fetched = error_rate_only(transport).fetch(scope("orders-api"), deadline=Deadline.after(5))

    assert len(fetched.records) == 1
    assert len(waits) == 1


def test_a_429_waits_as_long_as_retry_after_says(router, transport, waits):
    router.get("/api/v1/query_range").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(200, json=fixture("prometheus_query_range_error_rate.json")),
        ]
    )

    fetched = error_rate_only(transport).fetch(scope("orders-api"), deadline=Deadline.after(5))

    assert waits == [1.0]
    assert len(fetched.records) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_permanent(router, transport, waits, status):
    route = router.get("/api/v1/query_range").respond(status)

    with pytest.raises(HttpError) as caught:
        error_rate_only(transport).fetch(scope("orders-api"), deadline=Deadline.after(5))

    assert caught.value.reason == "error"
    assert route.call_count == 1


def test_a_server_that_never_answers_is_a_timeout(router, transport, waits):
    router.get("/api/v1/query_range").mock(side_effect=httpx.ConnectTimeout("connect timed out"))

    with pytest.raises(HttpError) as caught:
        error_rate_only(transport).fetch(scope("orders-api"), deadline=Deadline.after(5))

    assert caught.value.reason == "timeout"


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        json.dumps({"status": "success", "data": {"resultType": "matrix"}}).encode(),
        json.dumps(
            {"status": "success", "data": {"resultType": "matrix", "result": [{"values": [[1, "x"]]}]}}
        ).encode(),
        (FIXTURES / "prometheus_query_vector.json").read_bytes(),
    ],
)
def test_malformed_answers_are_reported_as_malformed(router, transport, content):
    router.get("/api/v1/query_range").respond(200, content=content)

    with pytest.raises(HttpError) as caught:
        error_rate_only(transport).fetch(scope("orders-api"), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_an_oversized_answer_is_refused(router, transport):
    router.get("/api/v1/query_range").respond(json=fixture("prometheus_query_range_error_rate.json"))

    with pytest.raises(HttpError) as caught:
        error_rate_only(transport, max_bytes=64).fetch(scope("orders-api"), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"
    assert "64-byte cap" in caught.value.detail


def test_a_later_failure_keeps_what_was_read(router, transport, waits):
    def answer(request: httpx.Request) -> httpx.Response:
        if 'service="orders-api"' in request.url.params["query"]:
            return httpx.Response(200, json=fixture("prometheus_query_range_error_rate.json"))
        return httpx.Response(422, json=fixture("prometheus_query_range_bad_data.json"))

    router.get("/api/v1/query_range").mock(side_effect=answer)

    fetched = error_rate_only(transport).fetch(
        scope("orders-api", "inventory-api"), deadline=Deadline.after(5)
    )

    assert [r.service for r in fetched.records] == ["orders-api"]
    assert "stopped at error_rate of inventory-api" in fetched.note


def test_from_env_requires_the_url():
    with pytest.raises(NotConfigured, match="PROMETHEUS_URL"):
        PrometheusMetrics.from_env({})


def test_from_env_reads_token_and_query_overrides():
    connector = PrometheusMetrics.from_env(
        {
            "PROMETHEUS_URL": "https://prom.internal/",
            "PROMETHEUS_BEARER_TOKEN": "t",
            "PROMETHEUS_QUERY_SATURATION": 'max(container_cpu_usage{app="{service}"})',
            "PROMETHEUS_QUERY_LATENCY_P99_MS": "",
        }
    )

    assert connector.base_url == "https://prom.internal"
    assert connector.bearer_token == "t"
    assert set(connector.queries) == {"error_rate", "requests_per_s", "saturation"}
