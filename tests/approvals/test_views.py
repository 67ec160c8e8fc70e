"""Who may decide, through the views: anonymous, outsiders, other teams, owners; CSRF; the run page's region."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import ActionProposal, Outbound
from approvals.services import proposals_sync
from incidentdesk import clock
from incidentdesk.models import AuditEntry
from tests.approvals.builders import packet_add, rollback_item, run_create

pytestmark = pytest.mark.django_db
State = ActionProposal.State


@pytest.fixture
def proposal(catalog) -> ActionProposal:
    run = run_create()
    return proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]


def client_for(user, **kwargs) -> Client:
    client = Client(HTTP_HOST="localhost", **kwargs)
    if user is not None:
        client.force_login(user)
    return client


def approve_url(proposal) -> str:
    return reverse("approvals:approve", args=[proposal.pk])


def test_anonymous_is_sent_to_login(proposal):
    response = client_for(None).post(approve_url(proposal))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED


@pytest.mark.parametrize("who", ["olga", "charlie", "bob"])
def test_an_outsider_or_a_member_of_another_team_gets_403(users, proposal, who):
    response = client_for(users[who]).post(approve_url(proposal))
    assert response.status_code == 403
    response = client_for(users[who]).post(reverse("approvals:reject", args=[proposal.pk]), {"reason": "no"})
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED
    assert AuditEntry.objects.filter(action="proposal.refused", actor=who).count() == 2


def test_the_owner_approves_and_is_sent_back_to_the_run(users, proposal):
    response = client_for(users["alice"]).post(approve_url(proposal), {"comment": "go"})
    assert response.status_code == 302 and response["Location"] == proposal.run.get_absolute_url()
    proposal.refresh_from_db()
    assert proposal.state == State.APPROVED and proposal.approvals.get().comment == "go"


def test_under_htmx_the_owner_gets_the_refreshed_region(users, proposal):
    response = client_for(users["alice"]).post(approve_url(proposal), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="proposals-{proposal.run_id}"' in body and "Your approval of" in body and "Approved" in body


def test_a_rejection_without_a_reason_is_refused_on_the_form(users, proposal):
    response = client_for(users["alice"]).post(
        reverse("approvals:reject", args=[proposal.pk]), {"reason": ""}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "A rejection needs a reason" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED

    response = client_for(users["alice"]).post(
        reverse("approvals:reject", args=[proposal.pk]), {"reason": "not the cause"}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == State.REJECTED


def test_a_refusal_without_htmx_answers_409(users, catalog):
    run = run_create()
    packet_add(run, [])
    client = client_for(users["alice"])
    client.post(reverse("approvals:ask", args=[run.pk]), {"action": "rollback", "target": "d-77"})
    asked = ActionProposal.objects.get(run=run)

    response = client.post(approve_url(asked))

    assert response.status_code == 409 and "own request" in response.content.decode()


def test_csrf_is_enforced(users, proposal):
    client = client_for(users["alice"], enforce_csrf_checks=True)
    assert client.post(approve_url(proposal)).status_code == 403
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED

    page = client.get(proposal.run.get_absolute_url())
    token = page.cookies["csrftoken"].value
    response = client.post(approve_url(proposal), headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 200
    proposal.refresh_from_db()
    assert proposal.state == State.APPROVED


def test_the_run_page_shows_the_exact_parameters_and_enables_the_buttons_only_for_owners(users, proposal):
    owner_page = client_for(users["alice"]).get(proposal.run.get_absolute_url()).content.decode()
    assert reverse("approvals:approve", args=[proposal.pk]) in owner_page
    assert "a" * 40 in owner_page and "rollback.yml" in owner_page
    assert "Safe to roll back: code-only change" in owner_page
    assert '<button type="button" disabled>Approve</button>' not in owner_page

    other_page = client_for(users["bob"]).get(proposal.run.get_absolute_url()).content.decode()
    assert '<button type="button" disabled>Approve</button>' in other_page
    assert "Who can approve: abe, alice." in other_page
    assert f'hx-post="{approve_url(proposal)}"' not in other_page


def test_a_proposal_past_its_expiry_shows_expired_with_date_and_time_and_no_button(users, proposal):
    region = reverse("approvals:run_proposals", args=[proposal.run_id])
    with clock.frozen_at(proposal.expires_at - timedelta(minutes=1)):
        before = client_for(users["alice"]).get(region, headers={"HX-Request": "true"}).content.decode()
    with clock.frozen_at(proposal.expires_at + timedelta(minutes=1)):  # the sweeper has not run yet
        after = client_for(users["alice"]).get(region, headers={"HX-Request": "true"}).content.decode()

    stamp = f"{proposal.expires_at:%-d %b %H:%M} UTC"
    assert f"expires {stamp}" in before and f'hx-post="{approve_url(proposal)}"' in before
    assert f"expired {stamp}" in after and '<span class="state">Expired</span>' in after
    assert f'hx-post="{approve_url(proposal)}"' not in after and "Nobody decided in time" in after


def test_decisions_show_for_everyone_on_the_next_poll(users, proposal):
    client_for(users["alice"]).post(
        reverse("approvals:reject", args=[proposal.pk]), {"reason": "wrong deploy"}
    )

    response = client_for(users["bob"]).get(
        reverse("approvals:run_proposals", args=[proposal.run_id]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "Rejected by alice: wrong deploy" in response.content.decode()


def test_the_region_of_an_unknown_run_is_404(users, catalog):
    assert client_for(users["alice"]).get(reverse("approvals:run_proposals", args=[999])).status_code == 404
    assert client_for(users["alice"]).post(reverse("approvals:approve", args=[999])).status_code == 404


def test_a_person_asks_for_a_scale_with_a_count(users, catalog):
    run = run_create()
    run.service.annotations = {"incidentdesk/namespace": "shop"}
    run.service.save()
    packet_add(run, [])

    response = client_for(users["abe"]).post(
        reverse("approvals:ask", args=[run.pk]),
        {"action": "scale", "target": "checkout-api", "replicas": "9"},
        headers={"HX-Request": "true"},
    )

    assert (
        response.status_code == 200
        and "Scale deployment shop/checkout-api to 9 replicas" in response.content.decode()
    )
    assert ActionProposal.objects.get(run=run).requested_by == "abe"


def test_a_ticket_is_opened_once_in_dry_run_with_the_source_links(users, catalog):
    run = run_create()
    packet_add(run, [])
    client = client_for(users["bob"])

    response = client.post(reverse("approvals:ticket", args=[run.pk]), headers={"HX-Request": "true"})

    assert response.status_code == 200
    ticket = Outbound.objects.get(run=run, kind="create_ticket")
    assert ticket.state == Outbound.State.DRY_RUN and ticket.vendor == "github"
    body = ticket.result["requests"][0]["body"]["body"]
    assert (
        "https://app.datadoghq.com/monitors/42" in body
        and "https://github.com/acme/checkout/deployments/77" in body
    )
    assert AuditEntry.objects.get(action="ticket.created").detail["state"] == "dry_run"


def test_a_ticket_without_links_is_refused_and_audited(users, catalog):
    run = run_create(links=[])
    packet = packet_add(run, [])
    packet.data["evidence"] = []
    packet.save()

    response = client_for(users["bob"]).post(
        reverse("approvals:ticket", args=[run.pk]), headers={"HX-Request": "true"}
    )

    assert "must carry the source links" in response.content.decode()
    assert not Outbound.objects.filter(run=run).exists()
    assert AuditEntry.objects.get(action="ticket.refused").detail["rule"] == "tickets-carry-source-links"


def test_someone_of_no_owning_team_cannot_ask_for_an_action_and_the_attempt_is_audited(users, catalog):
    run = run_create()
    packet_add(run, [])

    response = client_for(users["olga"]).post(
        reverse("approvals:ask", args=[run.pk]),
        {"action": "scale", "target": "checkout-api", "replicas": "0"},
        headers={"HX-Request": "true"},
    )

    assert "Only members of the owning team (checkout-eng) may ask" in response.content.decode()
    assert not ActionProposal.objects.filter(run=run).exists()
    refused = AuditEntry.objects.get(action="proposal.refused")
    assert refused.actor == "olga" and refused.detail["attempt"] == "ask" and refused.detail["action"] == "scale"
