from datetime import datetime, timezone

import httpx
import pytest
import respx

from collectors.base import NotConfigured, Scope, ServiceRef
from collectors.vendors.pagerduty import PagerDutyIncidents, service_ids
from incidentdesk.http import Deadline, HttpError
from tests.collectors.vendors.recorded import fixture, scope_of

PD = "https://api.pagerduty.com"


def scope(*services: ServiceRef) -> Scope:
    services = services or (
        ServiceRef(name="billing-webhooks", aliases=("billing", "PBILLNG")),
        ServiceRef(name="customers-api", annotations={"pagerduty.com/service-id": "PCUST01"}),
        ServiceRef(name="invoice-store"),
    )
    return scope_of(
        *services,
        start=datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc),
        end=datetime(2026, 3, 2, 14, 30, tzinfo=timezone.utc),
    )


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(base_url=PD, assert_all_mocked=True)


def connector(router: respx.Router, sleeps: list[float], **kwargs) -> PagerDutyIncidents:
    return PagerDutyIncidents(
        token="u+test-key", transport=httpx.MockTransport(router.handler), sleep=sleeps.append, **kwargs
    )


def test_resolved_incidents_are_paged_by_offset_and_normalised(router, sleeps):
    page2 = router.get("/incidents", params={"offset": "2"})
    page2.respond(json=fixture("pagerduty_incidents_page2.json"))
    page1 = router.get("/incidents", params={"offset": "0"})
    page1.respond(json=fixture("pagerduty_incidents_page1.json"))

    fetched = connector(router, sleeps, page_size=2).fetch(scope(), deadline=Deadline.after(5))

    assert [r.data for r in fetched.records] == [
        {
            "id": "Q2KFMT5OLR8UVI",
            "service": "billing-webhooks",
            "title": "Duplicate invoice events after provider retries",
            "opened_at": "2026-02-20T17:40:00Z",
            "resolved_at": "2026-02-20T18:31:00Z",
            "cause": None,
            "resolution": None,
        },
        {
            "id": "Q1YNLAJ0FB7UGT",
            "service": "customers-api",
            "title": "customers-api p99 latency above 2s",
            "opened_at": "2026-01-30T09:05:12Z",
            "resolved_at": "2026-01-30T09:47:40Z",
            "cause": None,
            "resolution": None,
        },
        {
            "id": "Q0ZA3XX0K1BR6N",
            "service": "billing-webhooks",
            "title": "Webhook signature failures from provider",
            "opened_at": "2025-12-08T10:00:00Z",
            "resolved_at": "2025-12-08T10:20:00Z",
            "cause": None,
            "resolution": None,
        },
    ]
    assert fetched.records[0].ref == "Q2KFMT5OLR8UVI"
    assert fetched.records[0].url == "https://acme.pagerduty.com/incidents/Q2KFMT5OLR8UVI"
    assert fetched.truncated is False
    assert (page1.call_count, page2.call_count) == (1, 1)
    assert page2.calls.last.request.url.params["limit"] == "2"


def test_the_query_names_only_the_scope_services_and_the_history_window(router, sleeps):
    route = router.get("/incidents").respond(json={"incidents": [], "limit": 100, "offset": 0, "more": False})

    connector(router, sleeps, history_days=30).fetch(scope(), deadline=Deadline.after(5))

    sent = route.calls.last.request
    assert sent.url.params.get_list("service_ids[]") == ["PBILLNG", "PCUST01"]
    assert sent.url.params.get_list("statuses[]") == ["resolved"]
    assert sent.url.params["since"] == "2026-01-31T14:30:00Z"
    assert sent.url.params["until"] == "2026-03-02T14:30:00Z"
    assert (sent.url.params["limit"], sent.url.params["offset"]) == ("100", "0")
    assert sent.headers["Authorization"] == "Token token=u+test-key"
    assert sent.headers["Accept"] == "application/vnd.pagerduty+json;version=2"


def test_service_ids_come_from_annotations_and_id_shaped_aliases_only():
    found = service_ids(
        scope(
            ServiceRef(name="a", aliases=("PABC123", "pabc123", "PABC12", "billing")),
            ServiceRef(name="b", annotations={"pagerduty.com/service-id": "PXYZ789, PXYZ780"}),
        )
    )

    assert found == {"PABC123": "a", "PXYZ789": "b", "PXYZ780": "b"}


