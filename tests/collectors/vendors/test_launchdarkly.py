import json
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import respx

from collectors.base import NotConfigured, Scope, ServiceRef
from collectors.vendors.launchdarkly import LaunchDarklyFlagChanges
from incidentdesk.http import Deadline, HttpError

FIXTURES = Path(__file__).parent / "fixtures"
LD = "https://app.launchdarkly.com"
AUDIT = "/api/v2/auditlog"
START_MS = 1772452800000  # 2026-03-02T12:00:00Z
END_MS = 1772461800000  # 2026-03-02T14:30:00Z


def items() -> list[dict]:
    return json.loads((FIXTURES / "launchdarkly_auditlog.json").read_text())["items"]


def page(entries: list[dict]) -> dict:
    return {"items": entries, "_links": {"self": {"href": "/api/v2/auditlog", "type": "application/json"}}}


def scope() -> Scope:
    return Scope(
        run_id=1,
        service="billing-webhooks",
        services=(
            ServiceRef(name="billing-webhooks", aliases=("billing", "PBILLNG")),
            ServiceRef(name="customers-api", aliases=("customers",)),
        ),
        start=datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc),
        end=datetime(2026, 3, 2, 14, 30, tzinfo=timezone.utc),
    )


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(base_url=LD, assert_all_mocked=True)


def connector(router: respx.Router, sleeps: list[float], **kwargs) -> LaunchDarklyFlagChanges:
    return LaunchDarklyFlagChanges(
        token="api-0123-test", transport=httpx.MockTransport(router.handler), sleep=sleeps.append, **kwargs
    )


def test_flag_changes_are_normalised_and_attributed_to_scope_services(router, sleeps):
    route = router.get(AUDIT).respond(json=page(items()))

    fetched = connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert [r.data for r in fetched.records] == [
        {
            "key": "search-rollout",
            "service": "billing-webhooks",
            "environment": "production",
            "changed_at": "2026-03-02T12:10:00Z",
            "actor": "Yara",
            "from": False,
            "to": True,
        },
        {
            "key": "customers-api-cache",
            "service": "customers-api",
            "environment": "production",
            "changed_at": "2026-03-02T12:40:00Z",
            "actor": "5f1c0a2b3c4d5e6f7a8b9c22",
            "from": True,
            "to": False,
        },
        {
            "key": "billing.strict-currency",
            "service": "billing-webhooks",
            "environment": "production",
            "changed_at": "2026-03-02T13:30:00Z",
            "actor": "deploy-bot",
            "from": None,
            "to": None,
        },
        {
            "key": "billing-webhooks-new-parser",
            "service": "billing-webhooks",
            "environment": "production",
            "changed_at": "2026-03-02T14:05:00Z",
            "actor": "Ana Lopez",
            "from": False,
            "to": True,
        },
    ]
    assert [r.ref for r in fetched.records] == [
        "65e3251fa2b9c81d40a1f001",
        "65e3251fa2b9c81d40a1f002",
        "65e3251fa2b9c81d40a1f003",
        "65e3251fa2b9c81d40a1f004",
    ]
    assert fetched.records[-1].url == f"{LD}/default/production/features/billing-webhooks-new-parser"
    assert "@" not in json.dumps([r.data for r in fetched.records])
    assert fetched.truncated is False
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "api-0123-test"
    assert dict(sent.url.params) == {
        "after": str(START_MS),
        "before": str(END_MS),
        "limit": "20",
        "spec": "proj/default:env/production:flag/*",
    }


def test_the_audit_log_is_paged_backwards_from_the_oldest_entry_seen(router, sleeps):
    entries = items()
    dates = [entry["date"] for entry in entries]
    routes = [
        router.get(AUDIT, params={"before": str(END_MS)}).respond(json=page(entries[0:2])),
        # `before` is exclusive, so the boundary entry comes back once and is not duplicated.
        router.get(AUDIT, params={"before": str(dates[1] + 1)}).respond(json=page(entries[1:3])),
        router.get(AUDIT, params={"before": str(dates[2] + 1)}).respond(json=page(entries[2:4])),
        router.get(AUDIT, params={"before": str(dates[3] + 1)}).respond(json=page(entries[3:4])),
    ]

    fetched = connector(router, sleeps, page_size=2).fetch(scope(), deadline=Deadline.after(5))

    assert [r.data["key"] for r in fetched.records] == [
        "search-rollout",
        "customers-api-cache",
        "billing.strict-currency",
        "billing-webhooks-new-parser",
    ]
    assert [route.call_count for route in routes] == [1, 1, 1, 1]
    assert routes[0].calls.last.request.url.params["limit"] == "2"


