from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import respx

from collectors.base import NotConfigured, Scope, ServiceRef
from collectors.vendors.sentry import SentryErrors
from incidentdesk.http import Deadline, HttpError
from tests.collectors.vendors.recorded import fixture, scope_of

FIXTURES = Path(__file__).parent / "fixtures"
SENTRY = "https://sentry.io"
ISSUES = "/api/0/projects/acme/billing-webhooks/issues/"
EVENTS = "/api/0/organizations/acme/issues/{}/events/latest/"


def scope(*services: ServiceRef) -> Scope:
    return scope_of(
        *(services or (ServiceRef(name="billing-webhooks"),)),
        start=datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc),
        end=datetime(2026, 3, 2, 14, 30, tzinfo=timezone.utc),
    )


def link(cursor: str, *, results: str = "true") -> str:
    return (
        f'<{SENTRY}{ISSUES}?query=&statsPeriod=24h&cursor=1772460000000:0:1>; rel="previous"; '
        f'results="false"; cursor="1772460000000:0:1", '
        f'<{SENTRY}{ISSUES}?query=&statsPeriod=24h&cursor={cursor}>; rel="next"; results="{results}"; '
        f'cursor="{cursor}"'
    )


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(base_url=SENTRY, assert_all_mocked=True)


def connector(router: respx.Router, sleeps: list[float], **kwargs) -> SentryErrors:
    return SentryErrors(
        token="sntrys_test",
        org="acme",
        transport=httpx.MockTransport(router.handler),
        sleep=sleeps.append,
        **kwargs,
    )


def mock_issues(router: respx.Router) -> dict[str, respx.Route]:
    return {
        "page3": router.get(ISSUES, params={"cursor": "1772440000000:0:0"}).respond(json=[]),
        "page2": router.get(ISSUES, params={"cursor": "1772450000000:0:0"}).respond(
            json=fixture("sentry_issues_page2.json"), headers={"Link": link("1772440000000:0:0")}
        ),
        "page1": router.get(ISSUES).respond(
            json=fixture("sentry_issues_page1.json"), headers={"Link": link("1772450000000:0:0")}
        ),
        "event452": router.get(EVENTS.format("2977100452")).respond(
            json=fixture("sentry_event_latest_2977100452.json")
        ),
        "event111": router.get(EVENTS.format("2977101111")).respond(
            json=fixture("sentry_event_latest_2977101111.json")
        ),
    }


def test_issues_seen_in_the_window_become_error_records_with_in_app_frames(router, sleeps):
    routes = mock_issues(router)

    fetched = connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert [r.data for r in fetched.records] == [
        {
            "id": "2977100452",
            "service": "billing-webhooks",
            "title": "ValidationError: unsupported currency 'XTS'",
            "culprit": "billing.parser in parse_amount",
            "first_seen": "2026-02-12T14:12:00Z",
            "last_seen": "2026-03-02T13:20:11.482Z",
            "count": 9,
            "users": 0,
            "release": "billing-webhooks@914a93910f68",
            "frames": [
                {"filename": "billing/currencies.py", "function": "lookup", "lineno": 33},
                {"filename": "billing/views.py", "function": "handle_callback", "lineno": 88},
                {"filename": "billing/parser.py", "function": "parse_amount", "lineno": 141},
            ],
            "sample": {
                "message": "ValidationError: unsupported currency 'XTS'",
                "context": {"environment": "production"},
            },
        },
        {
            "id": "2977101111",
            "service": "billing-webhooks",
            "title": "Provider callback retried 5 times",
            "culprit": "billing.callbacks in retry",
            "first_seen": "2026-03-02T12:25:00Z",
            "last_seen": "2026-03-02T12:30:00Z",
            "count": 1200,
            "users": 37,
            "release": None,
            "frames": [],
            "sample": {
                "message": "Provider callback retried 5 times",
                "context": {"environment": "production"},
            },
        },
    ]
    assert [r.url for r in fetched.records] == [
        "https://acme.sentry.io/issues/2977100452/",
        "https://acme.sentry.io/issues/2977101111/",
    ]
    assert fetched.records[0].ref == "2977100452"
    assert fetched.records[0].observed_at == datetime(2026, 3, 2, 13, 20, 11, 482000, tzinfo=timezone.utc)
    assert fetched.truncated is False
    # The issue seen after the window got no event read; the one before it ended the paging.
    assert routes["page3"].call_count == 0
    first = routes["page1"].calls.last.request
    assert first.headers["Authorization"] == "Bearer sntrys_test"
    assert first.url.params["query"] == ""
    assert first.url.params["statsPeriod"] == "24h"


def test_paging_stops_when_sentry_says_there_are_no_more_results(router, sleeps):
    page2 = router.get(ISSUES, params={"cursor": "1772450000000:0:0"}).respond(json=[])
    router.get(ISSUES).respond(
        json=fixture("sentry_issues_page1.json"),
        headers={"Link": link("1772450000000:0:0", results="false")},
    )
    router.get(EVENTS.format("2977100452")).respond(json=fixture("sentry_event_latest_2977100452.json"))

    fetched = connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert [r.ref for r in fetched.records] == ["2977100452"]
    assert page2.call_count == 0


