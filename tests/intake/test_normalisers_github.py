import json
from datetime import UTC, datetime

import pytest

from incidentdesk.intake.events import PayloadError
from incidentdesk.intake.normalisers import normalise
from incidentdesk.intake.normalisers.fields import body_digest
from tests.intake.vendor_payloads import encode, load, load_parsed


def test_a_failed_deployment_opens_a_run_for_the_repository():
    headers, body = load("github/deployment_status_failure")
    delivery = normalise("github", headers, body)
    event = delivery.events[0]

    assert delivery.delivery_id == f"deployment_status:{json.loads(body)['deployment_status']['id']}"
    assert event.kind == "trigger"
    assert event.vendor_key == "github:example/inventory-api:deployment:2011998877"
    assert event.service_name == "example/inventory-api"
    assert event.title == "example/inventory-api: deployment to production failed"
    assert event.symptoms == ("Health checks failed on 4/8 pods",)
    assert event.links == ("https://github.com/example/inventory-api/actions/runs/9912345678",)
    assert event.occurred_at == datetime(2025, 6, 5, 10, 2, 11, tzinfo=UTC)
    assert event.attributes["deployment_id"] == "2011998877"
    assert event.attributes["sha"] == "4c1f9e2b7a6d5c3e8f0a1b2c3d4e5f60718293a4"
    assert event.attributes["environment"] == "production"


def test_a_redelivery_keeps_the_delivery_id():
    headers, body = load("github/deployment_status_failure")

    first = normalise("github", headers, body)
    redelivered = normalise("github", dict(headers), body)

    assert redelivered.delivery_id == first.delivery_id


def test_the_deployment_succeeding_afterwards_resolves_the_same_vendor_key():
    failed = normalise("github", *load("github/deployment_status_failure")).events[0]
    succeeded = normalise("github", *load("github/deployment_status_success")).events[0]

    assert succeeded.kind == "resolve"
    assert succeeded.vendor_key == failed.vendor_key


@pytest.mark.parametrize(
    ("state", "kind"),
    [
        ("error", "trigger"),
        ("pending", "ignore"),
        ("queued", "ignore"),
        ("in_progress", "ignore"),
        ("inactive", "ignore"),
    ],
)
def test_the_deployment_state_decides_the_kind(state, kind):
    headers, payload = load_parsed("github/deployment_status_failure")
    payload["deployment_status"]["state"] = state

    assert normalise("github", headers, encode(payload)).events[0].kind == kind


def test_a_failed_workflow_run_opens_a_run_keyed_on_the_workflow_run():
    event = normalise("github", *load("github/workflow_run_failure")).events[0]

    assert event.kind == "trigger"
    assert event.vendor_key == "github:example/inventory-api:workflow:9912345678"
    assert event.service_name == "example/inventory-api"
    assert event.title == "example/inventory-api: CI failure on main"
    assert event.links == ("https://github.com/example/inventory-api/actions/runs/9912345678",)


@pytest.mark.parametrize("conclusion", ["timed_out", "startup_failure"])
def test_other_failed_conclusions_are_triggers(conclusion):
    headers, payload = load_parsed("github/workflow_run_failure")
    payload["workflow_run"]["conclusion"] = conclusion

    assert normalise("github", headers, encode(payload)).events[0].kind == "trigger"


def test_a_successful_re_run_resolves_the_failed_workflow_run():
    failed = normalise("github", *load("github/workflow_run_failure")).events[0]
    rerun = normalise("github", *load("github/workflow_run_rerun_success")).events[0]

    assert rerun.kind == "resolve"
    assert rerun.vendor_key == failed.vendor_key


def test_a_first_attempt_that_succeeds_follows_nothing_and_is_ignored():
    headers, payload = load_parsed("github/workflow_run_rerun_success")
    payload["workflow_run"]["run_attempt"] = 1

    assert normalise("github", headers, encode(payload)).events[0].kind == "ignore"


@pytest.mark.parametrize("conclusion", ["cancelled", "skipped", "neutral", "action_required"])
def test_inconclusive_conclusions_are_ignored(conclusion):
    headers, payload = load_parsed("github/workflow_run_failure")
    payload["workflow_run"]["conclusion"] = conclusion

    assert normalise("github", headers, encode(payload)).events[0].kind == "ignore"


def test_a_workflow_run_in_progress_is_ignored():
    assert normalise("github", *load("github/workflow_run_in_progress")).events[0].kind == "ignore"


def test_other_github_events_carry_nothing():
    headers = {"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-1"}

    body = encode({"zen": "Design for failure.", "hook_id": 1})
    delivery = normalise("github", headers, body)

    assert delivery.events == ()
    assert delivery.delivery_id == body_digest(body)  # the unsigned X-GitHub-Delivery is not trusted


def test_the_event_is_inferred_from_the_body_when_its_header_is_missing():
    headers, body = load("github/deployment_status_failure")
    del headers["X-GitHub-Event"]

    assert normalise("github", headers, body).events[0].kind == "trigger"


def test_a_body_that_is_no_known_event_without_the_header_is_rejected():
    with pytest.raises(PayloadError, match="missing X-GitHub-Event header"):
        normalise("github", {}, encode({"action": "opened"}))


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (("repository",), "repository"),
        (("deployment", "id"), "deployment.id"),
        (("deployment_status", "state"), "deployment_status.state"),
    ],
)
def test_it_names_the_missing_required_field(path, reason):
    headers, payload = load_parsed("github/deployment_status_failure")
    container = payload
    for key in path[:-1]:
        container = container[key]
    del container[path[-1]]

    with pytest.raises(PayloadError, match=reason):
        normalise("github", headers, encode(payload))
