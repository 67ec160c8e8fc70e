"""A run exported as a scenario replays to the same packet: the team's own incidents as evals."""

import io
import json
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from incidentdesk.causes import Cause
from incidentdesk.evals.scoring import score_packet
from incidentdesk.models import Run, RunEvent
from incidentdesk.replay.export import scenario_export
from incidentdesk.replay.harness import replay_scenario
from incidentdesk.replay.isolation import reset_between_scenarios
from incidentdesk.replay.scenario import scenario_check, scenario_load
from incidentdesk.services.resolution import Impact, cause_confirm

pytestmark = pytest.mark.django_db(transaction=True)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
# Chosen for their shapes: sources that failed, every trigger format, a runbook, a flag, PII.
NAMES = sorted(p.stem for p in SCENARIOS.glob("*.json"))


def _without_ids(packet: dict) -> dict:
    """The packet with the desk's own ids numbered by order of appearance: the run's, the
    evidence rows', and the refs a replay makes up for log lines (from their position and text)."""
    evidence = packet.get("evidence") or []
    names = {e["id"]: f"E#{n}" for n, e in enumerate(evidence)}
    lines = {e["ref"]: f"L#{n}" for n, e in enumerate(x for x in evidence if x.get("source") == "logs")}
    text = re.sub(r"\bE\d+\b", lambda m: names.get(m.group(0), m.group(0)), json.dumps(packet))
    for ref, name in lines.items():
        text = text.replace(json.dumps(ref)[1:-1], name)
    return {k: v for k, v in json.loads(text).items() if k != "run_id"}


def _replayed_run(scenario: dict) -> tuple[dict, Run]:
    packet = replay_scenario(scenario)
    return packet, Run.objects.get(pk=packet["run_id"])


@pytest.mark.parametrize("name", NAMES[:: max(1, len(NAMES) // 12)])
def test_an_exported_run_replays_to_the_same_packet(name, monkeypatch):
    monkeypatch.setattr("incidentdesk.replay.isolation.is_isolated", lambda: True)
    original, run = _replayed_run(scenario_load(SCENARIOS / f"{name}.json"))
    exported = scenario_export(run)
    scenario_check(exported)

    reset_between_scenarios()
    again, _ = _replayed_run(json.loads(json.dumps(exported)))

    assert _without_ids(again) == _without_ids(original)


def test_gaps_and_failures_survive_the_round_trip(monkeypatch):
    monkeypatch.setattr("incidentdesk.replay.isolation.is_isolated", lambda: True)
    scenario = scenario_load(SCENARIOS / f"{NAMES[0]}.json")
    scenario["sources"]["unavailable"] = {"logs": "timeout", "errors": "rate_limited", "runbooks": "not_configured"}
    original, run = _replayed_run(scenario)
    exported = scenario_export(run)

    assert exported["sources"]["unavailable"] == {"errors": "rate_limited", "logs": "timeout",
                                                  "runbooks": "not_configured"}
    assert "logs" not in exported["sources"] or exported["sources"]["logs"] == []
    reset_between_scenarios()
    again, _ = _replayed_run(exported)
    assert again["gaps"] == original["gaps"]
    assert {"source": "runbooks", "reason": "not_configured"} in [
        {k: g[k] for k in ("source", "reason")} for g in again["gaps"]]


def test_the_export_carries_what_the_desk_kept_and_no_signature(monkeypatch):
    monkeypatch.setattr("incidentdesk.replay.isolation.is_isolated", lambda: True)
    scenario = scenario_load(SCENARIOS / f"{NAMES[0]}.json")
    packet, run = _replayed_run(scenario)
    exported = scenario_export(run)
    trigger = RunEvent.objects.filter(run=run).select_related("trigger").first().trigger

    assert exported["now"] == trigger.received_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert exported["trigger"]["source"] == scenario["trigger"]["source"]
    assert not any("signature" in k.lower() for k in exported["trigger"]["headers"])
    assert {s["name"] for s in exported["catalog"]["services"]} >= {packet["service"]}
    assert exported["expect"] == {"service": packet["service"], "severity": packet["severity"],
                                  "owner": packet["owner"]["team"]}
    stored = sum(len(v) for k, v in exported["sources"].items() if k not in ("unavailable", "runbooks"))
    assert stored == run.evidence.exclude(source="runbooks").count()


def test_the_command_writes_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr("incidentdesk.replay.isolation.is_isolated", lambda: True)
    _, run = _replayed_run(scenario_load(SCENARIOS / f"{NAMES[0]}.json"))
    out = tmp_path / "run.json"
    call_command("export_scenario", str(run.pk), "--out", str(out), stderr=io.StringIO())
    assert scenario_load(out)["name"] == f"run-{run.pk}"


def test_the_cause_responders_confirmed_becomes_the_scenarios_expectation(monkeypatch):
    monkeypatch.setattr("incidentdesk.replay.isolation.is_isolated", lambda: True)
    scenario = next(s for s in map(lambda n: scenario_load(SCENARIOS / f"{n}.json"), NAMES)
                    if (s.get("expect", {}).get("top_cause") or {}).get("kind") == "deploy")
    packet, run = _replayed_run(scenario)
    first = packet["hypotheses"][0]
    oncall = get_user_model().objects.get(username=run.current_oncall)
    cause_confirm(run=run, user=oncall, cause=Cause(first["kind"], first.get("ref") or "", "the deploy"),
                  impact=Impact(customers_affected=True, minutes=30))

    exported = scenario_export(Run.objects.get(pk=run.pk))
    assert exported["expect"]["top_cause"] == {"kind": first["kind"], "ref": first["ref"]}
    reset_between_scenarios()
    again, _ = _replayed_run(exported)
    assert all(check.passed for check in score_packet(again, exported["expect"])), score_packet(again, exported["expect"])
