"""The proposal state machine through its services: propose, supersede, decide, expire, execute once."""

from datetime import timedelta

import pytest

from approvals.models import ActionProposal
from approvals.services import (
    ApprovalNotAllowed,
    ProposalRefused,
    execution,
    proposal_approve,
    proposal_execute,
    proposal_reject,
    proposal_request,
    proposals_expire,
    proposals_sync,
)
from incidentdesk import clock
from incidentdesk.audit import audit_verify
from incidentdesk.models import AuditEntry
from tests.approvals.builders import SHA_BAD, SHA_GOOD, FakeExecutor, packet_add, rollback_item, run_create

pytestmark = pytest.mark.django_db
State = ActionProposal.State


@pytest.fixture
def calls(monkeypatch) -> list:
    calls: list = []
    monkeypatch.setattr(execution, "executor_for", lambda proposal: FakeExecutor(calls))
    return calls


def actions(name: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=name))


def test_each_packet_item_becomes_a_proposal_bound_to_its_parameters_and_packet(catalog):
    run = run_create()
    packet = packet_add(
        run,
        [
            rollback_item(),
            {
                "action": "flag_toggle",
                "target": "fast-cart",
                "safe": True,
                "reason": "set fast-cart back to false",
            },
        ],
    )

    created = proposals_sync(run=run, packet=packet)

    rollback = next(p for p in created if p.action == "rollback")
    flag = next(p for p in created if p.action == "flag_toggle")
    assert rollback.state == State.PROPOSED and rollback.requested_by == "desk"
    assert rollback.packet_id == packet.pk and rollback.packet_hash == packet.content_hash
    assert rollback.params == {
        "method": "github",
        "repo": "acme/checkout",
        "workflow": "rollback.yml",
        "ref": "main",
        "deploy": "d-77",
        "service": "checkout-api",
        "environment": "production",
        "target_sha": SHA_GOOD,
        "from_sha": SHA_BAD,
    }
    assert rollback.safe and rollback.approvals_required == 1
    assert rollback.policy_rule == "production-changes-need-an-owner"
    assert rollback.expires_at - rollback.created_at == timedelta(minutes=60)
    assert flag.params["flag_key"] == "fast-cart" and flag.params["on"] is False
    assert len(actions("proposal.proposed")) == 2


def test_an_unchanged_item_in_a_new_packet_keeps_the_proposal_and_its_approvals(catalog, users):
    run = run_create(severity="sev1")
    first = proposals_sync(run=run, packet=packet_add(run, [rollback_item()], severity="sev1"))[0]
    proposal_approve(proposal=first, user=users["alice"])

    created = proposals_sync(run=run, packet=packet_add(run, [rollback_item()], severity="sev1"))

    assert created == []
    first.refresh_from_db()
    assert first.state == State.PROPOSED and first.approvals.count() == 1 and first.packet_version == 1


def test_a_changed_item_supersedes_the_proposal_and_a_new_one_asks_again(catalog, users):
    run = run_create()
    first = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]

    second_packet = packet_add(run, [rollback_item(safe=False, reason="change freeze F-1 is in force")])
    created = proposals_sync(run=run, packet=second_packet)

    first.refresh_from_db()
    assert first.state == State.SUPERSEDED and first.superseded_by == created[0]
    assert created[0].state == State.PROPOSED and created[0].packet_version == 2
    assert not created[0].safe and created[0].safety_reason == "change freeze F-1 is in force"
    entry = actions("proposal.superseded")[0]
    assert entry.detail["superseded_by"] == created[0].pk and entry.run_id == run.pk


def test_an_approved_proposal_is_superseded_when_its_parameters_change(catalog, users, eager_tasks):
    run = run_create(severity="sev1")
    first = proposals_sync(run=run, packet=packet_add(run, [rollback_item()], severity="sev1"))[0]
    proposal_approve(proposal=first, user=users["alice"])
    run.service.annotations = {"argocd/app-name": "checkout"}  # the catalog now says Argo CD deploys it
    run.service.save()

    created = proposals_sync(run=run, packet=packet_add(run, [rollback_item()], severity="sev1"))

    first.refresh_from_db()
    assert first.state == State.SUPERSEDED
    assert created[0].params["method"] == "argocd" and created[0].approvals.count() == 0


