from datetime import datetime, timedelta, timezone

import pytest

from incidentdesk.models import Run, Service
from incidentdesk.rows import rows_update
from incidentdesk.services.catalog import catalog_load
from tests.conftest import CATALOG

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _run(title: str, **fields) -> Run:
    return Run.objects.create(title=title, trigger_source="generic", triggered_at=AT, first_seen_at=AT,
                              last_event_at=AT, **fields)


def test_it_writes_each_rows_own_values_and_leaves_other_fields_and_rows_alone():
    catalog_load(catalog=CATALOG)
    service = Service.objects.get(name="checkout-api")
    first, second, untouched = _run("first"), _run("second", severity="SEV2"), _run("third")
    first.last_event_at = AT + timedelta(minutes=5, microseconds=123)
    first.symptoms = ["5xx at 12%", {"quote": "it's \"down\"", "nested": [1, None]}]
    first.status, first.resolved_at = Run.Status.RESOLVED, AT + timedelta(hours=1)
    first.service = service
    second.reports_data_exposure = True
    second.symptoms = []
    second.title = "changed in memory but not written"

    written = rows_update([first, second], ["last_event_at", "symptoms", "status", "resolved_at", "service",
                                            "reports_data_exposure"])

    assert written == 2
    first.refresh_from_db(), second.refresh_from_db(), untouched.refresh_from_db()
    assert first.last_event_at == AT + timedelta(minutes=5, microseconds=123)
    assert first.symptoms == ["5xx at 12%", {"quote": "it's \"down\"", "nested": [1, None]}]
    assert (first.status, first.resolved_at, first.service_id) == (Run.Status.RESOLVED, AT + timedelta(hours=1),
                                                                  service.pk)
    assert second.reports_data_exposure is True and second.resolved_at is None
    assert (second.title, second.severity) == ("second", "SEV2")
    assert (untouched.symptoms, untouched.status, untouched.last_event_at) == ([], Run.Status.OPEN, AT)


def test_nothing_to_write_is_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert rows_update([], ["status"]) == 0


def test_many_rows_are_one_statement_on_postgresql(django_assert_max_num_queries):
    runs = [_run(f"run {i}") for i in range(50)]
    for run in runs:
        run.status = Run.Status.RESOLVED
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("one statement is the PostgreSQL path")
    with django_assert_max_num_queries(1):
        assert rows_update(runs, ["status"]) == 50
    assert Run.objects.filter(status=Run.Status.RESOLVED).count() == 50


def test_rows_insert_writes_every_row_and_skips_conflicts_when_asked(hook_secrets, hooks, catalog):
    from incidentdesk.models import RunEvent, Trigger
    from incidentdesk.rows import rows_insert

    hooks.post("generic", {"service": "status-page", "summary": "support tickets up 10x", "id": "rows-1"})
    trigger = Trigger.objects.get()
    run = _run("target")
    events = [RunEvent(trigger=trigger, index=i, run=run, kind="trigger", title=f"event {i}",
                       occurred_at=AT + timedelta(seconds=i)) for i in (5, 6, 7)]
    assert rows_insert(events) == 3
    again = [RunEvent(trigger=trigger, index=i, run=run, kind="joined", title="again", occurred_at=AT) for i in (7, 8)]
    from django.db import connection

    # PostgreSQL counts the rows written; elsewhere bulk_create reports the rows it was given.
    assert rows_insert(again, ignore_conflicts=True) == (1 if connection.vendor == "postgresql" else 2)
    stored = {e.index: (e.title, e.occurred_at) for e in RunEvent.objects.filter(run=run)}
    assert stored == {5: ("event 5", AT + timedelta(seconds=5)), 6: ("event 6", AT + timedelta(seconds=6)),
                      7: ("event 7", AT + timedelta(seconds=7)), 8: ("again", AT)}
