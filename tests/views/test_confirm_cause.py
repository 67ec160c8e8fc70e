"""Resolving a run with its cause from the page: who may, the form, htmx, and what the pages show."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from incidentdesk.audit import audit_append
from incidentdesk.models import ConfirmedCause, Run
from tests.intake.test_intake_flow import pagerduty, process_all
from tests.resolution.builders import dependency_seen, hypothesis, packet_add
from tests.views.builders import evidence_add, run_create

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def run(users):
    """An open checkout-api run whose packet says d-77 (high), with evidence of a flag change and of
    a failing dependency."""
    run = run_create()
    evidence_add(run)
    dependency_seen(run)
    packet_add(run, hypothesis("deploy", "d-77", "high"), hypothesis("unknown", None, "low"))
    return run


@pytest.fixture
def personas(users):
    people = dict(users)
    people["sam"] = get_user_model().objects.create_user("sam", is_staff=True, is_superuser=True)
    return people


def _url(run) -> str:
    return reverse("runs:confirm_cause", args=[run.pk])


def _post(client, run, cause: str, *, impact: str | None = "yes", headers=None, **fields):
    data = {"cause": cause, **fields}
    if impact is not None:
        data["customer_impact"] = impact
    return client.post(_url(run), data, headers=headers or {})


@pytest.mark.parametrize(
    ("persona", "status"),
    [("alice", 200), ("charlie_responder", 200), ("bob", 403), ("olivia", 403), ("sam", 403)],
)
def test_the_form_opens_for_the_owning_team_and_responders_only(client, run, personas, persona, status):
    if persona == "charlie_responder":  # on another team, but asked for an action on this run
        audit_append(actor="charlie", action="proposal.requested", run_id=run.pk, service="checkout-api")
        persona = "charlie"
    client.force_login(personas[persona])
    assert client.get(_url(run)).status_code == status
    response = _post(client, run, "deploy:d-77")
    assert response.status_code == (302 if status == 200 else 403)
    assert ConfirmedCause.objects.filter(run=run).exists() is (status == 200)


def test_anonymous_visitors_are_sent_to_sign_in(client, run):
    for response in (client.get(_url(run)), _post(client, run, "deploy:d-77")):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not ConfirmedCause.objects.exists()


def test_a_missing_run_is_a_404(client, users):
    client.force_login(users["alice"])
    assert client.get(reverse("runs:confirm_cause", args=[999_999])).status_code == 404


def test_the_form_offers_the_packets_causes_the_evidence_and_unknown(client, run, users):
    client.force_login(users["alice"])
    body = client.get(_url(run)).content.decode()
    assert 'value="deploy:d-77">This was it' in body
    assert body.count(">This was it<") == 1  # the packet's "not known" is the button of its own
    assert 'value="feature_flag:fast-cart"' in body and 'value="dependency:payments-gateway"' in body
    assert 'value="external:"' in body and 'value="unknown:"' in body


def test_one_click_on_the_first_hypothesis_resolves_the_run(client, run, users):
    client.force_login(users["alice"])
    response = _post(client, run, "deploy:d-77", impact_minutes="25", note="Rolled back.")
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    run.refresh_from_db()
    assert run.status == Run.Status.RESOLVED
    confirmed = run.confirmed_cause
    assert (confirmed.kind, confirmed.ref, confirmed.impact_minutes, confirmed.note) == ("deploy", "d-77", 25, "Rolled back.")
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Desk was right" in page and "Change the cause" in page


def test_under_htmx_it_answers_the_card_and_the_new_status(client, run, users):
    client.force_login(users["alice"])
    form = client.get(_url(run), headers=HTMX).content.decode()
    assert 'id="resolution"' in form and "<html" not in form and "This was it" in form
    response = _post(client, run, "other", other="feature_flag:fast-cart", headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'id="resolution"' in body and "Desk was wrong" in body
    assert 'id="run-status" hx-swap-oob="true"' in body and "Resolved" in body


def test_an_external_cause_is_named_by_the_responder(client, run, users):
    client.force_login(users["alice"])
    _post(client, run, "other", other="external:", external_name="Fastly CDN", impact="no")
    confirmed = ConfirmedCause.objects.get(run=run)
    assert (confirmed.kind, confirmed.ref, confirmed.customer_impact) == ("external", "Fastly CDN", False)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"cause": "deploy:d-77", "impact": None}, "Say whether customers were affected."),
        ({"cause": "deploy:d-99"}, "not among this run"),
        ({"cause": "other"}, "Pick a cause from the list."),
        ({"cause": "other", "other": "external:"}, "Name the third party."),
    ],
)
def test_an_incomplete_answer_shows_the_form_again_and_stores_nothing(client, run, users, fields, error):
    client.force_login(users["alice"])
    fields = dict(fields)
    response = _post(client, run, fields.pop("cause"), impact=fields.pop("impact", "yes"), **fields)
    assert response.status_code == 400 and error in response.content.decode()
    htmx = _post(client, run, "deploy:d-99", headers=HTMX)
    assert htmx.status_code == 200 and 'id="resolution"' in htmx.content.decode()
    assert not ConfirmedCause.objects.exists() and Run.objects.get(pk=run.pk).is_open


def test_a_run_resolved_by_its_vendor_waits_for_its_cause(client, users, hooks, monkeypatch):
    monkeypatch.setattr("incidentdesk.services.collection.collection_enqueue", lambda **kw: True)
    hooks.post("pagerduty", pagerduty("incident.triggered", event_id="e1"), headers={"X-Webhook-Id": "a"})
    hooks.post("pagerduty", pagerduty("incident.resolved", event_id="e2"), headers={"X-Webhook-Id": "b"})
    process_all()
    run = Run.objects.get()
    assert run.status == Run.Status.RESOLVED and not ConfirmedCause.objects.exists()

    client.force_login(users["alice"])
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Resolved, cause not confirmed." in page and ">Confirm the cause</a>" in page
    history = client.get(reverse("runs:history")).content.decode()
    assert "Resolved, cause not confirmed" in history

    client.force_login(users["bob"])
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Resolved, cause not confirmed." in page and ">Confirm the cause</a>" not in page
    assert "Only Checkout eng and the incident's responders may confirm its cause." in page


@pytest.mark.parametrize(
    ("cause", "fields", "mark"),
    [
        ("deploy:d-77", {}, ("Desk was right", "right")),
        ("other", {"other": "dependency:payments-gateway"}, ("Desk was wrong", "wrong")),
        ("unknown:", {}, ("Desk was wrong", "wrong")),
    ],
)
def test_the_run_page_and_history_mark_the_desks_first_hypothesis(client, run, users, cause, fields, mark):
    client.force_login(users["alice"])
    _post(client, run, cause, **fields)
    page = client.get(run.get_absolute_url()).content.decode()
    card = page[page.index('id="resolution"'):page.index('id="live"')]
    assert "Confirmed cause" in card and "Desk's first hypothesis" in card and "deploy d-77" in card
    assert mark[0] in card
    history = client.get(reverse("runs:history")).content.decode()
    assert f'class="verdict verdict-{mark[1]}">{mark[1]}<' in history


def test_a_packet_that_said_unknown_is_marked_so(client, users):
    run = run_create()
    packet_add(run, hypothesis("unknown", None, "low"))
    client.force_login(users["alice"])
    _post(client, run, "unknown:")
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Desk said unknown" in page
    history = client.get(reverse("runs:history")).content.decode()
    assert "desk said unknown</span>" in history


def test_the_form_answers_only_get_and_post(client, run, users):
    client.force_login(users["alice"])
    assert client.put(_url(run)).status_code == 405
