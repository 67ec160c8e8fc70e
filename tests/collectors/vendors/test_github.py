import json
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import respx

from collectors.base import NotConfigured, Scope, ServiceRef
from collectors.vendors.github import GitHubDeploys, GitHubPullRequests, _outcome
from incidentdesk.http import Deadline, HttpError
from tests.collectors.vendors.recorded import fixture, scope_of

FIXTURES = Path(__file__).parent / "fixtures"
API = "https://api.github.com"
REPO = "/repos/acme/billing-webhooks"
SHA_A = "06561c202cae041f9e966e8dbd63f1dbb7f121eb"
SHA_B = "914a93910f680084a5f8c08a2f3397d23eef5d56"
SHA_C = "5d2c0b7e9f1a4c3b8e6d7f0a1b2c3d4e5f6a7b8c"
SHA_D = "c0ffee1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b"
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def scope(*services: ServiceRef) -> Scope:
    return scope_of(
        *(services or (ServiceRef(name="billing-webhooks", repo="acme/billing-webhooks"),)),
        start=datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc),
        end=datetime(2026, 3, 2, 14, 30, tzinfo=timezone.utc),
    )


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(base_url=API, assert_all_mocked=True)


def deploys(router: respx.Router, sleeps: list[float], **kwargs) -> GitHubDeploys:
    return GitHubDeploys(
        token="ghp_test", transport=httpx.MockTransport(router.handler), sleep=sleeps.append, **kwargs
    )


def pulls(router: respx.Router, sleeps: list[float], **kwargs) -> GitHubPullRequests:
    return GitHubPullRequests(
        token="ghp_test", transport=httpx.MockTransport(router.handler), sleep=sleeps.append, **kwargs
    )


def mock_deployments(router: respx.Router) -> dict[str, respx.Route]:
    next_page = f'<{API}/repositories/77/deployments?environment=production&per_page=100&page=2>; rel="next"'
    page3 = f'<{API}/repositories/77/deployments?environment=production&per_page=100&page=3>; rel="next"'
    routes = {
        "page3": router.get("/repositories/77/deployments", params={"page": "3"}).respond(json=[]),
        "page2": router.get("/repositories/77/deployments", params={"page": "2"}).respond(
            json=fixture("github_deployments_page2.json"), headers={"Link": page3}
        ),
        "page1": router.get(f"{REPO}/deployments").respond(
            json=fixture("github_deployments_page1.json"), headers={"Link": next_page}
        ),
    }
    for deployment_id in (1002, 1003, 1004):
        statuses = router.get(f"{REPO}/deployments/{deployment_id}/statuses")
        statuses.respond(json=fixture(f"github_statuses_{deployment_id}.json"))
        routes[f"statuses{deployment_id}"] = statuses
    router.get(f"{REPO}/commits/{SHA_A}/pulls").respond(json=fixture("github_commit_pulls_a.json"))
    router.get(f"{REPO}/commits/{SHA_B}/pulls").respond(json=fixture("github_commit_pulls_b.json"))
    router.get(f"{REPO}/commits/{SHA_C}/pulls").respond(json=fixture("github_commit_pulls_c.json"))
    return routes


