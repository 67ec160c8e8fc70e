import base64
import json
from datetime import datetime, timezone

import httpx
import pytest
import respx

from collectors.base import NotConfigured, Scope
from collectors.vendors.loki import LokiLogs
from incidentdesk.http import Deadline, HttpError
from tests.collectors.vendors.recorded import fixture, scope_of

BASE = "http://loki.test:3100"
START = datetime(2025, 3, 4, 10, 0, tzinfo=timezone.utc)
END = datetime(2025, 3, 4, 11, 0, tzinfo=timezone.utc)
BASE_NS = 1741083300000000000  # 10:15:00Z, the fixtures' reference instant


def scope(*names: str) -> Scope:
    return scope_of(*names, start=START, end=END)


@pytest.fixture
def router():
    return respx.MockRouter(base_url=BASE, assert_all_called=False)


def two_pages(router):
    return router.get("/loki/api/v1/query_range").mock(
        side_effect=[
            httpx.Response(200, json=fixture("loki_query_range_page1.json")),
            httpx.Response(200, json=fixture("loki_query_range_page2.json")),
        ]
    )


def test_it_pages_backwards_and_drops_the_repeated_boundary_line(router, transport):
    route = two_pages(router)

    fetched = LokiLogs(BASE, page_limit=3, transport=transport).fetch(
        scope("checkout"), deadline=Deadline.after(5)
    )

    assert [r.data for r in fetched.records] == [
        {
            "ts": "2025-03-04T10:15:02.123Z",
            "service": "checkout",
            "level": "error",
            "message": 'msg="db timeout" duration=5003ms',
            "attributes": {"namespace": "prod", "pod": "checkout-7f9c-abcde"},
        },
        {
            "ts": "2025-03-04T10:15:01Z",
            "service": "checkout",
            "level": "warning",
            "message": 'ts=2025-03-04T10:15:01Z level=warn msg="retrying payment call"',
            "attributes": {"namespace": "prod", "pod": "checkout-7f9c-fghij"},
        },
        {
            "ts": "2025-03-04T10:15:00Z",
            "service": "checkout",
            "level": "error",
            "message": 'msg="db timeout" duration=5001ms',
            "attributes": {"namespace": "prod", "pod": "checkout-7f9c-abcde"},
        },
        {
            "ts": "2025-03-04T10:14:55Z",
            "service": "checkout",
            "level": "info",
            "message": "GET /healthz 200 3ms",
            "attributes": {"namespace": "prod", "pod": "checkout-7f9c-fghij"},
        },
    ]
    assert not fetched.truncated
    first, second = (call.request.url.params for call in route.calls)
    assert first["query"] == '{service="checkout"}'
    assert first["start"] == str(int(START.timestamp()) * 10**9)
    assert first["end"] == str(int(END.timestamp()) * 10**9)
    assert (first["limit"], first["direction"]) == ("3", "backward")
    assert second["end"] == str(BASE_NS + 1)
    assert second["start"] == first["start"]


def test_line_refs_are_stable_hashes_of_stream_time_and_text(router, transport):
    two_pages(router)
    first = LokiLogs(BASE, page_limit=3, transport=transport).fetch(
        scope("checkout"), deadline=Deadline.after(5)
    )
    two_pages(router)
    again = LokiLogs(BASE, page_limit=3, transport=transport).fetch(
        scope("checkout"), deadline=Deadline.after(5)
    )

    refs = [r.ref for r in first.records]
    assert refs == [r.ref for r in again.records]
    assert len(set(refs)) == 4
    assert all(ref.startswith("loki:") for ref in refs)
    assert first.records[0].observed_at == datetime(2025, 3, 4, 10, 15, 2, 123000, tzinfo=timezone.utc)


def test_it_stops_at_the_line_cap_and_says_so(router, transport):
    route = router.get("/loki/api/v1/query_range").mock(
        side_effect=lambda request: httpx.Response(200, json=fixture("loki_query_range_page1.json"))
    )

    fetched = LokiLogs(BASE, max_lines=3, transport=transport).fetch(
        scope("checkout"), deadline=Deadline.after(5)
    )

    assert route.call_count == 1
    assert route.calls.last.request.url.params["limit"] == "3"
    assert len(fetched.records) == 3
    assert fetched.truncated
    assert "kept the newest 3 lines" in fetched.note


def test_it_gives_up_when_a_full_page_repeats_one_nanosecond(router, transport):
    same_instant = {
        "status": "success",
        "data": {
            "resultType": "streams",
            "result": [
                {"stream": {"service": "checkout"}, "values": [[str(BASE_NS), "a"], [str(BASE_NS), "b"]]}
            ],
        },
    }
    route = router.get("/loki/api/v1/query_range").respond(json=same_instant)

    fetched = LokiLogs(BASE, page_limit=2, transport=transport).fetch(
        scope("checkout"), deadline=Deadline.after(5)
    )

    assert route.call_count == 2
    assert [r.data["message"] for r in fetched.records] == ["a", "b"]
    assert fetched.truncated
    assert "share one timestamp" in fetched.note


