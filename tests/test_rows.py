from datetime import datetime, timedelta, timezone

import pytest

from incidentdesk.rows import rows_update
from incidentdesk.models import Run, Service
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