def test_the_project_slug_annotation_wins_over_the_service_name(router, sleeps):
    route = router.get("/api/0/projects/acme/billing-py/issues/").respond(json=[])

    connector(router, sleeps).fetch(
        scope(ServiceRef(name="billing-webhooks", annotations={"sentry.io/project-slug": "billing-py"})),
        deadline=Deadline.after(5),
    )

    assert route.call_count == 1


def test_a_dependency_without_a_sentry_project_is_a_note_not_a_failure(router, sleeps):
    mock_issues(router)
    router.get("/api/0/projects/acme/ledger/issues/").respond(
        404, json={"detail": "The requested resource does not exist"}
    )

    fetched = connector(router, sleeps).fetch(
        scope(ServiceRef(name="billing-webhooks"), ServiceRef(name="ledger")), deadline=Deadline.after(5)
    )

    assert len(fetched.records) == 2
    assert "project ledger: not found" in fetched.note


def test_an_issue_whose_latest_event_expired_is_kept_without_frames(router, sleeps):
    routes = mock_issues(router)
    routes["event452"].respond(404, json={"detail": "Event not found"})

    fetched = connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    record = fetched.records[0].data
    assert record["frames"] == []
    assert record["release"] is None
    assert record["sample"] == {"message": "ValidationError: unsupported currency 'XTS'", "context": {}}


def test_the_issue_cap_cuts_and_says_so(router, sleeps):
    mock_issues(router)

    fetched = connector(router, sleeps, max_records=1).fetch(scope(), deadline=Deadline.after(5))

    assert [r.ref for r in fetched.records] == ["2977100452"]
    assert fetched.truncated is True
    assert "kept 1 issues" in fetched.note


def test_issues_time_out_after_retrying_within_the_deadline(router, sleeps):
    route = router.get(ISSUES).mock(side_effect=httpx.ReadTimeout("read timed out"))

    with pytest.raises(HttpError) as caught:
        connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "timeout"
    assert route.call_count == 4
    assert len(sleeps) == 3


def test_a_server_error_on_the_latest_event_is_retried(router, sleeps):
    routes = mock_issues(router)
    routes["event452"].side_effect = [
        httpx.Response(500, json={"detail": "Internal Error"}),
        httpx.Response(200, json=fixture("sentry_event_latest_2977100452.json")),
    ]

    fetched = connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert len(fetched.records[0].data["frames"]) == 3
    assert routes["event452"].call_count == 2


def test_a_429_with_retry_after_is_waited_out_then_retried(router, sleeps):
    route = router.get(ISSUES)
    route.side_effect = [
        httpx.Response(
            429,
            headers={"Retry-After": "0", "X-Sentry-Rate-Limit-Remaining": "0"},
            json={"detail": "You are attempting to use this endpoint too frequently."},
        ),
        httpx.Response(200, json=[]),
    ]

    fetched = connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert fetched.records == []
    assert route.call_count == 2
    assert sleeps == [0.0]


@pytest.mark.parametrize(("status", "reason"), [(401, "error"), (403, "error"), (404, "not_found")])
def test_refused_or_missing_projects_are_permanent_and_not_retried(router, sleeps, status, reason):
    route = router.get(ISSUES).respond(status, json={"detail": "Invalid token"})

    with pytest.raises(HttpError) as caught:
        connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == reason
    assert route.call_count == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<!doctype html><title>Sentry</title>"),
        httpx.Response(200, json={"detail": "not a list"}),
        httpx.Response(200, json=[{"id": "1", "title": "no lastSeen"}]),
    ],
    ids=["not-json", "object-not-list", "issue-without-lastSeen"],
)
def test_malformed_issue_lists_are_reported_as_malformed(router, sleeps, response):
    router.get(ISSUES).mock(return_value=response)

    with pytest.raises(HttpError) as caught:
        connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_an_issue_with_a_non_numeric_count_is_malformed(router, sleeps):
    issue = fixture("sentry_issues_page1.json")[1] | {"count": "many"}
    router.get(ISSUES).respond(json=[issue])
    router.get(EVENTS.format("2977100452")).respond(json=fixture("sentry_event_latest_2977100452.json"))

    with pytest.raises(HttpError) as caught:
        connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_an_oversized_event_is_refused(router, sleeps):
    routes = mock_issues(router)
    event = fixture("sentry_event_latest_2977100452.json")
    event["entries"][1]["data"]["values"] *= 200
    routes["event452"].respond(json=event)

    with pytest.raises(HttpError) as caught:
        connector(router, sleeps, max_bytes=16_000).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"
    assert "16000-byte cap" in caught.value.detail


def test_from_env_names_the_missing_variable():
    with pytest.raises(NotConfigured, match="SENTRY_AUTH_TOKEN"):
        SentryErrors.from_env({"SENTRY_ORG": "acme"})
    with pytest.raises(NotConfigured, match="SENTRY_ORG"):
        SentryErrors.from_env({"SENTRY_AUTH_TOKEN": "sntrys_x"})

    connector = SentryErrors.from_env({"SENTRY_AUTH_TOKEN": "sntrys_x", "SENTRY_ORG": "acme"})
    assert (connector.url, connector.org) == ("https://sentry.io", "acme")
    eu = SentryErrors.from_env(
        {"SENTRY_AUTH_TOKEN": "x", "SENTRY_ORG": "acme", "SENTRY_URL": "https://de.sentry.io/"}
    )
    assert eu.url == "https://de.sentry.io"
