"""How deeply a body may nest is a fixed limit, not wherever the JSON parser runs out of stack: a body
the web process takes is read the same by the worker, however deep the worker's own stack is."""

import json

import pytest

from incidentdesk.intake.events import PayloadError
from incidentdesk.intake.normalisers.fields import MAX_NESTING, load_json
from incidentdesk.models import RunEvent, Trigger
from incidentdesk.services.grouping import trigger_process

WORKER_FRAMES = 400  # well past the difference between the web's stack and a Celery worker's


def _frames_deeper(frames: int, call):
    return call() if frames == 0 else _frames_deeper(frames - 1, call)


def _arrays(depth: int) -> bytes:
    return b"[" * depth + b"1" + b"]" * depth


def _generic(extra_depth: int) -> bytes:
    return b'{"service": "checkout-api", "summary": "deep", "extra": ' + _arrays(extra_depth) + b"}"


@pytest.mark.parametrize("frames", [0, WORKER_FRAMES])
def test_the_limit_is_the_same_however_deep_the_caller_s_stack(frames):
    assert _frames_deeper(frames, lambda: load_json(_arrays(MAX_NESTING))) is not None
    with pytest.raises(PayloadError, match=f"more than {MAX_NESTING} levels"):
        _frames_deeper(frames, lambda: load_json(_arrays(MAX_NESTING + 1)))


def test_brackets_inside_strings_do_not_count():
    body = json.dumps({"a": "[" * 500, "b": '\\"[{' * 200, "c": ["]"]}).encode()

    assert load_json(body)["c"] == ["]"]


@pytest.mark.django_db
def test_a_body_nested_past_the_limit_is_refused_with_the_limit_in_its_reason(hooks, catalog):
    # The parser alone takes this depth from the web's stack, and not from a worker's much deeper one.
    response = hooks.post("generic", _generic(900))

    assert response.status_code == 400
    assert f"more than {MAX_NESTING} levels" in response.json()["reason"]
    assert Trigger.objects.get(pk=response.json()["trigger"]).status == Trigger.Status.REJECTED


@pytest.mark.django_db
def test_a_body_the_web_process_took_is_grouped_from_a_deeper_stack(hooks, catalog, monkeypatch):
    monkeypatch.setattr("incidentdesk.services.collection.collection_enqueue", lambda **kw: True)
    response = hooks.post("generic", _generic(MAX_NESTING - 1))
    assert response.status_code == 202
    trigger_id = response.json()["trigger"]

    _frames_deeper(WORKER_FRAMES, lambda: trigger_process(trigger_id=trigger_id))

    assert Trigger.objects.get(pk=trigger_id).status == Trigger.Status.PROCESSED
    assert RunEvent.objects.filter(trigger_id=trigger_id).exists()
