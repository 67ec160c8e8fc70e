"""Writers that lock rows and append to the audit trail, at once on PostgreSQL: no deadlock.

A packet build locks its run and then appends; a grouping batch appends (a new run opened) and
then updates the runs it joined. Were the audit head taken in the middle of a transaction, the
two would wait for each other. Every writer takes it last, so neither ever waits while holding it.
"""

import json
import threading

import pytest
from django.db import connection

from incidentdesk.audit import audit_verify
from incidentdesk.models import Run, Trigger
from incidentdesk.services.grouping import triggers_process_pending
from incidentdesk.services.packets import _packet_store
from tests.intake.vendor_payloads import load
from tests.views.builders import run_create

pytestmark = [pytest.mark.django_db(transaction=True)]
ROUNDS = 25


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and deadlock detection are PostgreSQL's; SQLite locks the whole file")


def _alerts(round_: int) -> None:
    """Two alerts grouped in one batch: one opens a new run (an audit entry), one joins the busy run."""
    headers, body = load("generic/support_spike")
    template = json.loads(body)
    for service, summary in (("payments-gateway", f"new incident {round_}"), ("checkout-api", f"more {round_}")):
        payload = dict(template, service=service, summary=summary, id=f"{service}-{round_}")
        Trigger.objects.create(source="generic", headers=headers, body=json.dumps(payload).encode(), http_status=202)


def test_packet_builds_and_grouping_batches_at_once_never_deadlock(catalog):
    busy = run_create("checkout-api")
    errors: list[BaseException] = []

    def build(round_: int, start: threading.Barrier) -> None:
        try:
            start.wait(timeout=10)
            run = Run.objects.get(pk=busy.pk)
            _packet_store(run, {"service": "checkout-api", "round": round_, "text": f"v{round_}"}, [], True)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def group(start: threading.Barrier) -> None:
        try:
            start.wait(timeout=10)
            triggers_process_pending()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    for round_ in range(ROUNDS):
        _alerts(round_)
        start = threading.Barrier(3)
        threads = [
            threading.Thread(target=build, args=(round_, start)),
            threading.Thread(target=build, args=(round_ + 1000, start)),
            threading.Thread(target=group, args=(start,)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert not Trigger.objects.exclude(status=Trigger.Status.PROCESSED).exists()
    assert audit_verify().ok
