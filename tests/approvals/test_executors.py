"""Each executor against the vendor's request and response shapes: success, refusals, retries, rate limits, dry runs."""

import json
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
import respx

from approvals.executors import (
    ArgoCDRollback,
    ExecutorError,
    GitHubIssue,
    GitHubRollback,
    JiraIssue,
    KubernetesRestart,
    KubernetesScale,
    LaunchDarklyFlagOff,
    SlackMessage,
    StatuspageIncident,
)
from approvals.executors.launchdarkly import SEMANTIC_PATCH

KEY = "5f0c7a0e-1d2b-4c3d-9e8f-0a1b2c3d4e5f"
SHA_GOOD = "a" * 40
GH = "https://api.github.com"
ARGO = "https://argocd.example.com"
KUBE = "https://kube.example.com:6443"
SP = "https://api.statuspage.io"
LD = "https://app.launchdarkly.com"
SLACK = "https://slack.com/api"
JIRA = "https://jira.example.com"

ENV = {
    "GITHUB_TOKEN": "ghp_secret123",
    "ARGOCD_URL": ARGO,
    "ARGOCD_TOKEN": "argo-secret",
    "KUBE_API_URL": KUBE,
    "KUBE_TOKEN": "kube-secret",
    "STATUSPAGE_API_KEY": "sp-secret",
    "STATUSPAGE_PAGE_ID": "pg1",
    "LAUNCHDARKLY_API_TOKEN": "api-ld-secret",
    "SLACK_BOT_TOKEN": "xoxb-secret",
    "JIRA_URL": JIRA,
    "JIRA_TOKEN": "jira-secret",
}
ROLLBACK = {
    "method": "github",
    "repo": "acme/checkout",
    "workflow": "rollback.yml",
    "ref": "main",
    "deploy": "d-77",
    "service": "checkout-api",
    "environment": "production",
    "target_sha": SHA_GOOD,
    "from_sha": "b" * 40,
}
SCALE = {"method": "kubernetes", "namespace": "shop", "deployment": "checkout-api", "replicas": 6}
RESTART = {
    "method": "kubernetes",
    "namespace": "shop",
    "deployment": "checkout-api",
    "restarted_at": "2030-01-10T12:00:00Z",
}
STATUS = {
    "method": "statuspage",
    "name": "Degraded service: Checkout",
    "status": "investigating",
    "impact": "major",
    "body": "We are investigating degraded service affecting Checkout.",
    "component_id": "cmp123",
    "component_status": "partial_outage",
    "deliver_notifications": True,
}
FLAG = {
    "method": "launchdarkly",
    "flag_key": "fast-cart",
    "project": "default",
    "environment": "production",
    "on": False,
}
SCALE_ANSWER = {
    "kind": "Scale",
    "apiVersion": "autoscaling/v1",
    "metadata": {"name": "checkout-api", "namespace": "shop", "resourceVersion": "918"},
    "spec": {"replicas": 6},
    "status": {"replicas": 3, "selector": "app=checkout-api"},
}
INCIDENT_ANSWER = {
    "id": "p31zjtct2jer",
    "name": STATUS["name"],
    "status": "investigating",
    "impact": "major",
    "shortlink": "http://stspg.io/abc",
    "created_at": "2030-01-10T12:01:00Z",
    "incident_updates": [],
    "components": [],
}
FLAG_ANSWER = {
    "key": "fast-cart",
    "_version": 12,
    "environments": {"production": {"on": False, "_version": 7}},
}
SLACK_ANSWER = {"ok": True, "channel": "C0CHECKOUT", "ts": "1741083400.000200", "message": {"text": "x"}}


@dataclass
class Case:
    build: Callable[..., object]
    call: Callable[[object], object]
    method: str
    url: str
    ok: Callable[[], httpx.Response]