def test_an_item_gone_from_the_packet_supersedes_its_proposal_without_a_successor(catalog):
    run = run_create()
    first = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]

    assert proposals_sync(run=run, packet=packet_add(run, [])) == []

    first.refresh_from_db()
    assert first.state == State.SUPERSEDED and first.superseded_by is None
    assert "no longer lists" in actions("proposal.superseded")[0].detail["reason"]


def test_a_rejected_item_is_not_proposed_again_by_the_next_packet(catalog, users):
    run = run_create()
    first = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]
    proposal_reject(proposal=first, user=users["alice"], reason="the deploy is not it")
    proposals_sync(run=run, packet=packet_add(run, [rollback_item(safe=False, reason="freeze")]))

    assert proposals_sync(run=run, packet=packet_add(run, [rollback_item()])) == []


def test_an_owner_approves_and_the_action_runs_once_after_commit(
    catalog, users, calls, eager_tasks, django_capture_on_commit_callbacks
):
    run = run_create()
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]

    with django_capture_on_commit_callbacks(execute=True):
        approved = proposal_approve(proposal=proposal, user=users["alice"], comment="go")

    assert approved.state == State.APPROVED
    proposal.refresh_from_db()
    assert proposal.state == State.SUCCEEDED and proposal.outcome == "done"
    assert calls == [(proposal.params, str(proposal.idempotency_key))]
    assert [e.action for e in AuditEntry.objects.filter(detail__proposal=proposal.pk)] == [
        "proposal.proposed",
        "proposal.approval",
        "proposal.approved",
        "proposal.executing",
        "proposal.executed",
    ]
    approval = actions("proposal.approval")[0]
    assert approval.actor == "alice" and approval.service == "checkout-api" and approval.run_id == run.pk
    assert audit_verify().ok


def test_without_credentials_the_real_executor_records_the_exact_request_instead_of_sending(
    catalog, users, eager_tasks, django_capture_on_commit_callbacks
):
    run = run_create()
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]

    with django_capture_on_commit_callbacks(execute=True):
        proposal_approve(proposal=proposal, user=users["alice"])

    proposal.refresh_from_db()
    assert proposal.state == State.SUCCEEDED and proposal.dry_run
    sent = proposal.result["requests"][0]
    assert sent["method"] == "POST"
    assert (
        sent["url"] == "https://api.github.com/repos/acme/checkout/actions/workflows/rollback.yml/dispatches"
    )
    assert sent["headers"]["Authorization"] == "Bearer ${GITHUB_TOKEN}"
    assert sent["body"] == {"ref": "main", "inputs": {"target_sha": SHA_GOOD, "environment": "production"}}
    assert actions("proposal.executed")[0].detail["dry_run"] is True


def test_a_rejection_needs_a_reason(catalog, users):
    run = run_create()
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]

    with pytest.raises(ProposalRefused, match="needs a reason"):
        proposal_reject(proposal=proposal, user=users["alice"], reason="   ")
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED
    assert actions("proposal.refused")[0].detail["attempt"] == "reject"

    proposal_reject(proposal=proposal, user=users["alice"], reason="not the cause")
    proposal.refresh_from_db()
    assert proposal.state == State.REJECTED and proposal.decided_by == "alice"
    assert actions("proposal.rejected")[0].detail["reason"] == "not the cause"
    with pytest.raises(ProposalRefused, match="already rejected"):
        proposal_approve(proposal=proposal, user=users["abe"])


def test_an_expired_proposal_cannot_be_approved(catalog, users, calls):
    run = run_create()
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]

    with (
        clock.frozen_at(proposal.expires_at + timedelta(seconds=1)),
        pytest.raises(ProposalRefused, match="expired"),
    ):
        proposal_approve(proposal=proposal, user=users["alice"])

    proposal.refresh_from_db()
    assert proposal.state == State.EXPIRED and proposal.approvals.count() == 0 and calls == []
    assert actions("proposal.expired") and actions("proposal.refused")


def test_an_action_that_expired_undecided_is_asked_again_by_the_next_packet(catalog):
    run = run_create()
    first = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]
    proposals_expire(now=first.expires_at)

    again = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))

    assert len(again) == 1 and again[0].pk != first.pk and again[0].state == State.PROPOSED
    assert again[0].params_hash == first.params_hash


