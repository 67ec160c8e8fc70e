from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import respx

from collectors.base import NotConfigured, Scope, ServiceRef
from collectors.vendors.ical import ICalChangeCalendar
from incidentdesk.http import Deadline, HttpError

FIXTURES = Path(__file__).parent / "fixtures"
FEED = FIXTURES / "ical_changes.ics"
FEED_URL = "https://calendar.example.net/changes.ics"


def scope() -> Scope:
    return Scope(
        run_id=1,
        service="search-api",
        services=(
            ServiceRef(name="search-api", aliases=("search", "PSRCH01")),
            ServiceRef(name="search-index"),
            ServiceRef(name="query-cache"),
        ),
        start=datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc),
        end=datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc),
    )


def test_it_expands_recurrences_and_keeps_events_touching_the_scope():
    fetched = ICalChangeCalendar(path=FEED).fetch(scope(), deadline=Deadline.after(5))

    assert [r.data for r in fetched.records] == [
        {
            "uid": "MNT-IDX@2026-03-01T08:00:00Z",
            "title": "search-index: segment merge",
            "start": "2026-03-01T08:00:00Z",
            "end": "2026-03-01T09:00:00Z",
            "services": ["search-index"],
            "kind": "maintenance",
        },
        {
            "uid": "MNT-IDX@2026-03-01T20:00:00Z",
            "title": "search-index: segment merge",
            "start": "2026-03-01T20:00:00Z",
            "end": "2026-03-01T21:00:00Z",
            "services": ["search-index"],
            "kind": "maintenance",
        },
        {
            "uid": "MIG-ES8",
            "title": "Elasticsearch 8 upgrade",
            "start": "2026-03-01T22:00:00Z",
            "end": "2026-03-02T02:00:00Z",
            "services": ["search-api", "billing"],
            "kind": "migration",
        },
        {
            "uid": "FRZ-Q1",
            "title": "Company-wide change freeze",
            "start": "2026-03-02T00:00:00Z",
            "end": "2026-03-03T00:00:00Z",
            "services": ["search-api", "search-index", "query-cache"],
            "kind": "freeze",
        },
        {
            "uid": "DRILL-7",
            "title": "Failover drill",
            "start": "2026-03-02T09:00:00Z",
            "end": "2026-03-02T09:30:00Z",
            "services": ["query-cache"],
            "kind": "migration",
        },
        {
            "uid": "REL-WEEKLY",
            "title": "Weekly release window",
            "start": "2026-03-02T13:00:00Z",
            "end": "2026-03-02T15:00:00Z",
            "services": ["search-api"],
            "kind": "release",
        },
        {
            "uid": "MNT-IDX@2026-03-02T20:00:00Z",
            "title": "search-index: segment merge (delayed)",
            "start": "2026-03-02T21:00:00Z",
            "end": "2026-03-02T22:00:00Z",
            "services": ["search-index"],
            "kind": "maintenance",
        },
        {
            "uid": "MNT-IDX@2026-03-03T08:00:00Z",
            "title": "search-index: segment merge",
            "start": "2026-03-03T08:00:00Z",
            "end": "2026-03-03T09:00:00Z",
            "services": ["search-index"],
            "kind": "maintenance",
        },
    ]
    assert not fetched.truncated


def test_records_carry_ref_service_time_and_link():
    fetched = ICalChangeCalendar(path=FEED).fetch(scope(), deadline=Deadline.after(5))
    drill = next(r for r in fetched.records if r.ref == "DRILL-7")

    assert drill.service == "query-cache"
    assert drill.observed_at == datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    assert drill.url == "https://wiki.example.net/changes/DRILL-7"


def test_an_excluded_occurrence_is_not_reported():
    fetched = ICalChangeCalendar(path=FEED).fetch(scope(), deadline=Deadline.after(5))

    assert "MNT-IDX@2026-03-02T08:00:00Z" not in {r.ref for r in fetched.records}


