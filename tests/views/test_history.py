from datetime import timedelta

import pytest
from django.urls import reverse

from incidentdesk import clock
from incidentdesk.models import Run
from tests.views.builders import run_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(client, users):
    client.force_login(users["alice"])
    return client


def _listed(client, **params) -> list[int]:
    response = client.get(reverse("runs:history"), params)
    assert response.status_code == 200
    return [run.pk for run in response.context["page"]]


@pytest.fixture
def runs(users):
    now = clock.now()
    return {
        "old_checkout": run_create(title="checkout-api 502s from payments", triggered_at=now - timedelta(days=40),
                                   cause="TLS certificate expired on the gateway",
                                   resolution="Renewed the certificate"),
        "recent_payments": run_create("payments-gateway", title="payments-gateway latency high",
                                      triggered_at=now - timedelta(hours=2),
                                      symptoms=["p99 above 3 s in eu-west-1"]),
        "ledger": run_create("ledger-db", title="ledger-db replication lag", triggered_at=now - timedelta(days=3)),
    }


def test_it_lists_every_run_newest_first(alice_client, runs):
    assert _listed(alice_client) == [runs["recent_payments"].pk, runs["ledger"].pk, runs["old_checkout"].pk]


def test_it_pages_through_many_runs(alice_client, users):
    base = clock.now()
    for i in range(55):
        run_create(title=f"run {i}", triggered_at=base - timedelta(minutes=i))
    first, second = _listed(alice_client), _listed(alice_client, page=2)
    assert len(first) == 50 and len(second) == 5
    assert not set(first) & set(second)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"service": "payments-gateway"}, ["recent_payments"]),
        ({"team": "platform"}, ["ledger"]),
        ({"status": "resolved"}, ["ledger"]),
        ({"severity": "sev1"}, ["old_checkout"]),
        ({"range": "24h"}, ["recent_payments"]),
        ({"range": "7d"}, ["recent_payments", "ledger"]),
    ],
)
def test_it_filters_by_service_team_status_severity_and_time(alice_client, runs, params, expected):
    Run.objects.filter(pk=runs["ledger"].pk).update(status=Run.Status.RESOLVED)
    Run.objects.filter(pk=runs["old_checkout"].pk).update(severity="sev1")
    assert _listed(alice_client, **params) == [runs[name].pk for name in expected]


def test_it_filters_by_a_date_range(alice_client, runs):
    day = runs["ledger"].triggered_at.date()
    assert _listed(alice_client, since=day.isoformat(), until=day.isoformat()) == [runs["ledger"].pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("replication", "ledger"),            # title
        ("eu-west-1", "recent_payments"),     # symptoms
        ("certificate expired", "old_checkout"),  # cause
        ("renewed", "old_checkout"),          # resolution
    ],
)
def test_search_covers_titles_symptoms_causes_and_resolutions(alice_client, runs, query, expected):
    assert _listed(alice_client, q=query) == [runs[expected].pk]


def test_a_search_with_no_match_says_so(alice_client, runs):
    response = alice_client.get(reverse("runs:history"), {"q": "kangaroo"})
    assert "No run matches these filters." in response.content.decode()


def test_filters_survive_pagination_links(alice_client, users):
    for i in range(55):
        run_create(title=f"checkout blip {i}", triggered_at=clock.now() - timedelta(minutes=i))
    body = alice_client.get(reverse("runs:history"), {"q": "blip", "service": "checkout-api"}).content.decode()
    assert "?q=blip&amp;service=checkout-api&amp;page=2" in body


def test_the_history_query_count_does_not_grow_with_runs(alice_client, users, django_assert_max_num_queries):
    for i in range(60):
        run_create(title=f"run {i}", triggered_at=clock.now() - timedelta(minutes=i))
    with django_assert_max_num_queries(8):
        alice_client.get(reverse("runs:history"))


def test_past_the_cap_the_history_says_more_than_and_still_pages(alice_client, runs, monkeypatch):
    monkeypatch.setattr("incidentdesk.views.runs.COUNT_CAP", 2)
    response = alice_client.get(reverse("runs:history"))
    assert "More than 2 runs, newest first: narrow by date or service" in response.content.decode()
    assert len(response.context["page"]) == 2  # pages reach as far as the cap
    monkeypatch.setattr("incidentdesk.views.runs.COUNT_CAP", 3)
    assert "3 runs, newest first" in alice_client.get(reverse("runs:history")).content.decode()
