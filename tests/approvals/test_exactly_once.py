"""Thirty approve requests at once, from two owners, on real database connections: the action runs once.

PostgreSQL, or SQLite in a file (tests/approvals/test_sqlite_clicks.py runs this module so)."""

import os
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from approvals.models import ActionProposal
from approvals.services import execution, proposals_sync
from incidentdesk.audit import audit_verify
from incidentdesk.models import AuditEntry
from tests.approvals.builders import FakeExecutor, packet_add, rollback_item, run_create

pytestmark = [pytest.mark.django_db(transaction=True)]
REQUESTS = 30


@pytest.fixture(autouse=True)
def _real_connections():
    if connection.vendor == "sqlite" and not os.environ.get("TEST_SQLITE_FILE"):
        pytest.skip(
            "needs PostgreSQL or SQLite in a file: threads on in-memory SQLite share one cache, "
            "so concurrent requests prove nothing there"
        )


def test_thirty_concurrent_approvals_run_a_sev1_rollback_exactly_once(
    catalog, users, eager_tasks, monkeypatch
):
    calls: list = []
    # A slow vendor widens the window in which a second execution could slip in.
    monkeypatch.setattr(execution, "executor_for", lambda proposal: FakeExecutor(calls, delay=0.2))
    run = run_create(severity="sev1")
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()], severity="sev1"))[0]
    assert proposal.approvals_required == 2
    url = reverse("approvals:approve", args=[proposal.pk])
    start = threading.Barrier(REQUESTS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def click(user) -> None:
        try:
            client = Client(HTTP_HOST="localhost")
            client.force_login(user)
            start.wait(timeout=10)
            statuses.append(client.post(url).status_code)
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=click, args=(users["alice" if n % 2 else "abe"],)) for n in range(REQUESTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert len(statuses) == REQUESTS and set(statuses) <= {302, 409}
    proposal.refresh_from_db()
    assert proposal.state == ActionProposal.State.SUCCEEDED
    assert len(calls) == 1 and calls[0][1] == str(proposal.idempotency_key)
    assert proposal.approvals.count() == 2
    assert AuditEntry.objects.filter(action="proposal.approval").count() == 2
    assert AuditEntry.objects.filter(action="proposal.approved").count() == 1
    assert AuditEntry.objects.filter(action="proposal.executing").count() == 1
    assert AuditEntry.objects.filter(action="proposal.executed").count() == 1
    assert audit_verify().ok


def test_concurrent_executions_of_one_approved_proposal_claim_it_once(catalog, users, monkeypatch):
    calls: list = []
    monkeypatch.setattr(execution, "executor_for", lambda proposal: FakeExecutor(calls, delay=0.1))
    run = run_create()
    proposal = proposals_sync(run=run, packet=packet_add(run, [rollback_item()]))[0]
    from approvals.services import proposal_approve

    proposal_approve(proposal=proposal, user=users["alice"])
    start = threading.Barrier(10)

    def worker() -> None:
        try:
            start.wait(timeout=10)
            execution.proposal_execute(proposal_id=proposal.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(calls) == 1
    assert AuditEntry.objects.filter(action="proposal.executed").count() == 1
