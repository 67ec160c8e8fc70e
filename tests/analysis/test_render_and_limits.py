import time

from incidentdesk.analysis.inputs import EvidenceItem
from incidentdesk.analysis.packet import build_packet, render_text
from incidentdesk.evals.scoring import check_citations, check_structure
from tests.analysis.builders import NOW, Evidence, catalog, run

PACKET = {
    "service": "billing-webhooks",
    "severity": "sev2",
    "first_seen": "2026-03-14T14:03:00Z",
    "signals": [{"text": "Error rate rose from 0.3% to 8.7%", "evidence": ["E1"]}],
    "hypotheses": [],
    "owner": {"team": "payments-platform", "oncall": None, "basis": "catalog"},
    "next_actions": [{"text": "Review parser change in PR 4821", "evidence": ["E2"]}],
    "requires_approval": [
        {"action": "rollback", "target": "d-2", "safe": True, "reason": "code only"},
        {"action": "status_update", "target": "billing-webhooks", "safe": True, "reason": "sev2"},
    ],
    "conflicts": [],
    "gaps": [],
    "data_risk": {"flagged": False, "reason": ""},
}


def test_render_text_follows_the_posted_layout_and_omits_empty_sections() -> None:
    assert render_text(PACKET) == "\n".join(
        [
            "Incident packet",
            "Service: billing-webhooks",
            "Severity: sev2 candidate",
            "First seen: 14:03 UTC",
            "Signals:",
            "- Error rate rose from 0.3% to 8.7%",
            "Likely owner:",
            "- Payments platform",
            "Suggested next action:",
            "- Review parser change in PR 4821",
            "Requires approval:",
            "- Roll back: d-2",
            "- Customer status update: billing-webhooks",
        ]
    )


def test_an_unsafe_rollback_and_gaps_are_spelled_out_in_the_text() -> None:
    packet = {
        **PACKET,
        "requires_approval": [
            {"action": "rollback", "target": "d-9", "safe": False, "reason": "drops a column"}
        ],
        "gaps": [{"source": "logs", "reason": "rate_limited"}],
    }
    text = render_text(packet)
    assert "- Roll back: d-9 (UNSAFE: drops a column)" in text
    assert text.endswith("Gaps:\n- logs: rate limited")


def test_malformed_records_and_an_unknown_service_still_give_a_valid_packet() -> None:
    ev = Evidence()
    ev.add(
        "metrics",
        "m",
        {
            "service": "svc-front",
            "name": "error_rate",
            "points": [["bad", 1], ["2030-01-10T11:00:00Z", None]],
        },
    )
    ev.add("deploys", "d", {"id": "d", "service": "svc-front"})
    ev.add("errors", "e", {"id": "e", "count": "lots", "frames": ["not-a-frame"], "sample": "text"})
    ev.add("feature_flags", "f", {"service": "svc-front"})
    ev.add("logs", "l", {"message": None})
    ev.add("change_calendar", "c", {"uid": "c", "kind": "maintenance"})
    unknown_run = run(service=None, current_owner={"team": "night-shift", "oncall": "z"})
    packet = build_packet(run=unknown_run, catalog=catalog(), evidence=ev.items, gaps=[])
    assert check_structure(packet).passed, check_structure(packet).detail
    assert check_citations(packet).passed
    assert packet["owner"] == {"team": "night-shift", "oncall": "z", "basis": "trigger"}
    assert {"source": "catalog", "reason": "not_found"} in packet["gaps"]


def test_fifty_series_and_twenty_thousand_log_lines_analyse_in_under_a_second() -> None:
    from bench.bench_analysis import make_inputs

    facts, cat, evidence = make_inputs()
    assert len([e for e in evidence if e.source == "logs"]) == 20_000
    best = min(_timed(facts, cat, evidence) for _ in range(3))
    assert best < 1.0


def _timed(facts, cat, evidence: list[EvidenceItem]) -> float:
    start = time.perf_counter()
    build_packet(run=facts, catalog=cat, evidence=evidence, gaps=[])
    return time.perf_counter() - start


def test_first_seen_falls_back_to_the_trigger_time_without_evidence() -> None:
    packet = build_packet(run=run(), catalog=catalog(), evidence=[], gaps=[])
    assert packet["first_seen"] == NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