def test_a_rejected_action_is_not_asked_again(catalog, users):
    run = run_create()
    first = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]
    proposal_reject(proposal=first, user=users["alice"], reason="not the cause")

    assert proposals_sync(run=run, packet=packet_add(run, [rollback_item()])) == []


def test_the_sweep_expires_proposals_nobody_decided(catalog):
    run = run_create()
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]

    assert proposals_expire(now=proposal.expires_at - timedelta(seconds=1)) == 0
    assert proposals_expire(now=proposal.expires_at) == 1
    proposal.refresh_from_db()
    assert proposal.state == State.EXPIRED


def test_a_sev1_rollback_needs_two_different_approvers(
    catalog, users, calls, eager_tasks, django_capture_on_commit_callbacks
):
    run = run_create(severity="sev1")
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()], severity="sev1"))[0]
    assert proposal.approvals_required == 2

    with django_capture_on_commit_callbacks(execute=True):
        proposal_approve(proposal=proposal, user=users["alice"])
        again = proposal_approve(proposal=proposal, user=users["alice"])  # the same person twice counts once
    assert again.state == State.PROPOSED and proposal.approvals.count() == 1 and calls == []

    with django_capture_on_commit_callbacks(execute=True):
        proposal_approve(proposal=proposal, user=users["abe"])

    proposal.refresh_from_db()
    assert proposal.state == State.SUCCEEDED and len(calls) == 1
    assert actions("proposal.approved")[0].detail["approvers"] == ["abe", "alice"]


def test_nobody_approves_a_request_of_their_own(catalog, users, calls):
    run = run_create()
    packet_add(run, [])
    proposal = proposal_request(
        run=run, user=users["alice"], action="rollback", target="d-77", note="the deploy looks wrong"
    )
    assert proposal.requested_by == "alice" and proposal.params["target_sha"] == SHA_GOOD

    with pytest.raises(ProposalRefused, match="own request"):
        proposal_approve(proposal=proposal, user=users["alice"])

    assert proposal_approve(proposal=proposal, user=users["abe"]).state == State.APPROVED
    refused = actions("proposal.refused")[0]
    assert refused.actor == "alice" and "own request" in refused.detail["reason"]


@pytest.mark.parametrize("who", ["bob", "charlie", "olga"])
def test_only_owners_of_the_service_may_decide(catalog, users, who):
    run = run_create()
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]

    with pytest.raises(ApprovalNotAllowed):
        proposal_approve(proposal=proposal, user=users[who])
    with pytest.raises(ApprovalNotAllowed):
        proposal_reject(proposal=proposal, user=users[who], reason="no")

    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED
    assert [e.actor for e in actions("proposal.refused")] == [who, who]


def test_a_superuser_outside_the_team_is_not_an_approver(catalog, users):
    users["olga"].is_superuser = True
    users["olga"].save()
    run = run_create()
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]

    with pytest.raises(ApprovalNotAllowed):
        proposal_approve(proposal=proposal, user=users["olga"])


def test_a_scale_without_a_replica_count_cannot_be_approved_until_someone_asks_with_one(catalog, users):
    run = run_create()
    run.service.annotations = {"incidentdesk/namespace": "shop"}
    run.service.save()
    item = {"action": "scale", "target": "checkout-api", "safe": True, "reason": "add capacity"}
    desk = proposals_sync(run=run, packet=packet_add(run, [item]))[0]
    assert "no replica count" in desk.params["blocked"]

    with pytest.raises(ProposalRefused, match="no replica count"):
        proposal_approve(proposal=desk, user=users["alice"])

    asked = proposal_request(
        run=run, user=users["abe"], action="scale", target="checkout-api", params={"replicas": 12}
    )
    assert asked.params == {
        "method": "kubernetes",
        "namespace": "shop",
        "deployment": "checkout-api",
        "replicas": 12,
    }
    assert proposal_approve(proposal=asked, user=users["alice"]).state == State.APPROVED


def _approved(run, users, **packet_kw) -> ActionProposal:
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()], **packet_kw))[0]
    return proposal_approve(proposal=proposal, user=users["alice"])