CASES = {
    "github-rollback": Case(
        GitHubRollback,
        lambda e: e.execute(ROLLBACK, key=KEY),
        "POST",
        f"{GH}/repos/acme/checkout/actions/workflows/rollback.yml/dispatches",
        lambda: httpx.Response(204),
    ),
    "kubernetes-scale": Case(
        KubernetesScale,
        lambda e: e.execute(SCALE, key=KEY),
        "PATCH",
        f"{KUBE}/apis/apps/v1/namespaces/shop/deployments/checkout-api/scale",
        lambda: httpx.Response(200, json=SCALE_ANSWER),
    ),
    "kubernetes-restart": Case(
        KubernetesRestart,
        lambda e: e.execute(RESTART, key=KEY),
        "PATCH",
        f"{KUBE}/apis/apps/v1/namespaces/shop/deployments/checkout-api",
        lambda: httpx.Response(200, json={"kind": "Deployment", "metadata": {"generation": 5}}),
    ),
    "statuspage": Case(
        StatuspageIncident,
        lambda e: e.execute(STATUS, key=KEY),
        "POST",
        f"{SP}/v1/pages/pg1/incidents",
        lambda: httpx.Response(201, json=INCIDENT_ANSWER),
    ),
    "launchdarkly": Case(
        LaunchDarklyFlagOff,
        lambda e: e.execute(FLAG, key=KEY, note="run #1"),
        "PATCH",
        f"{LD}/api/v2/flags/default/fast-cart",
        lambda: httpx.Response(200, json=FLAG_ANSWER),
    ),
    "slack": Case(
        SlackMessage,
        lambda e: e.post(channel="#checkout", text="t", blocks=[]),
        "POST",
        f"{SLACK}/chat.postMessage",
        lambda: httpx.Response(200, json=SLACK_ANSWER),
    ),
    "github-issue": Case(
        GitHubIssue,
        lambda e: e.create(repo="acme/checkout", title="t", body="b", labels=[]),
        "POST",
        f"{GH}/repos/acme/checkout/issues",
        lambda: httpx.Response(
            201,
            json={
                "id": 1,
                "number": 7,
                "state": "open",
                "html_url": "https://github.com/acme/checkout/issues/7",
            },
        ),
    ),
    "jira": Case(
        JiraIssue,
        lambda e: e.create(title="t", body="b", labels=[]),
        "POST",
        f"{JIRA}/rest/api/2/issue",
        lambda: httpx.Response(
            201, json={"id": "10001", "key": "INC-12", "self": f"{JIRA}/rest/api/2/issue/10001"}
        ),
    ),
}


# Writes that are harmless to send twice; the others are sent once (tests/approvals/test_unknown_outcomes.py).
RESENDABLE = ["kubernetes-scale", "kubernetes-restart", "launchdarkly"]


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(assert_all_mocked=True)


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make(case_or_cls, router, sleeps, *, environ=None, **kwargs):
    cls = case_or_cls.build if isinstance(case_or_cls, Case) else case_or_cls
    return cls(
        environ=ENV if environ is None else environ,
        transport=httpx.MockTransport(router.handler),
        sleep=sleeps.append,
        deadline_seconds=30,
        **kwargs,
    )


def body_of(route) -> dict:
    return json.loads(route.calls.last.request.content)


@pytest.mark.parametrize("name", CASES)
def test_a_success_sends_one_request(router, sleeps, name):
    case = CASES[name]
    route = router.route(method=case.method, url=case.url).mock(return_value=case.ok())

    result = case.call(make(case, router, sleeps))

    assert result.ok and not result.dry_run and route.call_count == 1 and sleeps == []
    assert result.requests[0]["url"] == case.url


@pytest.mark.parametrize("name", CASES)
def test_a_client_error_is_permanent_and_not_retried(router, sleeps, name):
    case = CASES[name]
    route = router.route(method=case.method, url=case.url).mock(
        return_value=httpx.Response(422, json={"message": "Invalid request"})
    )

    with pytest.raises(ExecutorError) as failure:
        case.call(make(case, router, sleeps))

    assert not failure.value.transient and failure.value.status == 422 and route.call_count == 1
    assert failure.value.requests[0]["method"] == case.method


@pytest.mark.parametrize("name", RESENDABLE)
def test_a_server_error_is_retried_when_resending_is_harmless(router, sleeps, name):
    case = CASES[name]
    route = router.route(method=case.method, url=case.url)
    route.side_effect = [httpx.Response(502, text="bad gateway"), case.ok()]

    assert case.call(make(case, router, sleeps)).ok
    assert route.call_count == 2 and len(sleeps) == 1


@pytest.mark.parametrize("name", CASES)
def test_a_rate_limit_waits_for_retry_after(router, sleeps, name):
    case = CASES[name]
    route = router.route(method=case.method, url=case.url)
    route.side_effect = [httpx.Response(429, headers={"Retry-After": "2"}), case.ok()]

    assert case.call(make(case, router, sleeps)).ok
    assert route.call_count == 2 and sleeps == [2.0]


