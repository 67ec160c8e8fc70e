"""Confirming a run's cause: who may, what it writes, and how it is judged."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from incidentdesk import clock
from incidentdesk.audit import audit_append
from incidentdesk.causes import Cause, Verdict
from incidentdesk.membership import user_may_confirm_cause
from incidentdesk.models import AuditEntry, ConfirmedCause, Run
from incidentdesk.services.resolution import ConfirmRefused, Impact, cause_confirm, causes_confirm_for_demo
from tests.resolution.builders import hypothesis, packet_add
from tests.views.builders import run_create

pytestmark = pytest.mark.django_db

D77 = Cause("deploy", "d-77", "Deploy d-77 broke checkout")
NO_IMPACT = Impact(customers_affected=False)


@pytest.fixture
def run(users):
    """An open checkout-api run (checkout-eng owns it, alice is on call) whose packet says d-77, high."""
    run = run_create()
    packet_add(run, hypothesis("deploy", "d-77", "high"), hypothesis("feature_flag", "fast-cart", "low"))
    return run


@pytest.fixture
def people(users):
    """The personas, plus staff on no team, an inactive member of the owning team, and nobody."""
    model = get_user_model()
    people = dict(users)
    people["sam"] = model.objects.create_user("sam", is_staff=True, is_superuser=True)
    people["abe"] = model.objects.get(username="abe")
    people["anonymous"] = AnonymousUser()
    return people


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("alice", True),       # member of the owning team
        ("abe", True),         # another member of it
        ("bob", False),        # on another team
        ("charlie", False),    # on another team, until they act on the run (below)
        ("olivia", False),     # on no team
        ("sam", False),        # staff and superuser: not enough
        ("anonymous", False),
    ],
)
def test_only_the_owning_team_and_responders_may_confirm(run, people, persona, allowed):
    user = people[persona]
    assert user_may_confirm_cause(user, run) is allowed
    if allowed:
        cause_confirm(run=run, user=user, cause=D77, impact=NO_IMPACT)
        assert ConfirmedCause.objects.get(run=run).confirmed_by == persona
    else:
        with pytest.raises(ConfirmRefused):
            cause_confirm(run=run, user=user, cause=D77, impact=NO_IMPACT)
        assert not ConfirmedCause.objects.exists()
        assert Run.objects.get(pk=run.pk).is_open


def test_someone_who_acted_on_the_run_is_a_responder(run, people):
    audit_append(actor="charlie", action="proposal.requested", run_id=run.pk, service="checkout-api")
    assert user_may_confirm_cause(people["charlie"], run)
    assert not user_may_confirm_cause(people["bob"], run)


def test_the_oncall_paged_for_the_run_is_a_responder(run, people):
    Run.objects.filter(pk=run.pk).update(current_oncall="bob")
    run.refresh_from_db()
    assert user_may_confirm_cause(people["bob"], run)


def test_an_inactive_member_may_not_confirm(run, people):
    people["abe"].is_active = False
    people["abe"].save()
    assert not user_may_confirm_cause(people["abe"], run)


def test_confirming_an_open_run_resolves_it_and_audits_both_steps(run, people):
    confirmed = cause_confirm(run=run, user=people["alice"], cause=D77, note="Rolled back d-77.",
                              impact=Impact(customers_affected=True, minutes=25))
    run.refresh_from_db()
    assert run.status == Run.Status.RESOLVED and run.resolved_at is not None
    assert (confirmed.kind, confirmed.ref, confirmed.customer_impact, confirmed.impact_minutes) == (
        "deploy", "d-77", True, 25)
    assert (confirmed.desk_kind, confirmed.desk_ref, confirmed.desk_confidence) == ("deploy", "d-77", "high")
    assert confirmed.verdict == Verdict.RIGHT
    assert run.cause == "Deploy d-77: Deploy d-77 broke checkout" and run.resolution == "Rolled back d-77."
    entries = list(AuditEntry.objects.filter(run_id=run.pk).order_by("seq").values_list("actor", "action", "detail"))
    assert [(actor, action) for actor, action, _ in entries] == [
        ("alice", "run.resolved"), ("alice", "run.cause_confirmed")]
    detail = entries[1][2]
    assert detail["verdict"] == "right" and detail["packet_version"] == 1 and detail["replaces"] is None


def test_a_vendor_resolved_run_keeps_its_resolution_time(run, people):
    resolved_at = clock.now().replace(microsecond=0)
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RESOLVED, resolved_at=resolved_at)
    run.refresh_from_db()
    cause_confirm(run=run, user=people["alice"], cause=Cause("unknown"), impact=NO_IMPACT)
    run.refresh_from_db()
    assert run.resolved_at == resolved_at
    assert list(AuditEntry.objects.filter(run_id=run.pk).values_list("action", flat=True)) == ["run.cause_confirmed"]


def test_changing_the_cause_replaces_it_and_the_audit_says_what_it_replaced(run, people):
    cause_confirm(run=run, user=people["alice"], cause=D77, impact=NO_IMPACT)
    changed = cause_confirm(run=run, user=people["abe"], cause=Cause("feature_flag", "fast-cart"), impact=NO_IMPACT)
    assert ConfirmedCause.objects.filter(run=run).count() == 1
    assert changed.verdict == Verdict.WRONG and changed.confirmed_by == "abe"
    last = AuditEntry.objects.filter(run_id=run.pk).order_by("-seq").first()
    assert last.detail["replaces"] == {"kind": "deploy", "ref": "d-77"} and last.detail["verdict"] == "wrong"


def test_it_is_judged_against_the_packet_version_it_was_confirmed_on(run, people):
    confirmed = cause_confirm(run=run, user=people["alice"], cause=D77, impact=NO_IMPACT)
    packet_add(run, hypothesis("feature_flag", "fast-cart", "high"))
    confirmed.refresh_from_db()
    assert confirmed.packet.version == 1 and confirmed.verdict == Verdict.RIGHT


def test_a_packet_with_no_hypothesis_said_unknown(users, people):
    run = run_create()
    packet_add(run)
    confirmed = cause_confirm(run=run, user=people["alice"], cause=D77, impact=NO_IMPACT)
    assert confirmed.desk_kind == "" and confirmed.verdict == Verdict.DESK_UNKNOWN


def test_the_note_is_redacted_since_later_runs_read_it_as_evidence(run, people):
    confirmed = cause_confirm(run=run, user=people["alice"], cause=D77, impact=NO_IMPACT,
                              note="Customer jane.doe@example.com reported it first")
    assert "jane.doe@example.com" not in confirmed.note and "REDACTED" in confirmed.note


@pytest.mark.parametrize("cause", [Cause("rumour", "x"), Cause("deploy", "  ")])
def test_what_is_not_a_cause_is_refused(run, people, cause):
    with pytest.raises(ConfirmRefused):
        cause_confirm(run=run, user=people["alice"], cause=cause, impact=NO_IMPACT)


def test_no_impact_means_no_duration(run, people):
    confirmed = cause_confirm(run=run, user=people["alice"], cause=D77,
                              impact=Impact(customers_affected=False, minutes=30))
    assert confirmed.impact_minutes is None


def test_the_demo_gets_right_causes_a_wrong_high_and_an_unknown(users):
    named = [run_create(title=f"checkout {i}") for i in range(3)]
    for run, confidence in zip(named, ["medium", "high", "high"], strict=True):
        packet_add(run, hypothesis("deploy", "d-77", confidence), hypothesis("feature_flag", "fast-cart", "low"))
    unknown = run_create(title="checkout unknown")
    packet_add(unknown, hypothesis("unknown", None, "low"))
    no_packet = run_create(title="checkout without packet")

    confirmed = causes_confirm_for_demo([*named, unknown, no_packet])

    # The wrong one is a `high`, so the demo's scorecard lists a wrong high.
    assert [c.verdict for c in confirmed] == [Verdict.RIGHT, Verdict.WRONG, Verdict.RIGHT, Verdict.DESK_UNKNOWN]
    assert confirmed[1].cause.key == "feature_flag:fast-cart" and confirmed[3].cause.is_unknown
    assert not ConfirmedCause.objects.filter(run=no_packet).exists()
    assert all(c.confirmed_by == "alice" for c in confirmed)
