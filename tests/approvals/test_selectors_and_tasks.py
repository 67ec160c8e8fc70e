import pytest

from approvals import tasks
from approvals.models import ActionProposal
from approvals.selectors import approvers_of, proposals_panel
from approvals.services import proposals_sync
from incidentdesk.models import Service
from tests.approvals.builders import packet_add, rollback_item, run_create


@pytest.mark.django_db
def test_the_approvers_of_a_service_are_its_owning_team(catalog):
    assert [u.username for u in approvers_of(Service.objects.get(name="checkout-api"))] == ["abe", "alice"]
    assert [u.username for u in approvers_of(Service.objects.get(name="ledger-db"))] == ["charlie"]


@pytest.mark.django_db
def test_the_panel_says_why_a_user_cannot_decide(catalog, users, django_assert_max_num_queries):
    run = run_create()
    proposals_sync(
        run=run,
        packet=packet_add(
            run,
            [
                rollback_item(),
                {"action": "flag_toggle", "target": "fast-cart", "safe": True, "reason": "back to false"},
            ],
        ),
    )

    with django_assert_max_num_queries(12):
        panel = proposals_panel(run=run, user=users["bob"])

    assert [r.can_decide for r in panel.rows] == [False, False] and panel.live
    assert panel.rows[0].why_not == "Only the owners of checkout-api can decide"
    assert proposals_panel(run=run, user=users["alice"]).rows[0].can_decide


@pytest.mark.django_db
def test_the_execute_task_reports_a_missing_proposal():
    assert tasks.execute_proposal.run(424242) == "proposal 424242 is gone"


@pytest.mark.django_db
def test_the_execute_task_leaves_a_proposal_that_is_not_approved_alone(catalog):
    run = run_create()
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]

    assert tasks.execute_proposal.run(proposal.pk) == f"proposal {proposal.pk}: proposed"
    proposal.refresh_from_db()
    assert proposal.state == ActionProposal.State.PROPOSED


@pytest.mark.django_db
def test_the_post_task_for_a_run_without_a_packet_posts_nothing(catalog):
    run = run_create()
    assert tasks.post_summary.run(run.pk) == "nothing to post"
    assert tasks.post_summary.run(999999) == "run 999999 is gone"
