import json
from datetime import datetime, timezone

import httpx
import pytest
import respx

from collectors.base import NotConfigured, Scope
from collectors.vendors.datadog import (
    DEFAULT_QUERIES,
    DatadogConfig,
    DatadogLogs,
    DatadogMetrics,
    DatadogMonitors,
    monitor_metric,
)
from incidentdesk.http import Deadline, HttpError
from tests.collectors.vendors.recorded import fixture, scope_of

API = "https://api.datadoghq.eu"
CONFIG = DatadogConfig(api_key="api-key-1", app_key="app-key-1", site="datadoghq.eu")
START = datetime(2026, 3, 4, 14, 0, tzinfo=timezone.utc)
END = datetime(2026, 3, 4, 15, 0, tzinfo=timezone.utc)


def scope(*names: str) -> Scope:
    return scope_of(*names, start=START, end=END)


@pytest.fixture
def router():
    return respx.MockRouter(base_url=API, assert_all_called=False)


def error_rate_only(transport, **kwargs) -> DatadogMetrics:
    return DatadogMetrics(
        CONFIG, queries={"error_rate": DEFAULT_QUERIES["error_rate"]}, transport=transport, **kwargs
    )


# Metrics


def test_metrics_normalise_the_pointlist_and_skip_null_points(router, transport):
    route = router.get("/api/v1/query").respond(json=fixture("datadog_query_error_rate.json"))

    fetched = error_rate_only(transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert not fetched.truncated
    [record] = fetched.records
    assert record.ref == "datadog:checkout:error_rate"
    assert record.service == "checkout"
    assert record.data == {
        "service": "checkout",
        "name": "error_rate",
        "source": "datadog",
        "step_seconds": 60,
        "points": [
            ["2026-03-04T14:00:00Z", 0.003],
            ["2026-03-04T14:02:00Z", 0.087],
            ["2026-03-04T14:03:00Z", 0.091],
        ],
    }
    assert record.observed_at == datetime(2026, 3, 4, 14, 3, tzinfo=timezone.utc)
    sent = route.calls.last.request
    assert sent.headers["DD-API-KEY"] == "api-key-1"
    assert sent.headers["DD-APPLICATION-KEY"] == "app-key-1"
    assert sent.url.params["from"] == str(int(START.timestamp()))
    assert sent.url.params["to"] == str(int(END.timestamp()))
    assert sent.url.params["query"] == (
        "sum:trace.http.request.errors{service:checkout}.as_rate()"
        "/sum:trace.http.request.hits{service:checkout}.as_rate()"
    )


def test_metrics_convert_latency_seconds_to_milliseconds(router, transport):
    router.get("/api/v1/query").respond(json=fixture("datadog_query_latency.json"))
    connector = DatadogMetrics(
        CONFIG, queries={"latency_p99_ms": DEFAULT_QUERIES["latency_p99_ms"]}, transport=transport
    )

    [record] = connector.fetch(scope("checkout"), deadline=Deadline.after(5)).records

    assert record.data["name"] == "latency_p99_ms"
    assert record.data["points"] == [["2026-03-04T14:00:00Z", 125.0], ["2026-03-04T14:01:00Z", 250.0]]


def test_metrics_query_each_metric_for_each_service_under_its_catalog_name(router, transport):
    route = router.get("/api/v1/query").respond(json=fixture("datadog_query_error_rate.json"))

    fetched = DatadogMetrics(CONFIG, transport=transport).fetch(
        scope("checkout", "payments-db"), deadline=Deadline.after(5)
    )

    queries = [call.request.url.params["query"] for call in route.calls]
    assert len(queries) == 6
    assert "p99:trace.http.request.duration{service:payments-db}" in queries
    assert {r.service for r in fetched.records} == {"checkout", "payments-db"}
    assert {r.data["name"] for r in fetched.records} == {"error_rate", "latency_p99_ms", "requests_per_s"}


def test_metrics_keep_only_the_latest_points_beyond_the_cap(router, transport):
    router.get("/api/v1/query").respond(json=fixture("datadog_query_error_rate.json"))

    fetched = error_rate_only(transport, max_points=2).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert fetched.truncated
    assert "kept the last 2 of 3 points" in fetched.note
    assert [p[0] for p in fetched.records[0].data["points"]] == [
        "2026-03-04T14:02:00Z",
        "2026-03-04T14:03:00Z",
    ]


def test_metrics_keep_the_first_series_beyond_the_series_cap(router, transport):
    body = fixture("datadog_query_error_rate.json")
    body["series"] = [dict(body["series"][0], scope=f"service:checkout,pod:{i}") for i in range(3)]
    router.get("/api/v1/query").respond(json=body)

    fetched = error_rate_only(transport, max_series=2).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert fetched.truncated
    assert [r.ref for r in fetched.records] == [
        "datadog:checkout:error_rate:service:checkout,pod:0",
        "datadog:checkout:error_rate:service:checkout,pod:1",
    ]


def test_metrics_with_no_series_give_no_records(router, transport):
    router.get("/api/v1/query").respond(json=fixture("datadog_query_empty.json"))

    fetched = error_rate_only(transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert fetched.records == []
    assert not fetched.truncated


def test_metrics_retry_a_5xx_then_succeed(router, transport, waits):
    router.get("/api/v1/query").mock(
        side_effect=[httpx.Response(502), httpx.Response(200, json=fixture("datadog_query_error_rate.json"))]
    )

    fetched = error_rate_only(transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert len(fetched.records) == 1
    assert len(waits) == 1


def test_metrics_honour_x_ratelimit_reset_on_429(router, transport, waits):
    router.get("/api/v1/query").mock(
        side_effect=[
            httpx.Response(429, headers={"X-RateLimit-Reset": "2", "X-RateLimit-Remaining": "0"}),
            httpx.Response(200, json=fixture("datadog_query_error_rate.json")),
        ]
    )

    fetched = error_rate_only(transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert len(fetched.records) == 1
    assert waits == [2.0]


def test_metrics_give_up_rate_limited_when_the_reset_is_past_the_deadline(router, transport, waits):
    router.get("/api/v1/query").respond(429, headers={"X-RateLimit-Reset": "30"})

    with pytest.raises(HttpError) as caught:
        error_rate_only(transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert caught.value.reason == "rate_limited"
    assert waits == []


@pytest.mark.parametrize("status", [401, 403])
def test_metrics_refused_credentials_are_permanent(router, transport, waits, status):
    route = router.get("/api/v1/query").respond(status, json={"errors": ["Forbidden"]})

    with pytest.raises(HttpError) as caught:
        error_rate_only(transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert caught.value.reason == "error"
    assert not caught.value.transient
    assert route.call_count == 1


def test_metrics_time_out(router, transport, waits):
    router.get("/api/v1/query").mock(side_effect=httpx.ReadTimeout("read timed out"))

    with pytest.raises(HttpError) as caught:
        error_rate_only(transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert caught.value.reason == "timeout"


def test_metrics_keep_what_was_read_when_a_later_service_fails(router, transport, waits):
    def answer(request: httpx.Request) -> httpx.Response:
        if "service:checkout" in request.url.params["query"]:
            return httpx.Response(200, json=fixture("datadog_query_error_rate.json"))
        return httpx.Response(400, json={"errors": ["Error parsing query"]})

    router.get("/api/v1/query").mock(side_effect=answer)

    fetched = error_rate_only(transport).fetch(scope("checkout", "ledger"), deadline=Deadline.after(5))

    assert [r.service for r in fetched.records] == ["checkout"]
    assert "stopped at error_rate of ledger" in fetched.note


@pytest.mark.parametrize(
    "body",
    [b"<html>gateway</html>", b'{"series": "nope"}', b'{"series": [{"pointlist": [["a", 1]]}]}'],
)
def test_metrics_malformed_answers_are_reported_as_malformed(router, transport, body):
    router.get("/api/v1/query").respond(200, content=body)

    with pytest.raises(HttpError) as caught:
        error_rate_only(transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_metrics_refuse_an_oversized_answer(router, transport):
    router.get("/api/v1/query").respond(json=fixture("datadog_query_error_rate.json"))

    with pytest.raises(HttpError) as caught:
        error_rate_only(transport, max_bytes=200).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"
    assert "cap" in caught.value.detail


def test_metrics_from_env_reads_site_and_query_overrides():
    connector = DatadogMetrics.from_env(
        {
            "DD_API_KEY": "k",
            "DD_APP_KEY": "a",
            "DD_SITE": "us5.datadoghq.com",
            "DD_QUERY_SATURATION": "max:kubernetes.cpu.usage.total{service:{service}}",
            "DD_QUERY_REQUESTS_PER_S": "",
        }
    )

    assert connector.config.api_url == "https://api.us5.datadoghq.com"
    assert set(connector.queries) == {"error_rate", "latency_p99_ms", "saturation"}


@pytest.mark.parametrize("missing", ["DD_API_KEY", "DD_APP_KEY"])
def test_from_env_names_the_missing_key(missing):
    environ = {"DD_API_KEY": "k", "DD_APP_KEY": "a"}
    del environ[missing]

    for connector in (DatadogMetrics, DatadogMonitors, DatadogLogs):
        with pytest.raises(NotConfigured, match=missing):
            connector.from_env(environ)


def test_from_env_defaults_to_the_us1_site():
    connector = DatadogLogs.from_env({"DD_API_KEY": "k", "DD_APP_KEY": "a"})

    assert connector.config.api_url == "https://api.datadoghq.com"
    assert connector.config.app_url == "https://app.datadoghq.com"


def test_from_env_refuses_a_site_that_is_not_a_host():
    with pytest.raises(NotConfigured, match="DD_SITE"):
        DatadogMonitors.from_env({"DD_API_KEY": "k", "DD_APP_KEY": "a", "DD_SITE": "evil.com/x?"})


# Monitors


def test_monitors_normalise_state_metric_and_last_change(router, transport):
    route = router.get("/api/v1/monitor").respond(json=fixture("datadog_monitors.json"))

    fetched = DatadogMonitors(CONFIG, transport=transport).fetch(
        scope("checkout"), deadline=Deadline.after(5)
    )

    assert route.calls.last.request.url.params["monitor_tags"] == "service:checkout"
    assert [(r.ref, r.data) for r in fetched.records] == [
        (
            "1001",
            {
                "name": "checkout error rate > 5%",
                "service": "checkout",
                "source": "datadog",
                "status": "alert",
                "metric": "error_rate",
                "last_changed": "2026-03-04T14:11:44Z",
            },
        ),
        (
            "1002",
            {
                "name": "checkout p99 latency > 800ms",
                "service": "checkout",
                "source": "datadog",
                "status": "no_data",
                "metric": "latency_p99_ms",
                "last_changed": None,
            },
        ),
        (
            "1003",
            {
                "name": "checkout logs: payment declined spike",
                "service": "checkout",
                "source": "datadog",
                "status": "warn",
                "metric": None,
                "last_changed": "2026-03-04T13:58:00Z",
            },
        ),
    ]
    assert fetched.records[0].url == "https://app.datadoghq.eu/monitors/1001"


def test_monitors_page_until_a_short_page(router, transport):
    monitors = fixture("datadog_monitors.json")
    route = router.get("/api/v1/monitor").mock(
        side_effect=[httpx.Response(200, json=monitors[:2]), httpx.Response(200, json=monitors[2:])]
    )

    fetched = DatadogMonitors(CONFIG, transport=transport, page_size=2).fetch(
        scope("checkout"), deadline=Deadline.after(5)
    )

    assert [r.ref for r in fetched.records] == ["1001", "1002", "1003"]
    assert [c.request.url.params["page"] for c in route.calls] == ["0", "1"]


def test_monitors_stop_at_the_cap(router, transport):
    router.get("/api/v1/monitor").respond(json=fixture("datadog_monitors.json"))

    fetched = DatadogMonitors(CONFIG, transport=transport, max_monitors=2).fetch(
        scope("checkout"), deadline=Deadline.after(5)
    )

    assert len(fetched.records) == 2
    assert fetched.truncated
    assert "monitors of checkout" in fetched.note


def test_monitors_not_a_list_is_malformed(router, transport):
    router.get("/api/v1/monitor").respond(json={"errors": []})

    with pytest.raises(HttpError) as caught:
        DatadogMonitors(CONFIG, transport=transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


@pytest.mark.parametrize(
    ("query", "metric"),
    [
        ("avg(last_5m):avg:system.cpu.user{service:web} > 90", "system.cpu.user"),
        ("avg(last_5m):sum:synthetics.test_runs{check:x}.as_count() > 1", "synthetics.test_runs"),
        ('events("sources:deploy").rollup("count").last("5m") > 0', None),
        (None, None),
    ],
)
def test_monitor_metric_is_read_from_the_query(query, metric):
    assert monitor_metric(query) == metric


# Logs


def test_logs_follow_the_cursor_and_normalise_each_event(router, transport):
    route = router.post("/api/v2/logs/events/search").mock(
        side_effect=[
            httpx.Response(200, json=fixture("datadog_logs_page1.json")),
            httpx.Response(200, json=fixture("datadog_logs_page2.json")),
        ]
    )

    fetched = DatadogLogs(CONFIG, transport=transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    first, second = (json.loads(call.request.content) for call in route.calls)
    assert first == {
        "filter": {"query": "service:checkout", "from": "2026-03-04T14:00:00Z", "to": "2026-03-04T15:00:00Z"},
        "sort": "-timestamp",
        "page": {"limit": 1000},
    }
    assert second["page"] == {"limit": 1000, "cursor": "eyJhZnRlciI6IkFRQUFBWTAwMDIifQ"}
    assert not fetched.truncated
    assert fetched.records[0].ref == "AQAAAY0001xyz"
    assert fetched.records[0].data == {
        "ts": "2026-03-04T14:15:02.123Z",
        "service": "checkout",
        "level": "error",
        "message": "db timeout after 5000ms",
        "attributes": {
            "host": "ip-10-0-1-5",
            "region": "eu-west-1",
            "pod": "checkout-7f9c-abcde",
            "duration_ms": 5003,
        },
    }
    assert [r.data["level"] for r in fetched.records] == ["error", "warning", "critical", "info"]


def test_logs_stop_at_the_line_cap_and_say_so(router, transport):
    route = router.post("/api/v2/logs/events/search").respond(json=fixture("datadog_logs_page1.json"))

    fetched = DatadogLogs(CONFIG, transport=transport, max_lines=2).fetch(
        scope("checkout"), deadline=Deadline.after(5)
    )

    assert route.call_count == 1
    assert json.loads(route.calls.last.request.content)["page"] == {"limit": 2}
    assert len(fetched.records) == 2
    assert fetched.truncated
    assert "kept the newest 2 lines" in fetched.note


def test_logs_honour_retry_after_on_429(router, transport, waits):
    router.post("/api/v2/logs/events/search").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "0.25"}),
            httpx.Response(200, json=fixture("datadog_logs_page2.json")),
        ]
    )

    fetched = DatadogLogs(CONFIG, transport=transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert waits == [0.25]
    assert len(fetched.records) == 2


def test_logs_event_without_timestamp_is_malformed(router, transport):
    page = fixture("datadog_logs_page2.json")
    del page["data"][0]["attributes"]["timestamp"]
    router.post("/api/v2/logs/events/search").respond(json=page)

    with pytest.raises(HttpError) as caught:
        DatadogLogs(CONFIG, transport=transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_logs_refused_credentials_are_permanent(router, transport, waits):
    route = router.post("/api/v2/logs/events/search").respond(403, json={"errors": ["Forbidden"]})

    with pytest.raises(HttpError) as caught:
        DatadogLogs(CONFIG, transport=transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert caught.value.reason == "error"
    assert route.call_count == 1
