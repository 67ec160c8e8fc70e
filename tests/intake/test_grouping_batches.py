"""A trigger that cannot be grouped fails alone; the others of its batch are still grouped in batches."""

import json

import pytest

from incidentdesk.models import Run, Trigger
from incidentdesk.services import grouping
from incidentdesk.services.grouping import BATCH_SIZE, triggers_process_pending
from tests.intake.vendor_payloads import load

pytestmark = pytest.mark.django_db

ALERTS = 1_500
POISONED = {7, 640, 1_499}  # one in each batch of 500


@pytest.fixture
def alerts(catalog, monkeypatch):
    """1,500 received generic alerts for one service, three of which make grouping raise."""
    headers, body = load("generic/support_spike")
    template = json.loads(body)
    rows = []
    for n in range(ALERTS):
        payload = dict(template, service="checkout-api", summary=f"{'poison ' if n in POISONED else ''}alert {n}")
        rows.append(Trigger(source="generic", headers=headers, body=json.dumps(payload).encode(), http_status=202))
    Trigger.objects.bulk_create(rows)

    real = grouping.normalise

    def normalise(source, headers, body):
        if b"poison" in body:
            raise ValueError("cannot group this one")
        return real(source, headers, body)

    monkeypatch.setattr(grouping, "normalise", normalise)
    batches = []
    real_apply = grouping._Grouper.apply
    monkeypatch.setattr(grouping._Grouper, "apply", lambda self, triggers: (batches.append(len(triggers)),
                                                                              real_apply(self, triggers)))
    return batches


def test_three_poisoned_alerts_in_fifteen_hundred_fail_alone_and_the_rest_group_in_batches(alerts):
    taken = []
    while n := triggers_process_pending():
        taken.append(n)

    assert taken == [BATCH_SIZE] * 3
    failed = Trigger.objects.filter(status=Trigger.Status.FAILED)
    assert sorted(json.loads(bytes(t.body))["summary"] for t in failed) == sorted(f"poison alert {n}" for n in POISONED)
    assert all("cannot group this one" in t.reason for t in failed)
    assert Trigger.objects.filter(status=Trigger.Status.PROCESSED).count() == ALERTS - len(POISONED)
    assert not Trigger.objects.filter(status=Trigger.Status.RECEIVED).exists()
    assert Run.objects.count() == 1  # one service, one incident: every good alert joined it
    # Three full batches failed and were halved down to the bad trigger: about 2 log2(500)
    # batches each, instead of 500 one-trigger transactions each.
    assert len(alerts) <= 3 * (1 + 2 * 9)
    assert sum(1 for size in alerts if size == 1) <= 3 * 2
