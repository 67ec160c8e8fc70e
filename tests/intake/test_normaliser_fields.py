from datetime import UTC, datetime

import pytest

from incidentdesk.intake.normalisers.fields import explicit_severity, parse_time, severity_in_text

MOMENT = datetime(2025, 6, 3, 8, 46, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2025-06-03T08:46:05Z",
        "2025-06-03T08:46:05.000000Z",
        "2025-06-03T10:46:05+02:00",
        "2025-06-03 08:46:05 UTC",
        "2025-06-03T08:46:05",
        "Tue, 03 Jun 2025 08:46:05 GMT",
        "1748940365",
        "1748940365000",
        1748940365,
        1748940365000,
        1748940365.0,
    ],
)
def test_it_reads_the_time_formats_vendors_send(value):
    assert parse_time(value) == MOMENT


@pytest.mark.parametrize(
    "value",
    [
        "",
        "soon",
        "0001-01-01T00:00:00Z",
        "9" * 400,
        float("nan"),
        float("inf"),
        -1,
        True,
        None,
        [],
        {},
        "2025-13-45",
    ],
)
def test_it_returns_none_for_what_is_not_a_usable_time(value):
    assert parse_time(value) is None


@pytest.mark.parametrize(
    ("text", "severity"),
    [("db down SEV1", "sev1"), ("sev-3 maybe", "sev3"), ("sev5", None), ("several users", None), ("", None)],
)
def test_it_finds_an_explicit_severity_word_in_text(text, severity):
    assert severity_in_text(text) == severity


@pytest.mark.parametrize(
    ("value", "severity"),
    [("sev2", "sev2"), ("SEV-4", "sev4"), ("critical", None), ("high sev1", None), (None, None)],
)
def test_only_a_value_that_is_itself_a_severity_counts(value, severity):
    assert explicit_severity(value) == severity


def test_storable_makes_any_text_and_number_fit_a_column():
    from incidentdesk.intake.normalisers.fields import storable

    assert storable("a\x00b\ud800c") == "a\ufffdb?c"
    assert storable({"k\x00": [10**400, float("inf"), 1.5, True, None]}) == {"k\ufffd": ["1" + "0" * 400, None, 1.5, True, None]}
    assert storable(("x", "y")) == ("x", "y")


def test_an_epoch_too_large_for_a_float_is_no_time_not_a_crash():
    from incidentdesk.intake.normalisers.fields import parse_time

    assert parse_time(10**400) is None