def test_execution_stops_when_the_policy_changed(catalog, users, calls, edit_policy):
    run = run_create()
    proposal = _approved(run, users)
    edit_policy(
        (
            "  rollback:\n    decision: needs_approval\n    rule: production-changes-need-an-owner\n"
            "    approvals: 1\n    approvals_at_sev1: 2\n",
            "  rollback:\n    decision: deny\n    rule: no-rollbacks-this-week\n",
        )
    )

    result = proposal_execute(proposal_id=proposal.pk)

    assert result.state == State.FAILED and calls == []
    assert "no-rollbacks-this-week" in result.outcome and result.outcome.startswith("stopped")
    assert "no-rollbacks-this-week" in actions("proposal.stopped")[0].detail["reason"]


def test_execution_stops_when_the_packet_now_says_the_rollback_is_unsafe(catalog, users, calls):
    run = run_create()
    proposal = _approved(run, users)
    # A newer packet built while the approval was in flight, before its proposals were synced.
    packet_add(run, [rollback_item(safe=False, reason="PR 4821 drops a column: irreversible migration")])

    result = proposal_execute(proposal_id=proposal.pk)

    assert result.state == State.FAILED and calls == []
    assert "unsafe: PR 4821 drops a column" in result.outcome


def test_execution_stops_when_the_incident_became_sev1_with_one_approval(catalog, users, calls):
    run = run_create()
    proposal = _approved(run, users)
    packet_add(run, [rollback_item()], severity="sev1")

    result = proposal_execute(proposal_id=proposal.pk)

    assert result.state == State.FAILED and calls == []
    assert "now needs 2 approvals" in result.outcome


def test_execution_stops_when_the_approver_no_longer_owns_the_service(catalog, users, calls):
    from guardian.shortcuts import remove_perm

    run = run_create()
    proposal = _approved(run, users)
    remove_perm("approve_action", run.service.team.group, run.service)

    result = proposal_execute(proposal_id=proposal.pk)

    assert result.state == State.FAILED and "it has 0" in result.outcome and calls == []


def test_a_retried_task_runs_the_action_once(catalog, users, calls):
    run = run_create()
    proposal = _approved(run, users)

    first = proposal_execute(proposal_id=proposal.pk)
    second = proposal_execute(proposal_id=proposal.pk)

    assert first.state == second.state == State.SUCCEEDED
    assert len(calls) == 1 and len(actions("proposal.executed")) == 1


def test_a_vendor_failure_leaves_the_proposal_failed_with_the_reason(catalog, users, monkeypatch):
    from approvals.executors import ExecutorError

    class Refusing:
        def execute(self, params, *, key, note=""):
            raise ExecutorError("refused", "auto-sync is enabled on checkout", refused=True)

    monkeypatch.setattr(execution, "executor_for", lambda proposal: Refusing())
    run = run_create()
    proposal = _approved(run, users)

    result = proposal_execute(proposal_id=proposal.pk)

    assert result.state == State.FAILED and result.outcome == "refused: auto-sync is enabled on checkout"
    assert actions("proposal.failed")[0].detail["reason"] == "refused"


def test_entries_touching_customer_data_are_marked(catalog, users, calls):
    run = run_create()
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()], risky=True))[0]
    proposal_approve(proposal=proposal, user=users["alice"])
    proposal_execute(proposal_id=proposal.pk)

    entries = AuditEntry.objects.filter(detail__proposal=proposal.pk)
    assert entries.count() == 5 and all(e.touches_customer_data for e in entries)
    assert audit_verify().ok


def test_a_run_without_a_catalog_service_gets_no_proposals(catalog):
    run = run_create()
    packet = packet_add(run, [rollback_item()])
    run.service = None
    assert proposals_sync(run=run, packet=packet) == []


def test_the_state_machine_refuses_moves_it_does_not_know():
    proposal = ActionProposal(state=State.PROPOSED)
    assert proposal.can_transition(State.APPROVED) and not proposal.can_transition(State.EXECUTING)
    assert not ActionProposal(state=State.SUCCEEDED).can_transition(State.EXECUTING)
    assert ActionProposal(state=State.APPROVED).can_transition(State.SUPERSEDED)