def test_it_caps_the_number_of_events():
    fetched = ICalChangeCalendar(path=FEED, max_events=3).fetch(scope(), deadline=Deadline.after(5))

    assert len(fetched.records) == 3
    assert fetched.truncated
    assert fetched.note == "kept 3 of 8 calendar events"


def test_it_reads_the_feed_over_http():
    router = respx.MockRouter(assert_all_called=False)
    route = router.get(FEED_URL).respond(
        200, content=FEED.read_bytes(), headers={"Content-Type": "text/calendar"}
    )
    connector = ICalChangeCalendar(url=FEED_URL, transport=httpx.MockTransport(router.handler))

    fetched = connector.fetch(scope(), deadline=Deadline.after(5))

    assert len(fetched.records) == 8
    assert "text/calendar" in route.calls.last.request.headers["accept"]


def test_a_feed_that_fails_then_answers_is_retried(waits):
    router = respx.MockRouter(assert_all_called=False)
    router.get(FEED_URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(200, content=FEED.read_bytes())]
    )
    connector = ICalChangeCalendar(url=FEED_URL, transport=httpx.MockTransport(router.handler))

    assert len(connector.fetch(scope(), deadline=Deadline.after(5)).records) == 8
    assert len(waits) == 1


def test_a_feed_refusing_credentials_is_permanent(waits):
    router = respx.MockRouter(assert_all_called=False)
    route = router.get(FEED_URL).respond(401)
    connector = ICalChangeCalendar(url=FEED_URL, transport=httpx.MockTransport(router.handler))

    with pytest.raises(HttpError) as caught:
        connector.fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "error"
    assert route.call_count == 1


def test_text_that_is_not_a_calendar_is_malformed(tmp_path):
    path = tmp_path / "changes.ics"
    path.write_text("<html>sign in</html>")

    with pytest.raises(HttpError) as caught:
        ICalChangeCalendar(path=path).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_an_oversized_calendar_file_is_refused(tmp_path):
    with pytest.raises(HttpError) as caught:
        ICalChangeCalendar(path=FEED, max_bytes=100).fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "malformed"


def test_a_missing_calendar_file_is_not_found(tmp_path):
    with pytest.raises(HttpError) as caught:
        ICalChangeCalendar(path=tmp_path / "nope.ics").fetch(scope(), deadline=Deadline.after(5))

    assert caught.value.reason == "not_found"


def test_from_env_needs_a_url_or_a_file():
    with pytest.raises(NotConfigured, match="CHANGE_CALENDAR_URL nor CHANGE_CALENDAR_FILE"):
        ICalChangeCalendar.from_env({})


def test_from_env_refuses_a_url_that_is_not_http():
    with pytest.raises(NotConfigured, match="CHANGE_CALENDAR_URL"):
        ICalChangeCalendar.from_env({"CHANGE_CALENDAR_URL": "file:///etc/passwd"})


def test_from_env_takes_the_file():
    connector = ICalChangeCalendar.from_env({"CHANGE_CALENDAR_FILE": str(FEED)})

    assert connector.path == FEED


SHARED_FEED = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:NET-1
DTSTAMP:20260201T000000Z
DTSTART:20260302T083000Z
DTEND:20260302T093000Z
SUMMARY:Core network: replace optics on the east hub
END:VEVENT
BEGIN:VEVENT
UID:REL-OTHER
DTSTAMP:20260201T000000Z
DTSTART:20260302T083000Z
DTEND:20260302T093000Z
SUMMARY:billing-web release
CATEGORIES:RELEASE
END:VEVENT
END:VCALENDAR
"""


def test_a_maintenance_naming_no_service_is_shared_infrastructure_and_kept(tmp_path):
    feed = tmp_path / "shared.ics"
    feed.write_text(SHARED_FEED)
    fetched = ICalChangeCalendar(path=feed).fetch(scope(), deadline=Deadline.after(5))
    assert [(r.ref, r.data["services"], r.data["kind"]) for r in fetched.records] == [("NET-1", [], "maintenance")]