@pytest.mark.parametrize("name", RESENDABLE)
def test_errors_that_keep_coming_give_up_as_transient(router, sleeps, name):
    case = CASES[name]
    router.route(method=case.method, url=case.url).mock(return_value=httpx.Response(503))

    with pytest.raises(ExecutorError) as failure:
        case.call(make(case, router, sleeps))

    assert failure.value.transient and len(sleeps) == 3


@pytest.mark.parametrize("name", CASES)
def test_a_dry_run_records_the_exact_request_with_secrets_masked_and_sends_nothing(router, sleeps, name):
    case = CASES[name]
    route = router.route(method=case.method, url=case.url).mock(return_value=case.ok())

    result = case.call(make(case, router, sleeps, dry_run=True))

    assert result.dry_run and not route.called
    shown = result.requests[-1]
    assert shown["method"] == case.method and shown["url"] == case.url
    assert "secret" not in json.dumps(shown) and "****" in json.dumps(shown["headers"])
    assert shown["body"] is not None


@pytest.mark.parametrize("name", CASES)
def test_without_credentials_it_is_a_dry_run_by_default_naming_the_missing_variables(router, sleeps, name):
    case = CASES[name]
    executor = make(case, router, sleeps, environ={})

    result = case.call(executor)

    assert executor.dry_run and result.dry_run
    assert "${" in json.dumps(result.requests[-1])


def test_with_dry_run_off_and_no_credentials_it_refuses_to_start(router, sleeps, settings):
    settings.ACTIONS_DRY_RUN = False
    with pytest.raises(ExecutorError, match="GITHUB_TOKEN not set"):
        make(GitHubRollback, router, sleeps, environ={})


def test_the_github_rollback_dispatches_the_workflow_with_string_inputs(router, sleeps):
    route = router.post(CASES["github-rollback"].url).respond(204)

    make(GitHubRollback, router, sleeps).execute(ROLLBACK, key=KEY)

    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer ghp_secret123"
    assert request.headers["Accept"] == "application/vnd.github+json"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert body_of(route) == {"ref": "main", "inputs": {"target_sha": SHA_GOOD, "environment": "production"}}


def test_the_github_rollback_sends_the_idempotency_key_in_the_input_the_workflow_declares(router, sleeps):
    route = router.post(CASES["github-rollback"].url).respond(204)

    make(GitHubRollback, router, sleeps, environ={**ENV, "ROLLBACK_REQUEST_ID_INPUT": "request_id"}).execute(
        ROLLBACK, key=KEY
    )

    assert body_of(route)["inputs"]["request_id"] == KEY


def test_argo_cd_rolls_back_to_the_history_id_of_the_good_revision(router, sleeps):
    app = {
        "metadata": {"name": "checkout"},
        "spec": {"syncPolicy": {}},
        "status": {
            "history": [
                {"id": 40, "revision": "c" * 40},
                {"id": 41, "revision": SHA_GOOD},
                {"id": 42, "revision": "b" * 40},
            ]
        },
    }
    read = router.get(f"{ARGO}/api/v1/applications/checkout").respond(200, json=app)
    rollback = router.post(f"{ARGO}/api/v1/applications/checkout/rollback").respond(
        200, json={**app, "status": {**app["status"], "sync": {"status": "OutOfSync"}}}
    )

    result = make(ArgoCDRollback, router, sleeps).execute(
        {**ROLLBACK, "method": "argocd", "app": "checkout"}, key=KEY
    )

    assert read.called and body_of(rollback) == {"id": "41", "dryRun": False, "prune": False}
    assert rollback.calls.last.request.headers["Authorization"] == "Bearer argo-secret"
    assert result.response == {"status": 200, "history_id": 41, "sync": "OutOfSync"}


def test_argo_cd_refuses_with_a_clear_reason_when_auto_sync_is_on(router, sleeps):
    router.get(f"{ARGO}/api/v1/applications/checkout").respond(
        200,
        json={
            "spec": {"syncPolicy": {"automated": {"prune": True, "selfHeal": True}}},
            "status": {"history": [{"id": 41, "revision": SHA_GOOD}]},
        },
    )
    rollback = router.post(f"{ARGO}/api/v1/applications/checkout/rollback").respond(200, json={})

    with pytest.raises(ExecutorError, match="auto-sync is enabled on checkout") as failure:
        make(ArgoCDRollback, router, sleeps).execute(
            {**ROLLBACK, "method": "argocd", "app": "checkout"}, key=KEY
        )

    assert failure.value.refused and not rollback.called


