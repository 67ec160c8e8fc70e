"""Similar past incidents rank by confirmed cause, service and symptoms, and say what ended them."""

from datetime import timedelta

import pytest
from django.urls import reverse

from incidentdesk.causes import Cause
from incidentdesk.models import Run
from incidentdesk.similar import runs_similar
from tests.resolution.builders import confirm, hypothesis, packet_add
from tests.views.builders import ONSET, run_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(users):
    """A checkout-api run whose packet says d-77 (high), then fast-cart (low), and its past."""
    now = run_create(triggered_at=ONSET)
    packet_add(now, hypothesis("deploy", "d-77", "high"), hypothesis("feature_flag", "fast-cart", "low"))

    def past(service: str, title: str, days: int) -> Run:
        return run_create(service, title=title, triggered_at=ONSET - timedelta(days=days))

    made = {
        "now": now,
        "same_flag": past("checkout-api", "checkout-api latency", 30),
        "same_deploy_elsewhere": past("ledger-db", "ledger-db replication lag", 20),
        "same_words": past("checkout-api", "checkout-api error rate above 5% again", 1),
        "stayed_unknown": past("checkout-api", "checkout-api down", 40),
        "unrelated": past("status-page", "status page slow", 2),
        "other_cause": past("payments-gateway", "payments timeouts", 3),
    }
    confirm(made["same_flag"], "feature_flag", "fast-cart", note="Turned fast-cart off.")
    confirm(made["same_deploy_elsewhere"], "deploy", "d-77", note="Rolled back d-77.")
    confirm(made["stayed_unknown"], "unknown")
    confirm(made["other_cause"], "dependency", "ledger-db")
    return made


def _hypotheses() -> list[Cause]:
    return [Cause("deploy", "d-77"), Cause("feature_flag", "fast-cart")]


def test_a_shared_confirmed_cause_outranks_the_same_service_and_words(history):
    similar = runs_similar(Run.objects.select_related("confirmed_cause"), run=history["now"],
                           hypotheses=_hypotheses())
    names = {run.pk: name for name, run in history.items()}
    assert [names[s.run.pk] for s in similar] == ["same_flag", "same_deploy_elsewhere", "same_words", "stayed_unknown"]
    assert [s.score for s in similar] == [13, 10, 7, 5]
    assert similar[0].reasons == ("its confirmed cause is hypothesis 2 here", "same service", "shares checkout-api")
    assert similar[1].reasons == ("its confirmed cause is hypothesis 1 here",)


def test_without_hypotheses_it_ranks_by_service_and_symptoms(history):
    similar = runs_similar(Run.objects.all(), run=history["now"])
    names = {run.pk: name for name, run in history.items()}
    assert [names[s.run.pk] for s in similar] == ["same_words", "same_flag", "stayed_unknown"]


def test_the_run_page_shows_each_ones_confirmed_cause_and_resolution_note(client, users, history):
    client.force_login(users["alice"])
    body = client.get(reverse("runs:detail", args=[history["now"].pk])).content.decode()
    similar = body[body.index("Similar past incidents"):]
    assert similar.index(f"#{history['same_flag'].pk} ") < similar.index(f"#{history['same_deploy_elsewhere'].pk} ")
    assert "Confirmed cause:</strong> Flag change fast-cart" in similar and "Turned fast-cart off." in similar
    assert "Confirmed cause:</strong> Deploy d-77" in similar and "Rolled back d-77." in similar
    assert "its confirmed cause is hypothesis 1 here" in similar
    assert "status page slow" not in similar and "payments timeouts" not in similar


def test_one_shared_word_is_not_a_likeness(users):
    now = run_create("checkout-api", title="checkout-api cart totals wrong after rounding change", triggered_at=ONSET)
    one_word = run_create("ledger-db", title="ledger-db rounding job slow", triggered_at=ONSET - timedelta(days=2))
    two_words = run_create("status-page", title="status-page cart totals stale",
                           triggered_at=ONSET - timedelta(days=3))

    listed = runs_similar(Run.objects.all(), run=now)

    assert [s.run.pk for s in listed] == [two_words.pk]
    assert listed[0].reasons == ("shares cart, totals",)
    assert one_word.pk not in [s.run.pk for s in listed]