def test_the_cap_keeps_the_newest_changes_and_says_so(router, sleeps):
    router.get(AUDIT).respond(json=page(items()))

    fetched = connector(router, sleeps, max_records=2).fetch(scope(), deadline=Deadline.after(5))

    assert [r.data["key"] for r in fetched.records] == [
        "billing.strict-currency",
        "billing-webhooks-new-parser",
    ]
    assert fetched.truncated is True
    assert "latest 2 flag changes" in fetched.note


def test_project_and_environment_shape_the_resource_spec(router, sleeps):
    route = router.get(AUDIT).respond(json=page([]))

    staging = connector(router, sleeps, project="payments", environment="staging")

    staging.fetch(scope(), deadline=Deadline.after(5))

    assert route.calls.last.request.url.params["spec"] == "proj/payments:env/staging:flag/*"


def test_audit_log_times_out_after_retrying_within_the_deadline(router, sleeps):
    route = router.get(AUDIT).mock(side_effect=httpx.ReadTimeout("read timed out"))

    with pytest.raises(HttpError) as caught:
        connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "timeout"
    assert route.call_count == 4


def test_a_server_error_is_retried(router, sleeps):
    route = router.get(AUDIT)
    route.side_effect = [httpx.Response(503, text="upstream"), httpx.Response(200, json=page(items()))]

    fetched = connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert len(fetched.records) == 4
    assert route.call_count == 2


def test_a_429_with_retry_after_is_honoured(router, sleeps):
    route = router.get(AUDIT)
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "0"}, json={"code": "rate_limited", "message": "later"}),
        httpx.Response(200, json=page([])),
    ]

    connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert route.call_count == 2
    assert sleeps == [0.0]


def test_a_429_without_retry_after_waits_until_the_millisecond_reset(router, sleeps):
    reset_ms = int(time.time() * 1000) + 2000
    route = router.get(AUDIT)
    route.side_effect = [
        httpx.Response(
            429,
            headers={"X-Ratelimit-Reset": str(reset_ms), "X-Ratelimit-Route-Remaining": "0"},
            json={"code": "rate_limited", "message": "You've exceeded the API rate limit."},
        ),
        httpx.Response(200, json=page([])),
    ]

    connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert route.call_count == 2
    assert len(sleeps) == 1
    # Well past the first backoff step (at most 0.15 s): the wait came from the reset header.
    assert 1.5 < sleeps[0] <= 2.0


@pytest.mark.parametrize(("status", "reason"), [(401, "error"), (403, "error"), (404, "not_found")])
def test_refused_or_missing_are_permanent_and_not_retried(router, sleeps, status, reason):
    route = router.get(AUDIT).respond(status, json={"code": "unauthorized", "message": "Invalid account ID"})

    with pytest.raises(HttpError) as caught:
        connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == reason
    assert route.call_count == 1


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="not json"),
        httpx.Response(200, json=[{"_id": "x"}]),
        httpx.Response(200, json={"items": [{"_id": "x", "kind": "flag"}]}),
        httpx.Response(200, json={"items": [{"_id": "x", "date": "yesterday", "target": {"name": "f"}}]}),
    ],
    ids=["not-json", "list-not-object", "entry-without-date", "date-not-a-number"],
)
def test_malformed_answers_are_reported_as_malformed(router, sleeps, response):
    router.get(AUDIT).mock(return_value=response)

    with pytest.raises(HttpError) as caught:
        connector(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_an_oversized_answer_is_refused(router, sleeps):
    router.get(AUDIT).respond(json=page(items() * 5))

    with pytest.raises(HttpError) as caught:
        connector(router, sleeps, max_bytes=8192).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_from_env_needs_the_token_and_defaults_the_rest():
    with pytest.raises(NotConfigured, match="LAUNCHDARKLY_API_TOKEN"):
        LaunchDarklyFlagChanges.from_env({"LAUNCHDARKLY_PROJECT": "payments"})

    default = LaunchDarklyFlagChanges.from_env({"LAUNCHDARKLY_API_TOKEN": "api-x"})
    assert (default.project, default.environment, default.url) == ("default", "production", LD)
    custom = LaunchDarklyFlagChanges.from_env(
        {
            "LAUNCHDARKLY_API_TOKEN": "api-x",
            "LAUNCHDARKLY_PROJECT": "payments",
            "LAUNCHDARKLY_ENVIRONMENT": "staging",
            "LAUNCHDARKLY_URL": "https://app.eu.launchdarkly.com/",
        }
    )
    assert (custom.project, custom.environment, custom.url) == (
        "payments",
        "staging",
        "https://app.eu.launchdarkly.com",
    )
