"""Approving a rollback in the browser, as the owner and as someone who may not."""

import pytest

from approvals.models import ActionProposal
from approvals.services.proposals import proposals_sync
from tests.approvals.builders import packet_add, rollback_item, run_create
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rollback_run():
    run = run_create("checkout-api", title="checkout-api 5xx after deploy d-77")
    packet = packet_add(run, [rollback_item(safe=True)])
    proposals_sync(run=run, packet=packet)
    return run, ActionProposal.objects.get(run=run, action="rollback")


def test_an_owner_approves_a_rollback_and_sees_it_run_once(users, sign_in, live_server, artifacts):
    run, proposal = rollback_run()
    page = sign_in("alice")
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    form = page.locator(f"#proposal-{proposal.pk}")
    form.wait_for()
    assert "Safe to roll back" in form.inner_text()
    form.locator("button:has-text('Approve')").click()
    # The panel is swapped in place: the proposal has left "proposed" and says who approved it.
    page.wait_for_selector(f"#proposal-{proposal.pk}:not(.state-proposed)")
    text = page.locator(f"#proposal-{proposal.pk}").inner_text()
    assert "approved by alice" in text
    proposal.refresh_from_db()
    assert proposal.state in (ActionProposal.State.SUCCEEDED, ActionProposal.State.EXECUTING,
                              ActionProposal.State.APPROVED)
    assert page.locator(f"#proposal-{proposal.pk} button:has-text('Approve')").count() == 0
    shot(page, artifacts / "run-page-after-approval.png")


def test_someone_from_another_team_finds_the_buttons_disabled_and_is_told_who_can(users, sign_in, live_server):
    run, proposal = rollback_run()
    page = sign_in("bob")
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    form = page.locator(f"#proposal-{proposal.pk}")
    form.wait_for()
    assert form.locator("button:has-text('Approve')").is_disabled()
    assert form.locator("button:has-text('Reject')").is_disabled()
    assert "Who can approve: abe, alice" in form.inner_text()
    proposal.refresh_from_db()
    assert proposal.state == ActionProposal.State.PROPOSED
