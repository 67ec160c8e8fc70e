"""Signed vendor payloads whose every text field carries a NUL and a lone surrogate, or whose
every number is 10**400: never a 500, the attempt kept, and grouping never fails on them."""

import json

import pytest

from incidentdesk.models import Trigger
from tests.fuzz.test_webhook_views_fuzz import (
    FIXTURE_NAMES,
    _assert_answered_cleanly,
    _group_and_check,
    _post,
)
from tests.intake.vendor_payloads import as_sent, load

pytestmark = pytest.mark.django_db
SIGNED_HEADERS = ("content-type", "x-slack-signature", "x-slack-request-timestamp")


def _is_json(name: str) -> bool:
    try:
        json.loads(load(name)[1])
    except ValueError:
        return False
    return True


# Slack's form-encoded commands are poisoned by the form fuzzing in test_webhook_views_fuzz.
JSON_FIXTURES = [name for name in FIXTURE_NAMES if _is_json(name)]


def _poison(value, how: str):
    if isinstance(value, dict):
        return {k: _poison(v, how) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, how) for v in value]
    if how == "text" and isinstance(value, str):
        return f"{value}\x00\ud800"
    if how == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return 10**400
    return value


@pytest.mark.parametrize("how", ["text", "number"])
@pytest.mark.parametrize("name", JSON_FIXTURES)
def test_a_poisoned_vendor_payload_is_answered_and_kept_and_never_breaks_grouping(hooks, catalog, name, how):
    headers, body = load(name)
    payload = json.loads(body)
    poisoned = json.dumps(_poison(payload, how)).encode()  # ensure_ascii: the surrogate travels as \\ud800
    extra = {k: v for k, v in headers.items() if k.lower() not in SIGNED_HEADERS}
    before = Trigger.objects.count()
    with as_sent(name.split("/")[0], headers, body):  # delivered as made: inside the replay horizon
        response = _post(hooks.client, name.split("/")[0], poisoned, content_type="application/json", sign=True,
                         extra=extra)
    _assert_answered_cleanly(response)
    assert Trigger.objects.count() == before + 1
    _group_and_check()


def test_a_nul_in_the_path_is_answered_and_kept(hooks):
    response = hooks.client.post("/hooks/%00/", data=b"{}", content_type="application/json")
    assert response.status_code == 404
    assert Trigger.objects.filter(pk=response.json()["trigger"]).exists()