def test_it_sends_the_tenant_and_basic_auth(router, transport):
    route = router.get("/loki/api/v1/query_range").respond(json=fixture("loki_query_range_page2.json"))

    LokiLogs(BASE, tenant="team-a", auth=("reader", "pw"), transport=transport).fetch(
        scope("checkout"), deadline=Deadline.after(5)
    )

    sent = route.calls.last.request.headers
    assert sent["X-Scope-OrgID"] == "team-a"
    assert sent["Authorization"] == "Basic " + base64.b64encode(b"reader:pw").decode()


def test_it_reads_each_service_with_its_catalog_name(router, transport):
    route = router.get("/loki/api/v1/query_range").respond(json=fixture("loki_query_range_page2.json"))

    fetched = LokiLogs(BASE, transport=transport).fetch(
        scope("checkout", "payments-db"), deadline=Deadline.after(5)
    )

    assert [c.request.url.params["query"] for c in route.calls] == [
        '{service="checkout"}',
        '{service="payments-db"}',
    ]
    assert {r.service for r in fetched.records} == {"checkout", "payments-db"}


def test_a_5xx_is_retried_then_succeeds(router, transport, waits):
    router.get("/loki/api/v1/query_range").mock(
        side_effect=[httpx.Response(500), httpx.Response(200, json=fixture("loki_query_range_page2.json"))]
    )

    fetched = LokiLogs(BASE, transport=transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert len(fetched.records) == 2
    assert len(waits) == 1


def test_a_429_waits_as_long_as_retry_after_says(router, transport, waits):
    router.get("/loki/api/v1/query_range").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "0.5"}),
            httpx.Response(200, json=fixture("loki_query_range_page2.json")),
        ]
    )

    LokiLogs(BASE, transport=transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert waits == [0.5]


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_permanent(router, transport, waits, status):
    route = router.get("/loki/api/v1/query_range").respond(status, text="no org id")

    with pytest.raises(HttpError) as caught:
        LokiLogs(BASE, transport=transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert caught.value.reason == "error"
    assert route.call_count == 1


def test_a_timeout_is_reported_as_a_timeout(router, transport, waits):
    router.get("/loki/api/v1/query_range").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(HttpError) as caught:
        LokiLogs(BASE, transport=transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert caught.value.reason == "timeout"


@pytest.mark.parametrize(
    "content",
    [
        b"parse error at line 1",
        json.dumps(fixture("loki_query_range_matrix.json")).encode(),
        json.dumps(
            {"status": "success", "data": {"resultType": "streams", "result": [{"values": [[1, 2]]}]}}
        ).encode(),
        json.dumps(
            {"status": "success", "data": {"resultType": "streams", "result": [{"values": [["soon", "x"]]}]}}
        ).encode(),
    ],
)
def test_malformed_answers_are_reported_as_malformed(router, transport, content):
    router.get("/loki/api/v1/query_range").respond(200, content=content)

    with pytest.raises(HttpError) as caught:
        LokiLogs(BASE, transport=transport).fetch(scope("checkout"), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_an_oversized_answer_is_refused(router, transport):
    router.get("/loki/api/v1/query_range").respond(json=fixture("loki_query_range_page1.json"))

    with pytest.raises(HttpError) as caught:
        LokiLogs(BASE, max_bytes=100, transport=transport).fetch(
            scope("checkout"), deadline=Deadline.after(5)
        )

    assert caught.value.reason == "malformed"
    assert "cap" in caught.value.detail


def test_from_env_requires_the_url():
    with pytest.raises(NotConfigured, match="LOKI_URL"):
        LokiLogs.from_env({"LOKI_TENANT": "a"})


def test_from_env_requires_a_password_with_a_user():
    with pytest.raises(NotConfigured, match="LOKI_PASSWORD"):
        LokiLogs.from_env({"LOKI_URL": "http://loki:3100", "LOKI_USER": "reader"})


def test_from_env_reads_tenant_auth_and_query():
    connector = LokiLogs.from_env(
        {
            "LOKI_URL": "https://logs.example.net/",
            "LOKI_TENANT": "t1",
            "LOKI_USER": "u",
            "LOKI_PASSWORD": "p",
            "LOKI_QUERY": '{app="{service}", env="prod"}',
        }
    )

    assert (connector.base_url, connector.tenant, connector.auth) == (
        "https://logs.example.net",
        "t1",
        ("u", "p"),
    )
    assert connector.query == '{app="{service}", env="prod"}'