def test_deploys_are_normalised_with_outcome_previous_sha_and_pull_request(router, sleeps):
    routes = mock_deployments(router)

    fetched = deploys(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert [r.data for r in fetched.records] == [
        {
            "id": "1002",
            "service": "billing-webhooks",
            "environment": "production",
            "sha": SHA_B,
            "previous_sha": SHA_A,
            "started_at": "2026-03-02T13:08:00Z",
            "finished_at": "2026-03-02T13:12:00Z",
            "status": "rolled_back",
            "author": "chloe",
            "pull_request": 4790,
            "description": (
                "Deploy acme/billing-webhooks main (PR #4790 Add retry jitter to provider callbacks)"
            ),
        },
        {
            "id": "1003",
            "service": "billing-webhooks",
            "environment": "production",
            "sha": SHA_A,
            "previous_sha": SHA_B,
            "started_at": "2026-03-02T13:40:00Z",
            "finished_at": "2026-03-02T13:44:00Z",
            "status": "success",
            "author": "ana",
            "pull_request": 4788,
            "description": "Roll back acme/billing-webhooks to 06561c2",
        },
        {
            "id": "1004",
            "service": "billing-webhooks",
            "environment": "production",
            "sha": SHA_C,
            "previous_sha": SHA_A,
            "started_at": "2026-03-02T14:10:00Z",
            "finished_at": None,
            "status": "in_progress",
            "author": "dmitri",
            "pull_request": 4801,
            "description": "Deploy acme/billing-webhooks main (PR #4801 Cache currency table)",
        },
    ]
    assert [r.ref for r in fetched.records] == ["1002", "1003", "1004"]
    assert {r.service for r in fetched.records} == {"billing-webhooks"}
    assert fetched.records[0].url == "https://github.com/acme/billing-webhooks/actions/runs/8802/job/8803"
    assert fetched.records[0].observed_at == datetime(2026, 3, 2, 13, 8, tzinfo=timezone.utc)
    assert fetched.truncated is False
    # Paging stopped at the first deployment older than the window, and its statuses were never read.
    assert routes["page2"].call_count == 1
    assert routes["page3"].call_count == 0
    first = routes["page1"].calls.last.request
    assert first.url.params["environment"] == "production"
    assert first.url.params["per_page"] == "100"
    assert first.headers["Authorization"] == "Bearer ghp_test"
    assert first.headers["Accept"] == "application/vnd.github+json"
    assert first.headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_deploys_cap_keeps_the_oldest_in_window_and_says_so(router, sleeps):
    mock_deployments(router)

    fetched = deploys(router, sleeps, max_records=1).fetch(scope(), deadline=Deadline.after(5))

    assert [r.ref for r in fetched.records] == ["1004"]
    assert fetched.records[0].data["previous_sha"] == SHA_A
    assert fetched.truncated is True
    assert "200" not in fetched.note and "1 deployments" in fetched.note


def test_deploys_skip_services_without_a_repo_and_never_query_outside_the_scope(router, sleeps):
    fetched = deploys(router, sleeps).fetch(
        scope(ServiceRef(name="billing-webhooks"), ServiceRef(name="ledger")), deadline=Deadline.after(5)
    )

    assert fetched.records == []
    assert len(router.calls) == 0


def test_a_repo_github_does_not_know_is_a_note_when_another_repo_answers(router, sleeps):
    mock_deployments(router)
    missing = router.get("/repos/acme/ghost/deployments").respond(404, json={"message": "Not Found"})

    fetched = deploys(router, sleeps).fetch(
        scope(
            ServiceRef(name="billing-webhooks", repo="acme/billing-webhooks"),
            ServiceRef(name="ghost", repo="acme/ghost"),
        ),
        deadline=Deadline.after(5),
    )

    assert len(fetched.records) == 3
    assert "acme/ghost: not found" in fetched.note
    assert missing.call_count == 1


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["pending", "error"], "failure"),
        (["queued"], "in_progress"),
        (["in_progress", "failure"], "failure"),
        (["in_progress", "success", "inactive"], "success"),
        ([], "in_progress"),
    ],
)
def test_deployment_status_maps_github_states(states, expected):
    statuses = [
        {"id": i, "state": state, "created_at": f"2026-03-02T13:0{i}:00Z", "target_url": "", "log_url": ""}
        for i, state in enumerate(states)
    ]

    assert _outcome(statuses)[0] == expected


