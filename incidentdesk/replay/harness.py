"""Replaying a scenario through the production pipeline: webhook view, collectors, analysis.

The clock is frozen at the scenario's `now`; every source is answered by the replay backend.
"""

import os
from contextlib import contextmanager

from django.test import Client

from collectors.registry import backend
from collectors.replay import replay_backend
from incidentdesk import clock
from incidentdesk.celery import app
from incidentdesk.models import RunEvent, Trigger
from incidentdesk.replay.scenario import ScenarioError, parse_time, scenario_check
from incidentdesk.replay.signing import body_bytes, new_secret, sign
from incidentdesk.services.catalog import CatalogError, catalog_load
from incidentdesk.services.intake import hook_secret_name


@contextmanager
def _env(name: str, value: str):
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def replay_scenario(scenario: dict) -> dict:
    """Replay one scenario and return its packet. Raises ScenarioError when it cannot be replayed."""
    scenario_check(scenario)
    now = parse_time(scenario["now"], "now")
    trigger = scenario["trigger"]
    source = trigger["source"]
    body = body_bytes(source, trigger["body"])
    secret = new_secret()
    headers = {k: str(v) for k, v in (trigger.get("headers") or {}).items()}
    headers.update(sign(source, body, secret, timestamp=int(now.timestamp())))
    content_type = headers.pop("Content-Type", None) or headers.pop("content-type", None) or (
        "application/x-www-form-urlencoded" if isinstance(trigger["body"], str) else "application/json"
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with clock.frozen_at(now), backend(replay_backend(scenario.get("sources") or {})), _env(
            hook_secret_name(source), secret
        ):
            try:
                catalog_load(catalog=scenario["catalog"])
            except CatalogError as exc:
                raise ScenarioError(f"catalog: {exc}") from exc
            response = Client(HTTP_HOST="localhost").post(
                f"/hooks/{source}/", data=body, content_type=content_type, secure=True, headers=headers
            )
    finally:
        app.conf.task_always_eager = eager
    reply = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
    if response.status_code >= 300:
        raise ScenarioError(f"the {source} webhook refused the trigger: {response.status_code} {reply.get('reason', '')}")
    trigger_row = Trigger.objects.filter(pk=reply.get("trigger")).first() if reply.get("trigger") else None
    if trigger_row is None:
        trigger_row = Trigger.objects.filter(source=source).order_by("-pk").first()
    event = RunEvent.objects.filter(trigger=trigger_row).select_related("run").order_by("index").first()
    if event is None:
        raise ScenarioError(f"the trigger opened no run ({trigger_row.reason if trigger_row else 'no trigger'})")
    packet = event.run.packets.order_by("-version").first()
    if packet is None:
        raise ScenarioError("no packet was built")
    return packet.data
