"""Writes that must not happen twice: sent once, looked up when no answer came, else reported unknown.

Each vendor's transport here receives the request and then fails the way networks do: no
answer before the timeout, a connection reset, a 502 from a proxy after the body went.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
import respx

from approvals.executors import (
    ExecutorError,
    GitHubIssue,
    GitHubRollback,
    JiraIssue,
    SlackMessage,
    StatuspageIncident,
)
from approvals.models import ActionProposal, Outbound
from approvals.services import proposal_approve, proposal_execute, proposals_sync, summary_post, ticket_create
from incidentdesk.models import AuditEntry
from tests.approvals.builders import packet_add, rollback_item, run_create
from tests.approvals.test_executors import ENV, GH, JIRA, KEY, ROLLBACK, SLACK, SP, STATUS


def now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Case:
    build: type
    call: Callable[[object], object]
    url: str  # the write
    ok: Callable[[], httpx.Response]
    lookup: str  # where the desk looks for it afterwards
    found: Callable[[], httpx.Response]  # the vendor's record of it
    nothing: Callable[[], httpx.Response]
    environ: dict


ISSUE = {"id": 1, "number": 7, "html_url": "https://github.com/acme/checkout/issues/7"}
CASES = {
    "statuspage": Case(
        StatuspageIncident,
        lambda e: e.execute(STATUS, key=KEY),
        f"{SP}/v1/pages/pg1/incidents",
        lambda: httpx.Response(201, json={"id": "p31z", "name": STATUS["name"], "created_at": now()}),
        f"{SP}/v1/pages/pg1/incidents/unresolved",
        lambda: httpx.Response(
            200,
            json=[
                {"id": "old1", "name": STATUS["name"], "created_at": "2020-01-01T00:00:00Z"},
                {"id": "p31z", "name": STATUS["name"], "created_at": now(), "shortlink": "http://stspg.io/x"},
            ],
        ),
        lambda: httpx.Response(
            200, json=[{"id": "old1", "name": STATUS["name"], "created_at": "2020-01-01T00:00:00Z"}]
        ),
        ENV,
    ),
    "slack": Case(
        SlackMessage,
        lambda e: e.post(channel="C0CHECKOUT", text="t", blocks=[], key=KEY),
        f"{SLACK}/chat.postMessage",
        lambda: httpx.Response(200, json={"ok": True, "channel": "C0CHECKOUT", "ts": "1.2"}),
        f"{SLACK}/conversations.history",
        lambda: httpx.Response(
            200,
            json={
                "ok": True,
                "messages": [
                    {"ts": "1.1", "text": "someone else"},
                    {
                        "ts": "1.2",
                        "text": "t",
                        "metadata": {"event_type": "incident_desk_packet", "event_payload": {"request": KEY}},
                    },
                ],
                "has_more": False,
            },
        ),
        lambda: httpx.Response(200, json={"ok": True, "messages": [], "has_more": False}),
        ENV,
    ),
    "github-issue": Case(
        GitHubIssue,
        lambda e: e.create(repo="acme/checkout", title="t", body="b", labels=[], key=KEY),
        f"{GH}/repos/acme/checkout/issues",
        lambda: httpx.Response(201, json=ISSUE),
        f"{GH}/repos/acme/checkout/issues?",
        lambda: httpx.Response(
            200,
            json=[
                {"number": 6, "body": "another incident"},
                {**ISSUE, "body": f"b\n\n<!-- incident-desk request {KEY} -->"},
            ],
        ),
        lambda: httpx.Response(200, json=[{"number": 6, "body": "another incident"}]),
        ENV,
    ),
    "jira": Case(
        JiraIssue,
        lambda e: e.create(title="t", body="b", labels=[], key=KEY),
        f"{JIRA}/rest/api/2/issue",
        lambda: httpx.Response(201, json={"id": "10001", "key": "INC-12"}),
        f"{JIRA}/rest/api/2/search",
        lambda: httpx.Response(
            200,
            json={"startAt": 0, "maxResults": 1, "total": 1, "issues": [{"id": "10001", "key": "INC-12"}]},
        ),
        lambda: httpx.Response(200, json={"startAt": 0, "maxResults": 1, "total": 0, "issues": []}),
        ENV,
    ),
    "github-rollback": Case(
        GitHubRollback,
        lambda e: e.execute(ROLLBACK, key=KEY),
        f"{GH}/repos/acme/checkout/actions/workflows/rollback.yml/dispatches",
        lambda: httpx.Response(204),
        f"{GH}/repos/acme/checkout/actions/workflows/rollback.yml/runs",
        lambda: httpx.Response(
            200,
            json={
                "total_count": 1,
                "workflow_runs": [
                    {
                        "id": 991,
                        "name": "rollback",
                        "display_title": f"Roll back checkout ({KEY})",
                        "event": "workflow_dispatch",
                        "created_at": now(),
                        "html_url": "https://github.com/acme/checkout/actions/runs/991",
                    }
                ],
            },
        ),
        lambda: httpx.Response(200, json={"total_count": 0, "workflow_runs": []}),
        {**ENV, "ROLLBACK_REQUEST_ID_INPUT": "request_id"},
    ),
}


class Vendor:
    """A transport that answers the write from a script and the look-up from one answer."""

    def __init__(self, case: Case, writes: list, lookup: httpx.Response | Exception) -> None:
        self.case = case
        self.script = list(writes)
        self.lookup_answer = lookup
        self.writes: list[httpx.Request] = []
        self.lookups: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if request.method == "GET" and url.startswith(self.case.lookup):
            self.lookups.append(request)
            if isinstance(self.lookup_answer, Exception):
                raise self.lookup_answer
            return self.lookup_answer
        assert url == self.case.url, url
        self.writes.append(request)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def run_case(name: str, writes: list, lookup, sleeps: list | None = None):
    case = CASES[name]
    vendor = Vendor(case, writes, lookup)
    executor = case.build(
        environ=case.environ,
        transport=httpx.MockTransport(vendor),
        sleep=(sleeps if sleeps is not None else []).append,
        deadline_seconds=30,
    )
    try:
        return vendor, case.call(executor), None
    except ExecutorError as exc:
        return vendor, None, exc


FAILURES_AFTER_SENDING = {
    "no answer": lambda: httpx.ReadTimeout("timed out"),
    "reset": lambda: httpx.RemoteProtocolError("Server disconnected without sending a response."),
    "502": lambda: httpx.Response(502, text="bad gateway"),
}


@pytest.mark.parametrize("failure", FAILURES_AFTER_SENDING)
@pytest.mark.parametrize("name", CASES)
def test_a_write_whose_answer_never_came_is_sent_once_and_reported_unknown(name, failure):
    case = CASES[name]
    sleeps: list = []
    vendor, result, error = run_case(
        name, [FAILURES_AFTER_SENDING[failure](), case.ok()], case.nothing(), sleeps
    )

    assert result is None and error.unknown and not error.transient
    assert len(vendor.writes) == 1 and sleeps == []
    assert len(vendor.lookups) == 1
    assert error.detail.startswith("outcome unknown:") and "Check " in error.detail
    assert [r["method"] for r in error.requests] == ["POST", "GET"]


@pytest.mark.parametrize("name", CASES)
def test_a_write_found_at_the_vendor_after_no_answer_is_done_without_sending_again(name):
    case = CASES[name]
    vendor, result, error = run_case(name, [httpx.ReadTimeout("timed out"), case.ok()], case.found())

    assert error is None and result.ok and not result.dry_run
    assert len(vendor.writes) == 1 and len(vendor.lookups) == 1
    assert "found at" in result.summary and "after the request went unanswered" in result.summary


@pytest.mark.parametrize("name", CASES)
def test_a_connection_that_never_opened_is_tried_again(name):
    case = CASES[name]
    sleeps: list = []
    vendor, result, error = run_case(name, [httpx.ConnectError("refused"), case.ok()], case.nothing(), sleeps)

    assert error is None and result.ok
    assert len(vendor.writes) == 2 and len(sleeps) == 1 and vendor.lookups == []


@pytest.mark.parametrize("name", CASES)
def test_a_rate_limit_was_not_acted_on_so_the_write_waits_and_goes_again(name):
    case = CASES[name]
    sleeps: list = []
    vendor, result, error = run_case(
        name, [httpx.Response(429, headers={"Retry-After": "2"}), case.ok()], case.nothing(), sleeps
    )

    assert error is None and result.ok and len(vendor.writes) == 2 and sleeps == [2.0]


@pytest.mark.parametrize("name", CASES)
def test_a_look_up_that_fails_still_reports_the_outcome_unknown(name):
    vendor, result, error = run_case(name, [httpx.ReadTimeout("timed out")], httpx.Response(401))

    assert error.unknown and "looking it up failed" in error.detail and len(vendor.writes) == 1


def test_a_rollback_without_a_request_id_input_cannot_be_found_and_is_left_to_a_person():
    case = CASES["github-rollback"]
    vendor = Vendor(case, [httpx.ReadTimeout("timed out")], case.found())
    executor = GitHubRollback(environ=ENV, transport=httpx.MockTransport(vendor), sleep=[].append)

    with pytest.raises(ExecutorError) as failure:
        case.call(executor)

    assert failure.value.unknown and vendor.lookups == [] and len(vendor.writes) == 1
    assert "https://github.com/acme/checkout/actions/workflows/rollback.yml" in failure.value.detail


def test_slack_saying_fatal_error_on_a_post_is_unknown_but_on_an_update_is_worth_retrying():
    router = respx.Router(assert_all_mocked=True)
    post = router.post(f"{SLACK}/chat.postMessage").respond(200, json={"ok": False, "error": "fatal_error"})
    router.get(url__startswith=f"{SLACK}/conversations.history").respond(
        200, json={"ok": True, "messages": []}
    )
    router.post(f"{SLACK}/chat.update").respond(200, json={"ok": False, "error": "fatal_error"})

    def slack():
        return SlackMessage(environ=ENV, transport=httpx.MockTransport(router.handler), sleep=[].append)

    with pytest.raises(ExecutorError) as posting:
        slack().post(channel="C0CHECKOUT", text="t", blocks=[], key=KEY)
    with pytest.raises(ExecutorError) as updating:
        slack().post(channel="C0CHECKOUT", text="t", blocks=[], ts="1.2")

    assert posting.value.unknown and post.call_count == 1
    assert not updating.value.unknown and updating.value.transient


def test_slack_looks_up_a_post_in_the_channel_history_since_the_request_began():
    case = CASES["slack"]
    vendor, result, _ = run_case("slack", [httpx.ReadTimeout("timed out")], case.found())

    query = vendor.lookups[0].url.params
    assert query["channel"] == "C0CHECKOUT" and query["include_all_metadata"] == "true"
    assert float(query["oldest"]) > datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    sent = json.loads(vendor.writes[0].content)
    assert sent["metadata"] == {"event_type": "incident_desk_packet", "event_payload": {"request": KEY}}
    assert result.external_id == "1.2"


@pytest.mark.django_db
def test_an_approved_action_whose_answer_never_came_is_shown_unknown_and_not_run_again(catalog, users):
    run = run_create()
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]
    proposal = proposal_approve(proposal=proposal, user=users["alice"])
    case = CASES["github-rollback"]
    vendor = Vendor(case, [httpx.ReadTimeout("timed out"), case.ok()], case.nothing())

    def executor(_proposal):
        return GitHubRollback(environ=case.environ, transport=httpx.MockTransport(vendor), sleep=[].append)

    done = proposal_execute(proposal_id=proposal.pk, executor_factory=executor)
    again = proposal_execute(proposal_id=proposal.pk, executor_factory=executor)

    assert done.state == again.state == ActionProposal.State.UNKNOWN and len(vendor.writes) == 1
    assert "Check the runs of https://github.com/" in done.outcome
    entry = AuditEntry.objects.get(action="proposal.outcome_unknown", run_id=run.pk)
    assert entry.detail["reason"] == "unknown" and len(entry.detail["requests"]) == 2


@pytest.mark.django_db
def test_a_slack_post_with_no_answer_is_not_posted_again_by_the_desk_only_by_a_person(catalog):
    run = run_create()
    packet_add(run, [])
    router = respx.Router(assert_all_mocked=True)
    post = router.post(f"{SLACK}/chat.postMessage")
    post.side_effect = [httpx.ReadTimeout("timed out"), httpx.Response(200, json={"ok": True, "ts": "9.1"})]

    def slack():
        return SlackMessage(
            environ={"SLACK_BOT_TOKEN": "x"}, transport=httpx.MockTransport(router.handler), sleep=[].append
        )

    first = summary_post(run=run, messenger=slack())
    packet_add(run, [])
    by_desk = summary_post(run=run, messenger=slack())
    by_person = summary_post(run=run, actor="alice", messenger=slack())

    assert first.state == Outbound.State.UNKNOWN and "#checkout" in first.outcome
    assert by_desk.state == Outbound.State.UNKNOWN and post.call_count == 2
    assert by_person.state == Outbound.State.SENT and by_person.external_id == "9.1"
    assert by_person.claimed_at is None
    assert AuditEntry.objects.filter(action="summary.outcome_unknown").count() == 1


@pytest.mark.django_db
def test_a_ticket_found_after_no_answer_is_recorded_as_opened(catalog, users):
    run = run_create()
    packet_add(run, [])
    case = CASES["github-issue"]
    key_holder: list = []

    def found() -> httpx.Response:
        key = str(Outbound.objects.get(run=run, kind="create_ticket").key)
        key_holder.append(key)
        return httpx.Response(200, json=[{**ISSUE, "body": f"x\n\n<!-- incident-desk request {key} -->"}])

    class Tracker(Vendor):
        def __call__(self, request):
            if request.method == "GET":
                self.lookup_answer = found()
            return super().__call__(request)

    vendor = Tracker(case, [httpx.ReadTimeout("timed out"), case.ok()], httpx.Response(500))
    issuer = GitHubIssue(environ=ENV, transport=httpx.MockTransport(vendor), sleep=[].append)

    ticket = ticket_create(run=run, actor="alice", issuer=issuer)

    assert ticket.state == Outbound.State.SENT and ticket.external_id == "7" and len(vendor.writes) == 1
    assert key_holder and key_holder[0] in json.loads(vendor.writes[0].content)["body"]