def test_no_service_id_means_no_query_at_all(router, sleeps):
    unpaged = scope(ServiceRef(name="invoice-store"))

    fetched = connector(router, sleeps).fetch(unpaged, deadline=Deadline.after(5))

    assert fetched.records == []
    assert "no PagerDuty service id" in fetched.note
    assert len(router.calls) == 0


def test_the_cap_cuts_older_incidents_and_says_so(router, sleeps):
    router.get("/incidents").respond(json=fixture("pagerduty_incidents_page1.json"))

    fetched = connector(router, sleeps, max_records=1).fetch(scope(), deadline=Deadline.after(5))

    assert [r.ref for r in fetched.records] == ["Q2KFMT5OLR8UVI"]
    assert fetched.truncated is True
    assert "latest 1 incidents" in fetched.note


def test_paging_stops_before_the_offset_limit(router, sleeps):
    body = fixture("pagerduty_incidents_page1.json")
    route = router.get("/incidents").respond(json=body)

    fetched = connector(router, sleeps, max_records=20_000).fetch(scope(), deadline=Deadline.after(5))

    # Offsets 0, 100, ..., 9900: asking for 10000 + 100 would be refused.
    assert route.call_count == 100
    assert route.calls.last.request.url.params["offset"] == "9900"
    assert fetched.truncated is True
    assert "10000" in fetched.note


def test_incidents_time_out_after_retrying_within_the_deadline(router, sleeps):
    route = router.get("/incidents").mock(side_effect=httpx.ReadTimeout("read timed out"))

    with pytest.raises(HttpError) as caught:
        connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "timeout"
    assert route.call_count == 4


def test_a_server_error_is_retried(router, sleeps):
    route = router.get("/incidents")
    route.side_effect = [
        httpx.Response(500, json={"error": {"message": "Internal error", "code": 2001}}),
        httpx.Response(200, json=fixture("pagerduty_incidents_page2.json")),
    ]

    fetched = connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert [r.ref for r in fetched.records] == ["Q0ZA3XX0K1BR6N"]
    assert route.call_count == 2


def test_a_429_with_retry_after_is_honoured(router, sleeps):
    route = router.get("/incidents")
    route.side_effect = [
        httpx.Response(
            429,
            headers={"Retry-After": "0", "ratelimit-remaining": "0", "ratelimit-reset": "12"},
            json={"error": {"message": "Rate Limit Exceeded", "code": 2020}},
        ),
        httpx.Response(200, json=fixture("pagerduty_incidents_page2.json")),
    ]

    fetched = connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert len(fetched.records) == 1
    assert route.call_count == 2
    assert sleeps == [0.0]


@pytest.mark.parametrize(("status", "reason"), [(401, "error"), (403, "error"), (404, "not_found")])
def test_refused_or_missing_are_permanent_and_not_retried(router, sleeps, status, reason):
    route = router.get("/incidents").respond(
        status, json={"error": {"message": "Invalid Credentials", "code": 2006, "errors": []}}
    )

    with pytest.raises(HttpError) as caught:
        connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == reason
    assert route.call_count == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json={"incident": {}}),
        httpx.Response(200, json={"incidents": ["Q2KFMT5OLR8UVI"]}),
        httpx.Response(200, json={"incidents": [{"id": "Q1", "service": {"id": "PBILLNG"}, "title": "x"}]}),
    ],
    ids=["not-json", "no-incidents-list", "entry-not-object", "incident-without-created_at"],
)
def test_malformed_answers_are_reported_as_malformed(router, sleeps, response):
    router.get("/incidents").mock(return_value=response)

    with pytest.raises(HttpError) as caught:
        connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_an_oversized_answer_is_refused(router, sleeps):
    body = fixture("pagerduty_incidents_page1.json")
    body["incidents"] *= 10
    router.get("/incidents").respond(json=body)

    with pytest.raises(HttpError) as caught:
        connector(router, sleeps, max_bytes=10_000).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_from_env_needs_the_token():
    with pytest.raises(NotConfigured, match="PAGERDUTY_API_TOKEN"):
        PagerDutyIncidents.from_env({"PAGERDUTY_URL": "https://api.eu.pagerduty.com"})

    connector = PagerDutyIncidents.from_env({"PAGERDUTY_API_TOKEN": "key"})
    assert connector.url == PD and connector.history_days == 90
    assert (
        PagerDutyIncidents.from_env(
            {"PAGERDUTY_API_TOKEN": "key", "PAGERDUTY_URL": "https://api.eu.pagerduty.com"}
        ).url
        == "https://api.eu.pagerduty.com"
    )
