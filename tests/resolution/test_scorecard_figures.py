"""The scorecard's figures against runs made by hand, whose every number is known."""

from datetime import date, timedelta

import pytest
from django.http import QueryDict

from incidentdesk.models import Run
from incidentdesk.scorecard.figures import duration_text, scorecard_build
from incidentdesk.scorecard.period import Period
from tests.resolution.builders import first_quarter_runs

pytestmark = pytest.mark.django_db

Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture
def runs(users):
    return first_quarter_runs()


def test_the_whole_desk_over_the_quarter(runs):
    card = scorecard_build(runs=Run.objects.all(), period=Q1)
    t = card.total
    assert (t.resolved, t.confirmed, t.named, t.right, t.wrong_high, t.desk_unknown, t.stayed_unknown) == (
        7, 6, 4, 2, 1, 2, 1)
    assert (t.confirmed_share.percent, t.right_share.percent, t.unknown_share.percent) == (86, 50, 50)
    assert [line.pk for line in card.wrong_high] == [runs["wrong_high"].pk]
    assert card.wrong_high[0].desk.label == "Deploy d-2" and card.wrong_high[0].confirmed.label == "Flag change f-1"
    assert [line.pk for line in card.unconfirmed] == [runs["unconfirmed"].pk]
    # 2, 3, 4, 6, 8 and 10 minutes; the unconfirmed run never had a complete packet.
    assert card.median_to_packet == minutes(5) and card.median_to_packet_text == "5 min"


def test_the_trend_counts_each_month_of_the_period(runs):
    months = scorecard_build(runs=Run.objects.all(), period=Q1).months
    assert [m.first for m in months] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert [(m.resolved, m.confirmed, m.named, m.right, m.wrong_high, m.desk_unknown, m.stayed_unknown)
            for m in months] == [(2, 2, 2, 1, 1, 0, 0), (3, 3, 1, 0, 0, 2, 1), (2, 1, 1, 1, 0, 0, 0)]


def test_a_team_counts_the_runs_of_its_services(runs):
    card = scorecard_build(runs=Run.objects.filter(service__team__name="checkout-eng"), period=Q1)
    t = card.total
    assert (t.resolved, t.confirmed, t.named, t.right, t.wrong_high, t.desk_unknown, t.stayed_unknown) == (
        5, 4, 3, 1, 1, 1, 1)
    assert (t.confirmed_share.percent, t.right_share.percent, t.unknown_share.percent) == (80, 33, 100)
    assert card.median_to_packet == minutes(5)


def test_a_service_counts_its_own_runs(runs):
    card = scorecard_build(runs=Run.objects.filter(service__name="payments-gateway"), period=Q1)
    t = card.total
    assert (t.resolved, t.confirmed, t.named, t.right, t.wrong_high, t.desk_unknown, t.stayed_unknown) == (
        2, 2, 1, 1, 0, 1, 0)
    assert card.wrong_high == [] and t.unknown_share.percent == 0
    assert card.median_to_packet_text == "5 min 30 s"


def test_the_period_takes_whole_utc_days_both_ends_included(runs):
    february = scorecard_build(runs=Run.objects.all(), period=Period(date(2026, 2, 1), date(2026, 2, 28)))
    assert february.total.resolved == 3 and february.total.right_share.part == 0
    edges = scorecard_build(runs=Run.objects.all(), period=Period(date(2025, 12, 31), date(2026, 4, 1)))
    assert edges.total.resolved == 9 and edges.total.wrong_high == 3
    assert [m.first.month for m in edges.months] == [12, 1, 2, 3, 4]


def test_nothing_resolved_gives_no_percentages(users):
    card = scorecard_build(runs=Run.objects.all(), period=Q1)
    assert card.total.resolved == 0 and card.total.confirmed_share.percent is None
    assert card.median_to_packet is None and card.median_to_packet_text == "–"


@pytest.mark.parametrize(("seconds", "text"), [(45, "45 s"), (200, "3 min 20 s"), (3900, "1 h 5 min")])
def test_durations_read_as_people_say_them(seconds, text):
    assert duration_text(timedelta(seconds=seconds)) == text


def test_the_period_comes_from_the_query_and_defaults_to_the_last_90_days():
    today = date(2026, 3, 31)
    assert Period.from_query(QueryDict(""), today=today) == (Period(date(2026, 1, 1), today), "")
    assert Period.from_query(QueryDict("from=2026-02-01&to=2026-02-10"), today=today) == (
        Period(date(2026, 2, 1), date(2026, 2, 10)), "")
    period, problem = Period.from_query(QueryDict("from=2026-02-10&to=2026-02-01"), today=today)
    assert period.days == 90 and "starts after it ends" in problem
    period, problem = Period.from_query(QueryDict("from=yesterday"), today=today)
    assert period.days == 90 and "YYYY-MM-DD" in problem