def test_argo_cd_refuses_when_the_revision_is_not_in_the_history(router, sleeps):
    router.get(f"{ARGO}/api/v1/applications/checkout").respond(
        200, json={"spec": {}, "status": {"history": [{"id": 42, "revision": "b" * 40}]}}
    )

    with pytest.raises(ExecutorError, match="no history entry") as failure:
        make(ArgoCDRollback, router, sleeps).execute(
            {**ROLLBACK, "method": "argocd", "app": "checkout"}, key=KEY
        )
    assert failure.value.refused


def test_argo_cd_server_errors_on_the_read_are_retried_and_a_dry_run_shows_both_requests(router, sleeps):
    read = router.get(f"{ARGO}/api/v1/applications/checkout")
    read.side_effect = [
        httpx.Response(503),
        httpx.Response(200, json={"spec": {}, "status": {"history": [{"id": 41, "revision": SHA_GOOD}]}}),
    ]
    router.post(f"{ARGO}/api/v1/applications/checkout/rollback").respond(200, json={})
    assert make(ArgoCDRollback, router, sleeps).execute({**ROLLBACK, "app": "checkout"}, key=KEY).ok
    assert read.call_count == 2

    dry = make(ArgoCDRollback, router, sleeps, environ={}).execute({**ROLLBACK, "app": "checkout"}, key=KEY)
    assert [r["method"] for r in dry.requests] == ["GET", "POST"]
    assert dry.requests[1]["url"] == "${ARGOCD_URL}/api/v1/applications/checkout/rollback"
    assert dry.requests[1]["headers"]["Authorization"] == "Bearer ${ARGOCD_TOKEN}"


def test_the_scale_is_a_merge_patch_of_replicas_on_the_scale_subresource(router, sleeps):
    route = router.patch(CASES["kubernetes-scale"].url).respond(200, json=SCALE_ANSWER)

    result = make(KubernetesScale, router, sleeps).execute(SCALE, key=KEY)

    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/merge-patch+json"
    assert request.headers["Authorization"] == "Bearer kube-secret"
    assert body_of(route) == {"spec": {"replicas": 6}}
    assert result.response["replicas"] == 6 and result.response["current"] == 3


def test_a_scale_answer_with_another_count_is_a_failure(router, sleeps):
    router.patch(CASES["kubernetes-scale"].url).respond(200, json={**SCALE_ANSWER, "spec": {"replicas": 3}})
    with pytest.raises(ExecutorError, match="answered 3 replicas"):
        make(KubernetesScale, router, sleeps).execute(SCALE, key=KEY)


def test_the_restart_stamps_the_pod_template_with_the_time_bound_at_proposal(router, sleeps):
    route = router.patch(CASES["kubernetes-restart"].url).respond(
        200, json={"kind": "Deployment", "metadata": {}}
    )

    make(KubernetesRestart, router, sleeps).execute(RESTART, key=KEY)

    assert body_of(route) == {
        "spec": {
            "template": {
                "metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2030-01-10T12:00:00Z"}}
            }
        }
    }


def test_statuspage_opens_an_incident_with_the_oauth_key(router, sleeps):
    route = router.post(CASES["statuspage"].url).respond(201, json=INCIDENT_ANSWER)

    result = make(StatuspageIncident, router, sleeps).execute(STATUS, key=KEY)

    assert route.calls.last.request.headers["Authorization"] == "OAuth sp-secret"
    assert body_of(route) == {
        "incident": {
            "name": STATUS["name"],
            "status": "investigating",
            "impact_override": "major",
            "body": STATUS["body"],
            "deliver_notifications": True,
            "component_ids": ["cmp123"],
            "components": {"cmp123": "partial_outage"},
        }
    }
    assert result.external_id == "p31zjtct2jer" and result.url == "http://stspg.io/abc"


def test_statuspage_rate_limits_with_420_and_retry_after(router, sleeps):
    route = router.post(CASES["statuspage"].url)
    route.side_effect = [
        httpx.Response(420, headers={"Retry-After": "3"}, json={"error": "rate limited"}),
        httpx.Response(201, json=INCIDENT_ANSWER),
    ]

    assert make(StatuspageIncident, router, sleeps).execute(STATUS, key=KEY).ok
    assert sleeps == [3.0] and route.call_count == 2


