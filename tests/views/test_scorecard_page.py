"""The scorecard pages: whole desk, per team and per service, over a chosen period."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidentdesk import clock
from tests.resolution.builders import first_quarter_runs, resolved_run

pytestmark = pytest.mark.django_db

Q1 = {"from": "2026-01-01", "to": "2026-03-31"}
PAGES = {
    "desk": lambda: reverse("desk:scorecard"),
    "team": lambda: reverse("desk:scorecard_team", args=["checkout-eng"]),
    "service": lambda: reverse("desk:scorecard_service", args=["payments-gateway"]),
}


@pytest.fixture
def runs(users):
    return first_quarter_runs()


@pytest.fixture
def alice_client(client, users):
    client.force_login(users["alice"])
    return client


def _figures(body: str) -> list[str]:
    return re.findall(r'<span class="value">(.*?)</span>', body)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_anonymous_visitors_are_sent_to_sign_in(client, page):
    url = PAGES[page]()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("persona", ["olivia", "bob", "charlie", "alice"])
@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_signed_in_person_reads_every_scorecard(client, users, page, persona):
    client.force_login(users[persona])
    response = client.get(PAGES[page]())
    assert response.status_code == 200 and b'<ul class="stats">' in response.content
    assert client.post(PAGES[page]()).status_code == 405


@pytest.mark.parametrize(
    "url", [reverse("desk:scorecard_team", args=["nobody"]), reverse("desk:scorecard_service", args=["nothing"])]
)
def test_an_unknown_team_or_service_is_a_404(alice_client, url):
    assert alice_client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("page", "figures"),
    [
        ("desk", ["7", "86%", "50%", "1", "50%", "5 min"]),
        ("team", ["5", "80%", "33%", "1", "100%", "5 min"]),
        ("service", ["2", "100%", "100%", "0", "0%", "5 min 30 s"]),
    ],
)
def test_the_figures_for_the_desk_a_team_and_a_service(alice_client, runs, page, figures):
    body = alice_client.get(PAGES[page](), Q1).content.decode()
    assert _figures(body) == figures
    assert "Runs resolved from 2026-01-01 to 2026-03-31 UTC, both days included" in body


def test_the_wrong_highs_link_to_their_runs(alice_client, runs):
    body = alice_client.get(PAGES["desk"](), Q1).content.decode()
    listed = body[body.index('id="wrong-high"'):body.index('id="trend-title"')]
    assert re.findall(r'href="/runs/(\d+)/"', listed) == [str(runs["wrong_high"].pk)]
    assert "Desk said <strong>Deploy d-2</strong> (high); the cause was <strong>Flag change f-1</strong>" in listed


def test_the_trend_draws_a_bar_per_figure_per_month(alice_client, runs):
    body = alice_client.get(PAGES["desk"](), Q1).content.decode()
    assert body.count('<svg class="trend-chart"') == 1
    assert "Resolved, January 2026: 2</title>" in body and "Desk right, March 2026: 1</title>" in body
    rows = re.findall(r'<td class="when">(\w+ \d+)</td><td>(\d+)</td>', body)
    assert rows == [("Jan 2026", "2"), ("Feb 2026", "3"), ("Mar 2026", "2")]


def test_the_period_narrows_what_counts(alice_client, runs):
    body = alice_client.get(PAGES["desk"](), {"from": "2026-02-01", "to": "2026-02-28"}).content.decode()
    assert _figures(body)[:3] == ["3", "100%", "0%"]


def test_the_default_period_is_the_last_90_days(alice_client, users):
    today = clock.now().date()
    recent = resolved_run(resolved_at=clock.now())
    body = alice_client.get(PAGES["desk"]()).content.decode()
    assert _figures(body)[0] == "1"
    first = date.fromordinal(today.toordinal() - 89)
    assert f'name="from" value="{first:%Y-%m-%d}"' in body and f'name="to" value="{today:%Y-%m-%d}"' in body
    assert f'href="/runs/{recent.pk}/"' in body  # listed among the runs waiting for their cause


def test_a_bad_period_says_so_and_shows_the_default(alice_client, users):
    body = alice_client.get(PAGES["desk"](), {"from": "2026-03-01", "to": "2026-02-01"}).content.decode()
    assert "The period starts after it ends" in body


def test_under_htmx_only_the_figures_are_sent(alice_client, runs):
    response = alice_client.get(PAGES["desk"](), Q1, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and 'id="figures"' in body
    assert "<html" not in body and 'name="from"' not in body


def test_the_figures_cost_the_same_queries_however_many_runs(alice_client, users):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(PAGES["desk"](), Q1).status_code == 200
        return len(captured)

    first_quarter_runs()
    few = queries()
    for day in range(1, 20):
        resolved_run(resolved_at=clock.now().replace(year=2026, month=2, day=day))
    assert queries() == few


def test_the_nav_leads_to_the_scorecard(alice_client, users):
    body = alice_client.get(reverse("runs:history")).content.decode()
    assert f'href="{reverse("desk:scorecard")}"' in body