def test_deploys_time_out_after_retrying_within_the_deadline(router, sleeps):
    route = router.get(f"{REPO}/deployments").mock(side_effect=httpx.ReadTimeout("read timed out"))

    with pytest.raises(HttpError) as caught:
        deploys(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "timeout"
    assert route.call_count == 4
    assert len(sleeps) == 3


def test_deploys_retry_a_server_error_then_succeed(router, sleeps):
    routes = mock_deployments(router)
    routes["page1"].side_effect = [
        httpx.Response(502, text="Bad Gateway"),
        httpx.Response(200, json=[]),
    ]

    fetched = deploys(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert fetched.records == []
    assert routes["page1"].call_count == 2


def test_deploys_honour_retry_after_on_429(router, sleeps):
    route = router.get(f"{REPO}/deployments")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "0.01"}, json={"message": "slow down"}),
        httpx.Response(200, json=[]),
    ]

    deploys(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert route.call_count == 2
    assert sleeps == [0.01]


def test_an_exhausted_primary_rate_limit_waits_for_the_reset_it_announces(router, sleeps):
    route = router.get(f"{REPO}/deployments")
    reset = int(datetime.now(timezone.utc).timestamp()) + 3600
    route.side_effect = [
        httpx.Response(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}, json={}),
    ]

    with pytest.raises(HttpError) as caught:
        deploys(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    # The reset is an hour away, past the deadline: give up now rather than hammer the API.
    assert caught.value.reason == "rate_limited"
    assert route.call_count == 1
    assert sleeps == []


@pytest.mark.parametrize(("status", "reason"), [(401, "error"), (403, "error"), (404, "not_found")])
def test_deploys_refused_or_missing_are_permanent_and_not_retried(router, sleeps, status, reason):
    route = router.get(f"{REPO}/deployments").respond(status, json={"message": "Bad credentials"})

    with pytest.raises(HttpError) as caught:
        deploys(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == reason
    assert caught.value.transient is False
    assert route.call_count == 1


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>unicorn</html>"),
        httpx.Response(200, json={"message": "not a list"}),
        httpx.Response(200, json=[{"id": 1, "sha": "x"}]),
    ],
    ids=["not-json", "object-not-list", "deployment-without-created_at"],
)
def test_deploys_malformed_answers_are_reported_as_malformed(router, sleeps, response):
    router.get(f"{REPO}/deployments").mock(return_value=response)

    with pytest.raises(HttpError) as caught:
        deploys(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_deploys_refuse_an_oversized_answer(router, sleeps):
    router.get(f"{REPO}/deployments").respond(json=fixture("github_deployments_page1.json") * 50)

    with pytest.raises(HttpError) as caught:
        deploys(router, sleeps, max_bytes=4096).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"
    assert "cap" in caught.value.detail


def test_a_next_link_to_another_host_is_not_followed(router, sleeps):
    router.get(f"{REPO}/deployments").respond(
        json=fixture("github_deployments_page1.json"),
        headers={"Link": '<https://evil.example/steal?page=2>; rel="next"'},
    )

    with pytest.raises(HttpError) as caught:
        deploys(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_from_env_needs_a_token_and_reads_the_api_url():
    with pytest.raises(NotConfigured, match="GITHUB_TOKEN"):
        GitHubDeploys.from_env({})
    with pytest.raises(NotConfigured, match="GITHUB_TOKEN"):
        GitHubPullRequests.from_env({"GITHUB_TOKEN": "  "})

    connector = GitHubPullRequests.from_env(
        {"GITHUB_TOKEN": "ghp_x", "GITHUB_API_URL": "https://github.acme.example/api/v3/"}
    )
    assert connector.api_url == "https://github.acme.example/api/v3"
    assert GitHubDeploys.from_env({"GITHUB_TOKEN": "ghp_x"}).api_url == API


def mock_codeowners(
    router: respx.Router, at: str | None = ".github/CODEOWNERS", text: str | None = None
) -> dict[str, respx.Route]:
    """CODEOWNERS answered raw at `at`; every other place GitHub looks answers 404."""
    routes = {}
    for path in CODEOWNERS_PATHS:
        route = router.get(f"{REPO}/contents/{path}")
        if path == at:
            body = text if text is not None else (FIXTURES / "github_codeowners.txt").read_text()
            route.respond(
                text=body, headers={"Content-Type": "application/vnd.github.raw+json; charset=utf-8"}
            )
        else:
            route.respond(
                404,
                json={
                    "message": "Not Found",
                    "documentation_url": "https://docs.github.com/rest/repos/contents#get-repository-content",
                    "status": "404",
                },
            )
        routes[path] = route
    return routes


def mock_pulls(
    router: respx.Router, codeowners_at: str | None = ".github/CODEOWNERS"
) -> dict[str, respx.Route]:
    return {
        **{f"deploys:{name}": route for name, route in mock_deployments(router).items()},
        **{f"codeowners:{path}": route for path, route in mock_codeowners(router, codeowners_at).items()},
        "page2": router.get(f"{REPO}/pulls", params={"page": "2"}).respond(
            json=fixture("github_pulls_page2.json"),
            headers={"Link": f'<{API}{REPO}/pulls?state=closed&page=3>; rel="next"'},
        ),
        "page3": router.get(f"{REPO}/pulls", params={"page": "3"}).respond(json=[]),
        "page1": router.get(f"{REPO}/pulls").respond(
            json=fixture("github_pulls_page1.json"),
            headers={"Link": f'<{API}{REPO}/pulls?state=closed&page=2>; rel="next"'},
        ),
        "files4801_2": router.get(f"{REPO}/pulls/4801/files", params={"page": "2"}).respond(
            json=fixture("github_files_4801_page2.json")
        ),
        "files4801": router.get(f"{REPO}/pulls/4801/files").respond(
            json=fixture("github_files_4801_page1.json"),
            headers={"Link": f'<{API}{REPO}/pulls/4801/files?per_page=100&page=2>; rel="next"'},
        ),
        "files4790": router.get(f"{REPO}/pulls/4790/files").respond(json=fixture("github_files_4790.json")),
    }


def test_pull_requests_merged_in_the_window_come_with_their_files(router, sleeps):
    routes = mock_pulls(router)

    fetched = pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert [r.data for r in fetched.records] == [
        {
            "number": 4801,
            "repo": "acme/billing-webhooks",
            "title": "Cache currency table",
            "author": "dmitri",
            "merged_at": "2026-03-02T14:00:00Z",
            "labels": ["perf"],
            "files": [
                {
                    "path": "billing/currency.py",
                    "additions": 14,
                    "deletions": 2,
                    "patch": "@@ -1,6 +1,18 @@\n+from functools import lru_cache\n+\n+@lru_cache(maxsize=1)\n"
                    " def currency_table():\n-    return load()\n+    return load()",
                    "owners": ["@acme/fx", "@dmitri"],
                },
                {
                    "path": "billing/static/flags.png",
                    "additions": 0,
                    "deletions": 0,
                    "patch": None,
                    # `/billing/` comes after `*.png`: the last matching rule wins.
                    "owners": ["@acme/payments"],
                },
                {
                    "path": "billing/tests/test_currency.py",
                    "additions": 9,
                    "deletions": 0,
                    "patch": (
                        "@@ -0,0 +1,9 @@\n+def test_cached():\n"
                        "+    assert currency_table() is currency_table()"
                    ),
                    "owners": ["@acme/qa"],
                },
            ],
        },
        {
            "number": 4790,
            "repo": "acme/billing-webhooks",
            "title": "Add retry jitter to provider callbacks",
            "author": "chloe",
            "merged_at": "2026-03-02T12:12:00Z",
            "labels": ["payments", "risk:low"],
            "files": [
                {
                    "path": "billing/retry.py",
                    "additions": 12,
                    "deletions": 3,
                    "patch": "@@ -20,7 +20,16 @@ def backoff(attempt):\n-    return 2 ** attempt\n"
                    "+    base = 2 ** attempt\n+    return base + random.uniform(0, base / 2)",
                    # Its last matching rule names only an email: no handle to page, and no address leaks.
                    "owners": [],
                },
            ],
        },
    ]
    assert [r.ref for r in fetched.records] == ["acme/billing-webhooks#4801", "acme/billing-webhooks#4790"]
    assert fetched.records[0].url == "https://github.com/acme/billing-webhooks/pull/4801"
    assert fetched.records[0].service == "billing-webhooks"
    assert fetched.truncated is False
    # The unmerged PR and the one merged before the window have no files read; paging stops at
    # the first PR last updated before the window.
    assert routes["page3"].call_count == 0
    assert routes["files4801_2"].call_count == 1
    # Every deploy in the window shipped a pull request: nothing to compare.
    assert not [c for c in router.calls if "/compare/" in c.request.url.path]
    # CODEOWNERS is read once per repo, raw, from the first place GitHub looks.
    codeowners = routes["codeowners:.github/CODEOWNERS"]
    assert codeowners.call_count == 1
    assert codeowners.calls.last.request.headers["Accept"] == "application/vnd.github.raw+json"
    assert routes["codeowners:CODEOWNERS"].call_count == 0
    params = routes["page1"].calls.last.request.url.params
    assert (params["state"], params["sort"], params["direction"], params["per_page"]) == (
        "closed",
        "updated",
        "desc",
        "50",
    )


def test_pull_request_patches_and_count_are_capped_and_marked_truncated(router, sleeps):
    mock_pulls(router)

    connector = pulls(router, sleeps, max_records=1, max_patch_bytes=60)

    fetched = connector.fetch(scope(), deadline=Deadline.after(5))

    assert [r.data["number"] for r in fetched.records] == [4801]
    patch = fetched.records[0].data["files"][0]["patch"]
    assert len(patch.encode()) <= 60
    assert patch == "@@ -1,6 +1,18 @@\n+from functools import lru_cache\n+"
    assert fetched.truncated is True
    assert "patch cut to 60 bytes" in fetched.note
    assert "kept 1 merged pull requests" in fetched.note


def test_pull_requests_time_out_after_retrying(router, sleeps):
    route = router.get(f"{REPO}/pulls").mock(side_effect=httpx.ConnectTimeout("connect timed out"))

    with pytest.raises(HttpError) as caught:
        pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "timeout"
    assert route.call_count == 4


def test_pull_request_files_retry_a_server_error(router, sleeps):
    routes = mock_pulls(router)
    routes["files4790"].side_effect = [
        httpx.Response(503),
        httpx.Response(200, json=fixture("github_files_4790.json")),
    ]

    fetched = pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert len(fetched.records) == 2
    assert routes["files4790"].call_count == 2
    assert len(sleeps) == 1


def test_pull_requests_with_a_file_missing_its_counts_are_malformed(router, sleeps):
    routes = mock_pulls(router)
    routes["files4790"].respond(json=[{"filename": "billing/retry.py", "status": "modified"}])

    with pytest.raises(HttpError) as caught:
        pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_pull_requests_refused_credentials_are_not_retried(router, sleeps):
    route = router.get(f"{REPO}/pulls").respond(401, json={"message": "Bad credentials"})

    with pytest.raises(HttpError) as caught:
        pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "error"
    assert route.call_count == 1


COMPARE = f"{REPO}/compare/{SHA_C}...{SHA_D}"


def mock_direct_push(
    router: respx.Router, codeowners_at: str | None = ".github/CODEOWNERS"
) -> dict[str, respx.Route]:
    """The PRs above, plus deployment 1005: a hotfix pushed straight to main, after 1004."""
    routes = mock_pulls(router, codeowners_at)
    next_page = f'<{API}/repositories/77/deployments?environment=production&per_page=100&page=2>; rel="next"'
    routes["deploys:page1"].respond(
        json=fixture("github_deployments_direct_push.json"), headers={"Link": next_page}
    )
    router.get(f"{REPO}/deployments/1005/statuses").respond(json=fixture("github_statuses_1005.json"))
    router.get(f"{REPO}/commits/{SHA_D}/pulls").respond(json=[])
    routes["compare"] = router.get(COMPARE).respond(json=fixture("github_compare_direct_push.json"))
    routes["other compares"] = router.get(path__regex=r"/compare/")
    return routes


def test_a_deploy_without_a_pull_request_is_compared_with_the_deploy_before_it(router, sleeps):
    routes = mock_direct_push(router)

    fetched = pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert [r.ref for r in fetched.records] == [
        "acme/billing-webhooks#4801",
        "acme/billing-webhooks#4790",
        f"compare:{SHA_C}...{SHA_D}",
    ]
    compared = fetched.records[-1]
    assert compared.data == {
        "number": None,
        "repo": "acme/billing-webhooks",
        "title": "Guard parse_event against a missing customer_ref",
        "author": "frank",
        "merged_at": "2026-03-02T14:20:00Z",
        "labels": [],
        "files": [
            {
                "path": "billing/parser.py",
                "additions": 4,
                "deletions": 1,
                "patch": "@@ -10,4 +10,7 @@ def parse_event(raw):\n-    cid = raw['customer_ref']\n"
                "+    cid = raw.get('customer_ref')\n+    if cid is None:\n"
                "+        raise MissingCustomer(raw['id'])\n+    log.info('provider event %s', raw['id'])",
                "owners": ["@acme/parsers", "@erin"],
            },
            {
                "path": "billing/tests/test_parser.py",
                "additions": 6,
                "deletions": 0,
                "patch": "@@ -0,0 +1,6 @@\n+def test_missing_customer_ref():\n"
                "+    with pytest.raises(MissingCustomer):\n+        parse_event({'id': 'evt_1'})",
                "owners": ["@acme/qa"],
            },
            {
                "path": "billing/static/logo.png",
                "additions": 0,
                "deletions": 0,
                "patch": None,
                "owners": ["@acme/payments"],
            },
        ],
        "compare": f"{SHA_C}...{SHA_D}",
        "deploy": "1005",
    }
    assert compared.service == "billing-webhooks"
    assert compared.observed_at == datetime(2026, 3, 2, 14, 20, tzinfo=timezone.utc)
    assert compared.url == f"https://github.com/acme/billing-webhooks/compare/{SHA_C}...{SHA_D}"
    # Commit authors' addresses stay with GitHub.
    assert "@acme.example" not in json.dumps(compared.data)
    assert fetched.truncated is False
    # Only the deploy that shipped no pull request is compared, with the deploy before it.
    assert routes["compare"].call_count == 1
    assert routes["other compares"].call_count == 0
    assert routes["codeowners:.github/CODEOWNERS"].call_count == 1


def test_a_compare_without_commits_is_titled_by_its_span(router, sleeps):
    routes = mock_direct_push(router)
    body = fixture("github_compare_direct_push.json")
    body["commits"] = []
    routes["compare"].respond(json=body)

    fetched = pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert fetched.records[-1].data["title"] == f"Changes {SHA_C[:7]}...{SHA_D[:7]}"
    assert fetched.records[-1].data["author"] == "erin"  # who deployed it


def test_a_compare_at_githubs_300_file_limit_is_marked_truncated(router, sleeps):
    routes = mock_direct_push(router)
    body = fixture("github_compare_direct_push.json")
    template = body["files"][0]
    body["files"] = [{**template, "filename": f"billing/handlers/h{i:03d}.py"} for i in range(300)]
    body["commits"] = body["commits"] * 125  # GitHub lists at most 250 commits without paging
    body["total_commits"] = body["ahead_by"] = 1200
    routes["compare"].respond(json=body)

    fetched = pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    compared = fetched.records[-1]
    assert len(compared.data["files"]) == 300
    assert compared.data["files"][-1]["path"] == "billing/handlers/h299.py"
    assert fetched.truncated is True
    assert f"{SHA_C[:7]}...{SHA_D[:7]}: GitHub lists at most 300 files" in fetched.note
    # Files come on the first page only: the commits are not paged through.
    assert routes["compare"].call_count == 1
    assert "page" not in routes["compare"].calls.last.request.url.params


def test_compare_files_respect_the_connectors_own_file_cap(router, sleeps):
    mock_direct_push(router)

    fetched = pulls(router, sleeps, max_files=2).fetch(scope(), deadline=Deadline.after(5))

    assert [f["path"] for f in fetched.records[-1].data["files"]] == [
        "billing/parser.py",
        "billing/tests/test_parser.py",
    ]
    assert fetched.truncated is True
    assert "kept the first 2 files" in fetched.note


@pytest.mark.parametrize("status", [404, 422])
def test_a_compare_github_no_longer_has_is_a_note_not_a_failure(router, sleeps, status):
    routes = mock_direct_push(router)
    # A force-push took the sha away (404), or the histories no longer meet (422).
    routes["compare"].respond(
        status, json={"message": "Not Found" if status == 404 else "No common ancestor"}
    )

    fetched = pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert [r.data["number"] for r in fetched.records] == [4801, 4790]
    assert fetched.truncated is False
    assert f"deploy 1005: cannot compare {SHA_C[:7]}...{SHA_D[:7]}" in fetched.note
    assert routes["compare"].call_count == 1


def test_a_compare_that_keeps_failing_keeps_the_pull_requests_and_says_so(router, sleeps):
    routes = mock_direct_push(router)
    routes["compare"].respond(502, text="Bad Gateway")

    fetched = pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert [r.data["number"] for r in fetched.records] == [4801, 4790]
    assert fetched.truncated is True
    assert "compares stopped at deploy 1005" in fetched.note
    assert routes["compare"].call_count == 4


@pytest.mark.parametrize("status", ["identical", "behind"])
def test_a_deploy_that_shipped_nothing_new_gets_no_compare_record(router, sleeps, status):
    routes = mock_direct_push(router)
    body = fixture("github_compare_direct_push.json")
    body.update(status=status, ahead_by=0, behind_by=2 if status == "behind" else 0, commits=[], files=[])
    routes["compare"].respond(json=body)

    fetched = pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert [r.data["number"] for r in fetched.records] == [4801, 4790]
    assert fetched.truncated is False


def test_codeowners_at_the_repository_root_is_read_when_github_has_none(router, sleeps):
    routes = mock_direct_push(router, codeowners_at="CODEOWNERS")

    fetched = pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert fetched.records[-1].data["files"][0]["owners"] == ["@acme/parsers", "@erin"]
    assert routes["codeowners:.github/CODEOWNERS"].call_count == 1
    assert routes["codeowners:CODEOWNERS"].call_count == 1
    assert routes["codeowners:docs/CODEOWNERS"].call_count == 0


def test_codeowners_missing_everywhere_leaves_files_unowned_and_is_not_an_error(router, sleeps):
    routes = mock_direct_push(router, codeowners_at=None)

    fetched = pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert len(fetched.records) == 3
    assert all(f["owners"] == [] for r in fetched.records for f in r.data["files"])
    assert fetched.truncated is False
    assert "CODEOWNERS" not in fetched.note
    assert [routes[f"codeowners:{p}"].call_count for p in CODEOWNERS_PATHS] == [1, 1, 1]


def test_codeowners_the_token_may_not_read_is_a_note_and_the_changes_stand(router, sleeps):
    routes = mock_direct_push(router)
    routes["codeowners:.github/CODEOWNERS"].respond(
        403, json={"message": "Resource not accessible by integration"}
    )

    fetched = pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert len(fetched.records) == 3
    assert all(f["owners"] == [] for r in fetched.records for f in r.data["files"])
    assert "CODEOWNERS not read" in fetched.note
    assert routes["codeowners:.github/CODEOWNERS"].call_count == 1
    assert routes["codeowners:CODEOWNERS"].call_count == 0


def test_a_codeowners_line_github_would_reject_is_skipped_alone(router, sleeps):
    text = (FIXTURES / "github_codeowners.txt").read_text() + "billing/[abc   @acme/typo\n"
    routes = mock_direct_push(router)
    routes["codeowners:.github/CODEOWNERS"].respond(text="\ufeff" + text)

    fetched = pulls(router, sleeps).fetch(scope(), deadline=Deadline.after(5))

    assert fetched.records[-1].data["files"][0]["owners"] == ["@acme/parsers", "@erin"]