def test_launchdarkly_turns_the_flag_off_with_a_semantic_patch_carrying_the_request_id(router, sleeps):
    route = router.patch(CASES["launchdarkly"].url).respond(200, json=FLAG_ANSWER)

    make(LaunchDarklyFlagOff, router, sleeps).execute(FLAG, key=KEY, note="run #1, approved by alice")

    request = route.calls.last.request
    assert request.headers["Authorization"] == "api-ld-secret"
    assert request.headers["Content-Type"] == SEMANTIC_PATCH
    assert body_of(route) == {
        "environmentKey": "production",
        "instructions": [{"kind": "turnFlagOff"}],
        "comment": f"run #1, approved by alice (request {KEY})",
    }


def test_launchdarkly_can_send_a_json_patch_of_on(router, sleeps):
    route = router.patch(CASES["launchdarkly"].url).respond(200, json=FLAG_ANSWER)

    make(LaunchDarklyFlagOff, router, sleeps, environ={**ENV, "LAUNCHDARKLY_PATCH_FORMAT": "json"}).execute(
        FLAG, key=KEY
    )

    assert route.calls.last.request.headers["Content-Type"] == "application/json"
    assert body_of(route)["patch"] == [
        {"op": "replace", "path": "/environments/production/on", "value": False}
    ]


def test_launchdarkly_still_reporting_the_flag_on_is_a_failure(router, sleeps):
    router.patch(CASES["launchdarkly"].url).respond(200, json={"environments": {"production": {"on": True}}})
    with pytest.raises(ExecutorError, match="still reports fast-cart on"):
        make(LaunchDarklyFlagOff, router, sleeps).execute(FLAG, key=KEY)


def test_slack_posts_with_the_bot_token_and_updates_the_same_ts_later(router, sleeps):
    post = router.post(f"{SLACK}/chat.postMessage").respond(200, json=SLACK_ANSWER)
    update = router.post(f"{SLACK}/chat.update").respond(200, json=SLACK_ANSWER)
    slack = make(SlackMessage, router, sleeps)
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "INC"}}]

    first = slack.post(channel="#checkout", text="INC", blocks=blocks)
    slack.post(channel=first.extra["channel"], text="INC v2", blocks=blocks, ts=first.external_id)

    assert post.calls.last.request.headers["Authorization"] == "Bearer xoxb-secret"
    assert post.calls.last.request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert body_of(post) == {"channel": "#checkout", "text": "INC", "blocks": blocks}
    assert body_of(update) == {
        "channel": "C0CHECKOUT",
        "text": "INC v2",
        "blocks": blocks,
        "ts": "1741083400.000200",
    }


@pytest.mark.parametrize(
    "error, transient",
    [
        ("channel_not_found", False),
        ("not_in_channel", False),
        ("invalid_blocks", False),
        ("ratelimited", True),
    ],
)
def test_slack_errors_come_back_with_http_200(router, sleeps, error, transient):
    router.post(f"{SLACK}/chat.postMessage").respond(200, json={"ok": False, "error": error})

    with pytest.raises(ExecutorError, match=error) as failure:
        make(SlackMessage, router, sleeps).post(channel="#checkout", text="t", blocks=[])

    assert failure.value.transient is transient


def test_a_github_issue_answer_gives_the_number_and_link(router, sleeps):
    route = router.post(CASES["github-issue"].url).respond(
        201,
        json={"id": 1, "number": 7, "state": "open", "html_url": "https://github.com/acme/checkout/issues/7"},
    )

    result = make(GitHubIssue, router, sleeps).create(
        repo="acme/checkout", title="Incident #1", body="links", labels=["incident"], key=KEY
    )

    assert body_of(route) == {
        "title": "Incident #1",
        "body": f"links\n\n<!-- incident-desk request {KEY} -->",
        "labels": ["incident"],
    }
    assert result.external_id == "7" and result.url == "https://github.com/acme/checkout/issues/7"


def test_a_jira_issue_is_created_in_the_configured_project(router, sleeps):
    route = router.post(CASES["jira"].url).respond(201, json={"id": "10001", "key": "OPS-3", "self": "x"})

    result = make(JiraIssue, router, sleeps, environ={**ENV, "JIRA_PROJECT": "OPS"}).create(
        title="Incident #1", body="links", labels=["incident"], key=KEY
    )

    assert body_of(route)["fields"]["project"] == {"key": "OPS"}
    assert body_of(route)["fields"]["labels"] == ["incident", f"incident-desk-{KEY}"]
    assert route.calls.last.request.headers["Authorization"] == "Bearer jira-secret"
    assert result.external_id == "OPS-3" and result.url == f"{JIRA}/browse/OPS-3"
