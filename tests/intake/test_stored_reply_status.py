"""The HTTP status kept with a trigger is the one its sender was answered with."""

import pytest

from incidentdesk.models import Trigger
from tests.intake.vendor_payloads import load

pytestmark = pytest.mark.django_db


def _slash_command() -> str:
    return load("slack/slash_incident")[1].decode()


@pytest.mark.parametrize(
    ("source", "payload", "answered"),
    [
        ("slack", _slash_command(), 200),  # a command is answered with its ephemeral reply
        ("generic", {"service": "checkout-api", "summary": "checkout down", "id": "s-1"}, 202),
        ("generic", b"{not json", 400),
    ],
)
def test_the_stored_status_is_the_one_answered(hooks, catalog, source, payload, answered):
    response = hooks.post(source, payload)

    assert response.status_code == answered
    assert Trigger.objects.get().http_status == answered


def test_a_retry_is_kept_with_the_status_it_was_answered(hooks, catalog):
    hooks.post("slack", _slash_command())
    retry = hooks.post("slack", _slash_command())

    assert retry.status_code == 200
    assert set(Trigger.objects.values_list("status", "http_status")) == {
        (Trigger.Status.RECEIVED, 200), (Trigger.Status.DUPLICATE, 200)
    }
