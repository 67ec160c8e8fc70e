"""Every sample scenario, replayed through the analysis, passes its own expectations."""

import json
from pathlib import Path

import pytest

from incidentdesk.analysis.packet import build_packet
from incidentdesk.evals.scoring import check_citations, scenario_passed, score_packet
from tests.analysis.scenario_adapter import scenario_inputs

SCENARIOS = sorted(Path("/work/shared/scenarios").glob("*.json"))


def packet_for(path: Path) -> tuple[dict, dict]:
    scenario = json.loads(path.read_text())
    run, catalog, evidence, gaps = scenario_inputs(scenario)
    return scenario, build_packet(run=run, catalog=catalog, evidence=evidence, gaps=gaps)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_sample_scenario_packet_meets_its_expectations(path: Path) -> None:
    scenario, packet = packet_for(path)
    results = score_packet(packet, scenario["expect"])
    failed = [f"{r.name}: {r.detail}" for r in results if not r.passed]
    assert scenario_passed(results), failed


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_citation_in_a_scenario_packet_resolves_to_listed_evidence(path: Path) -> None:
    _, packet = packet_for(path)
    assert check_citations(packet).passed, check_citations(packet).detail
    listed = {e["id"] for e in packet["evidence"]}
    cited = {
        i
        for key in ("signals", "next_actions", "conflicts")
        for entry in packet[key]
        for i in entry["evidence"]
    }
    cited |= {i for h in packet["hypotheses"] for i in h["evidence"] + h["against"]}
    assert cited <= listed
    # and nothing is listed that is not cited
    assert listed <= cited


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_production_changes_only_appear_under_requires_approval(path: Path) -> None:
    _, packet = packet_for(path)
    assert {a["action"] for a in packet["allowed_actions"]} == {"post_summary", "create_ticket"}
    assert all(a["done"] is False for a in packet["allowed_actions"])
    for item in packet["requires_approval"]:
        assert item["action"] in {"rollback", "scale", "status_update", "flag_toggle", "restart"}
        assert item["safe"] or item["reason"]


def test_text_starts_with_the_four_fixed_lines() -> None:
    _, packet = packet_for(SCENARIOS[0])
    lines = packet["text"].splitlines()
    assert lines[0] == "Incident packet"
    assert lines[1] == f"Service: {packet['service']}"
    assert lines[2] == f"Severity: {packet['severity']} candidate"
    assert lines[3].startswith("First seen: ") and lines[3].endswith(" UTC")
