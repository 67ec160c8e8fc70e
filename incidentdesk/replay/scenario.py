"""Reading and checking a scenario file (SCENARIO.md) before anything is replayed."""

import json
from datetime import datetime
from pathlib import Path

FORMAT = "incidentdesk.scenario/v1"
TRIGGER_SOURCES = ("pagerduty", "datadog", "sentry", "slack", "github", "alertmanager", "generic")


class ScenarioError(ValueError):
    """The scenario cannot be replayed; the message is one line saying why."""


def parse_time(value: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ScenarioError(f"{what} is not an ISO 8601 time: {value!r}") from exc
    if moment.tzinfo is None:
        raise ScenarioError(f"{what} has no time zone: {value!r}")
    return moment


def scenario_load(path: Path) -> dict:
    try:
        scenario = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: not JSON: {exc}") from exc
    try:
        scenario_check(scenario)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from exc
    return scenario


def scenario_check(scenario) -> None:
    if not isinstance(scenario, dict):
        raise ScenarioError("a scenario is a JSON object")
    if scenario.get("format") != FORMAT:
        raise ScenarioError(f"format must be {FORMAT!r}, found {scenario.get('format')!r}")
    parse_time(scenario.get("now"), "now")
    trigger = scenario.get("trigger")
    if not isinstance(trigger, dict) or trigger.get("source") not in TRIGGER_SOURCES:
        raise ScenarioError(f"trigger.source must be one of {', '.join(TRIGGER_SOURCES)}")
    if "body" not in trigger:
        raise ScenarioError("trigger has no body")
    if not isinstance(trigger.get("headers", {}), dict):
        raise ScenarioError("trigger.headers must be an object")
    catalog = scenario.get("catalog")
    if not isinstance(catalog, dict) or not isinstance(catalog.get("services"), list):
        raise ScenarioError("catalog must hold a services list")
    sources = scenario.get("sources", {})
    if not isinstance(sources, dict):
        raise ScenarioError("sources must be an object")
