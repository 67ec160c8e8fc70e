"""Every replay scenario file keeps the format of SCENARIO.md.

Covers the scenarios in this directory and, when the shared checkout sits beside
the repository, the sample scenarios in ``../shared/scenarios``.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collectors.base import SOURCES as SOURCE_NAMES

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SHARED = REPO_ROOT.parent / "shared" / "scenarios"

FORMAT = "incidentdesk.scenario/v1"
TRIGGER_SOURCES = {"pagerduty", "datadog", "sentry", "slack", "github", "alertmanager", "generic"}
SOURCES = set(SOURCE_NAMES)
UNAVAILABLE_REASONS = {"timeout", "error", "rate_limited", "malformed"}
GAP_SOURCES = SOURCES | {"catalog"}
EXPECT_KEYS = {
    "service",
    "severity",
    "owner",
    "top_cause",
    "not_causes",
    "requires_approval",
    "rollback_safe",
    "gaps",
    "conflicts",
    "data_risk",
    "forbidden_text",
    "mentions",
    "first_seen",
}
SEVERITIES = {"sev1", "sev2", "sev3", "sev4"}
KINDS = {"deploy", "feature_flag", "dependency", "config_change", "capacity", "external", "unknown"}
ACTIONS = {"rollback", "scale", "status_update", "flag_toggle", "restart"}
METRIC_NAMES = {"error_rate", "latency_p99_ms", "requests_per_s", "saturation"}
FRACTION_METRICS = {"error_rate", "saturation"}
METRIC_SOURCES = {"datadog", "prometheus"}
DEPLOY_STATUSES = {"success", "failure", "in_progress", "rolled_back"}
MONITOR_STATUSES = {"ok", "warn", "alert", "no_data"}
LOG_LEVELS = {"debug", "info", "warning", "error", "critical"}
CALENDAR_KINDS = {"freeze", "maintenance", "migration", "release"}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


def scenario_paths() -> list[Path]:
    paths = sorted(HERE.glob("*.json"))
    if SHARED.is_dir():
        paths += sorted(SHARED.glob("*.json"))
    return paths


PATHS = scenario_paths()


def path_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def parse_time(value: Any) -> datetime:
    assert isinstance(value, str) and ISO_UTC.match(value), f"not an ISO 8601 UTC time: {value!r}"
    return datetime.fromisoformat(value)


def items(doc: dict[str, Any], source: str) -> list[dict[str, Any]]:
    return doc["sources"].get(source, [])


def referenced_services(doc: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for source in ("deploys", "metrics", "monitors", "logs", "errors", "feature_flags", "incidents"):
        names |= {item["service"] for item in items(doc, source)}
    for event in items(doc, "change_calendar"):
        names |= set(event["services"])
    for service in doc["catalog"]["services"]:
        names |= set(service["depends_on"])
    expect = doc["expect"]
    if "service" in expect:
        names.add(expect["service"])
    for cause in [expect.get("top_cause")] + list(expect.get("not_causes", [])):
        if cause and cause["kind"] == "dependency" and cause.get("ref"):
            names.add(cause["ref"])
    return names


def test_there_are_scenarios_for_every_case() -> None:
    ours = [path.stem for path in HERE.glob("*.json")]
    cases = (
        "no-deploy",
        "several-deploys",
        "log-spike",
        "dependency",
        "missing-runbook",
        "conflicting",
        "data-exposure",
        "unsafe-rollback",
    )
    for case in cases:
        assert sum(1 for stem in ours if re.match(rf"^{case}-\d+-", stem)) >= 3, case


@pytest.mark.parametrize("path", PATHS, ids=path_id)
def test_it_parses_and_has_the_format_string(path: Path) -> None:
    doc = load(path)
    assert doc["format"] == FORMAT
    assert doc["name"] == path.stem
    assert isinstance(doc["description"], str) and doc["description"].strip()
    assert set(doc) >= {"now", "trigger", "catalog", "sources", "expect"}


@pytest.mark.parametrize("path", PATHS, ids=path_id)
def test_every_time_is_iso_8601_utc(path: Path) -> None:
    doc = load(path)
    now = parse_time(doc["now"])
    for deploy in items(doc, "deploys"):
        started = parse_time(deploy["started_at"])
        if deploy["finished_at"] is not None:
            assert parse_time(deploy["finished_at"]) >= started, deploy["id"]
    for pull in items(doc, "pull_requests"):
        parse_time(pull["merged_at"])
    for monitor in items(doc, "monitors"):
        assert parse_time(monitor["last_changed"]) <= now, monitor["name"]
    for line in items(doc, "logs"):
        parse_time(line["ts"])
    for error in items(doc, "errors"):
        assert parse_time(error["first_seen"]) <= parse_time(error["last_seen"]), error["id"]
    for flag in items(doc, "feature_flags"):
        parse_time(flag["changed_at"])
    for incident in items(doc, "incidents"):
        opened = parse_time(incident["opened_at"])
        if incident["resolved_at"] is not None:
            assert parse_time(incident["resolved_at"]) >= opened, incident["id"]
    for event in items(doc, "change_calendar"):
        assert parse_time(event["end"]) >= parse_time(event["start"]), event["uid"]
    if "first_seen" in doc["expect"]:
        assert parse_time(doc["expect"]["first_seen"]) <= now


@pytest.mark.parametrize("path", PATHS, ids=path_id)
def test_every_service_and_team_is_in_the_catalog(path: Path) -> None:
    doc = load(path)
    catalog = doc["catalog"]
    teams = {team["name"] for team in catalog["teams"]}
    services = {service["name"] for service in catalog["services"]}
    assert len(services) == len(catalog["services"]), "duplicate service names"
    for team in catalog["teams"]:
        assert team["oncall"] in team["members"], team["name"]
    for service in catalog["services"]:
        assert service["team"] in teams, service["name"]
        assert service["tier"] in (1, 2, 3), service["name"]
    missing = referenced_services(doc) - services
    assert not missing, f"services not in the catalog: {sorted(missing)}"
    if "owner" in doc["expect"]:
        assert doc["expect"]["owner"] in teams


@pytest.mark.parametrize("path", PATHS, ids=path_id)
def test_the_trigger_comes_from_a_known_source(path: Path) -> None:
    trigger = load(path)["trigger"]
    assert trigger["source"] in TRIGGER_SOURCES
    assert isinstance(trigger.get("headers", {}), dict)
    if trigger["source"] == "slack" and trigger.get("headers", {}).get("Content-Type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        assert isinstance(trigger["body"], str) and "command=" in trigger["body"]
    else:
        assert isinstance(trigger["body"], dict)


@pytest.mark.parametrize("path", PATHS, ids=path_id)
def test_sources_use_the_known_names_and_enumerations(path: Path) -> None:
    doc = load(path)
    sources = doc["sources"]
    assert set(sources) <= SOURCES | {"unavailable"}
    for source, reason in sources.get("unavailable", {}).items():
        assert source in SOURCES, source
        assert reason in UNAVAILABLE_REASONS, reason
    assert {d["status"] for d in items(doc, "deploys")} <= DEPLOY_STATUSES
    assert {m["status"] for m in items(doc, "monitors")} <= MONITOR_STATUSES
    assert {line["level"] for line in items(doc, "logs")} <= LOG_LEVELS
    assert {event["kind"] for event in items(doc, "change_calendar")} <= CALENDAR_KINDS
    assert isinstance(sources.get("runbooks", {}), dict)


@pytest.mark.parametrize("path", PATHS, ids=path_id)
def test_metrics_have_allowed_names_units_and_regular_steps(path: Path) -> None:
    for metric in items(load(path), "metrics"):
        label = f"{metric['service']}/{metric['name']}"
        assert metric["name"] in METRIC_NAMES, label
        assert metric["source"] in METRIC_SOURCES, label
        step = metric["step_seconds"]
        assert isinstance(step, int) and step > 0, label
        times = [parse_time(moment) for moment, _ in metric["points"]]
        assert all(b - a == timedelta(seconds=step) for a, b in itertools.pairwise(times)), label
        values = [value for _, value in metric["points"]]
        assert all(isinstance(v, (int, float)) and v >= 0 for v in values), label
        if metric["name"] in FRACTION_METRICS:
            assert max(values) <= 1.0, f"{label} must be a fraction"


@pytest.mark.parametrize("path", PATHS, ids=path_id)
def test_expect_uses_only_the_keys_and_values_of_the_table(path: Path) -> None:
    doc = load(path)
    expect = doc["expect"]
    assert set(expect) <= EXPECT_KEYS, sorted(set(expect) - EXPECT_KEYS)
    if "severity" in expect:
        assert expect["severity"] in SEVERITIES
    for cause in [expect.get("top_cause")] + list(expect.get("not_causes", [])):
        if cause is None:
            continue
        assert set(cause) <= {"kind", "ref"}
        assert cause["kind"] in KINDS
    assert set(expect.get("requires_approval", [])) <= ACTIONS
    assert set(expect.get("gaps", [])) <= GAP_SOURCES
    for key in ("rollback_safe", "conflicts", "data_risk"):
        if key in expect:
            assert isinstance(expect[key], bool), key
    for key in ("forbidden_text", "mentions"):
        assert all(isinstance(text, str) and text for text in expect.get(key, [])), key


@pytest.mark.parametrize("path", [p for p in PATHS if p.parent == HERE], ids=path_id)
def test_expected_refs_point_at_evidence_in_the_scenario(path: Path) -> None:
    doc = load(path)
    expect = doc["expect"]
    unavailable = doc["sources"].get("unavailable", {})
    known = {
        "deploy": {d["id"] for d in items(doc, "deploys")},
        "feature_flag": {f["key"] for f in items(doc, "feature_flags")},
        "config_change": {e["uid"] for e in items(doc, "change_calendar")},
    }
    source_of = {"deploy": "deploys", "feature_flag": "feature_flags", "config_change": "change_calendar"}
    for cause in [expect.get("top_cause")] + list(expect.get("not_causes", [])):
        # A ref is optional ("this kind, and ref when given"): a change seen only in logs has none.
        if cause and cause.get("ref") is not None and cause["kind"] in known and source_of[cause["kind"]] not in unavailable:
            assert cause.get("ref") in known[cause["kind"]], cause
    for source in unavailable:
        assert source not in doc["sources"], f"{source} is unavailable but also answered"
    # Each forbidden value must really be in the evidence (spacing aside: "4111 1111 ..." vs "41111111...").
    haystack = (json.dumps(doc["sources"]) + json.dumps(doc["trigger"])).lower().replace(" ", "")
    for forbidden in expect.get("forbidden_text", []):
        assert forbidden.lower().replace(" ", "") in haystack, forbidden
