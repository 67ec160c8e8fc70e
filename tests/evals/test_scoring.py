"""Scoring against hand-made packets: each expectation key passes and fails when it should."""

import copy

import pytest

from incidentdesk.evals.scoring import check_citations, check_structure, scenario_passed, score_packet

BASE = {
    "format": "incidentdesk.packet/v1",
    "run_id": "r-1",
    "service": "svc-a",
    "severity": "sev2",
    "severity_basis": "sev2: tier-1 error rate 9% >= 5%",
    "first_seen": "2030-01-01T10:08:00Z",
    "owner": {"team": "team-a", "oncall": "x", "basis": "cause"},
    "current_owner": {"team": "team-a", "oncall": "x"},
    "signals": [{"text": "Error rate rose from 0.3% to 9%", "evidence": ["E1"]}],
    "hypotheses": [
        {
            "kind": "deploy",
            "ref": "d-2",
            "confidence": "high",
            "summary": "s",
            "evidence": ["E2"],
            "against": [],
        },
        {
            "kind": "deploy",
            "ref": "d-1",
            "confidence": "low",
            "summary": "s",
            "evidence": ["E3"],
            "against": ["E3"],
        },
    ],
    "next_actions": [{"text": "Review parser.py change in PR 4821", "evidence": ["E2"]}],
    "requires_approval": [
        {"action": "rollback", "target": "d-2", "safe": True, "reason": "code only"},
        {"action": "status_update", "target": "svc-a", "safe": True, "reason": "sev2"},
    ],
    "allowed_actions": [
        {"action": "post_summary", "done": False},
        {"action": "create_ticket", "done": False},
    ],
    "gaps": [{"source": "runbooks", "reason": "not_found"}],
    "conflicts": [],
    "data_risk": {"flagged": False, "reason": "none"},
    "evidence": [
        {"id": f"E{i}", "source": "logs", "ref": str(i), "summary": "", "url": None, "observed_at": None}
        for i in (1, 2, 3)
    ],
    "text": (
        "Incident packet\nService: svc-a\nSeverity: sev2 candidate\nFirst seen: 10:08 UTC\n- PR 4821 runbook"
    ),
}


def packet(**changes) -> dict:
    p = copy.deepcopy(BASE)
    p.update(changes)
    return p


def check(p: dict, expect: dict, name: str) -> bool:
    return next(r for r in score_packet(p, expect) if r.name == name).passed


@pytest.mark.parametrize(
    ("key", "good", "bad"),
    [
        ("service", "svc-a", "svc-b"),
        ("severity", "sev2", "sev1"),
        ("owner", "team-a", "team-b"),
        ("data_risk", False, True),
        ("conflicts", False, True),
        ("gaps", ["runbooks"], ["logs"]),
        ("requires_approval", ["rollback", "status_update"], ["scale"]),
        ("mentions", ["4821", "RUNBOOK"], ["rollback now"]),
        ("forbidden_text", ["someone@example.com"], ["parser.py"]),
        ("first_seen", "2030-01-01T10:12:59Z", "2030-01-01T10:13:30Z"),
        ("top_cause", {"kind": "deploy", "ref": "d-2"}, {"kind": "deploy", "ref": "d-1"}),
        ("not_causes", [{"kind": "deploy", "ref": "d-1"}], [{"kind": "deploy", "ref": "d-2"}]),
        ("rollback_safe", True, False),
    ],
)
def test_each_expectation_key_passes_and_fails(key: str, good: object, bad: object) -> None:
    assert check(packet(), {key: good}, key)
    assert not check(packet(), {key: bad}, key)


def test_top_cause_needs_high_or_medium_confidence() -> None:
    p = packet()
    p["hypotheses"][0]["confidence"] = "low"
    assert not check(p, {"top_cause": {"kind": "deploy", "ref": "d-2"}}, "top_cause")
    p["hypotheses"][0]["confidence"] = "medium"
    assert check(p, {"top_cause": {"kind": "deploy", "ref": "d-2"}}, "top_cause")


def test_top_cause_unknown_means_nothing_above_low() -> None:
    unknown = [
        {"kind": "unknown", "ref": None, "confidence": "low", "summary": "?", "evidence": [], "against": []}
    ]
    assert check(packet(hypotheses=unknown), {"top_cause": {"kind": "unknown"}}, "top_cause")
    assert check(packet(hypotheses=[]), {"top_cause": {"kind": "unknown"}}, "top_cause")
    assert not check(packet(), {"top_cause": {"kind": "unknown"}}, "top_cause")


def test_capacity_and_external_are_compared_by_kind_only() -> None:
    hypotheses = [
        {
            "kind": "capacity",
            "ref": "svc-z",
            "confidence": "medium",
            "summary": "s",
            "evidence": ["E1"],
            "against": [],
        }
    ]
    assert check(
        packet(hypotheses=hypotheses), {"top_cause": {"kind": "capacity", "ref": "svc-a"}}, "top_cause"
    )


def test_a_not_cause_that_is_high_but_not_first_still_fails() -> None:
    p = packet()
    p["hypotheses"][1]["confidence"] = "high"
    assert not check(p, {"not_causes": [{"kind": "deploy", "ref": "d-1"}]}, "not_causes")


def test_refs_are_compared_as_strings() -> None:
    p = packet()
    p["hypotheses"][0]["ref"] = "1849204711"
    assert check(p, {"top_cause": {"kind": "deploy", "ref": 1849204711}}, "top_cause")


def test_rollback_safe_false_needs_every_rollback_unsafe_with_a_reason() -> None:
    unsafe = [{"action": "rollback", "target": "d-2", "safe": False, "reason": "drops a column"}]
    assert check(packet(requires_approval=unsafe), {"rollback_safe": False}, "rollback_safe")
    unsafe[0]["reason"] = ""
    assert not check(packet(requires_approval=unsafe), {"rollback_safe": False}, "rollback_safe")
    mixed = [
        {"action": "rollback", "target": "d-2", "safe": False, "reason": "x"},
        {"action": "rollback", "target": "d-3", "safe": True, "reason": "y"},
    ]
    assert check(packet(requires_approval=mixed), {"rollback_safe": True}, "rollback_safe")
    assert not check(packet(requires_approval=mixed), {"rollback_safe": False}, "rollback_safe")
    assert not check(packet(requires_approval=[]), {"rollback_safe": True}, "rollback_safe")


def test_mentions_read_only_the_text_and_forbidden_text_reads_the_whole_packet() -> None:
    p = packet()
    p["signals"][0]["text"] = "leaked someone@example.com"
    assert not check(p, {"forbidden_text": ["SOMEONE@example.com"]}, "forbidden_text")
    assert not check(p, {"mentions": ["someone@example.com"]}, "mentions")


def test_citations_fail_for_an_unknown_id_or_an_uncited_claim() -> None:
    assert check_citations(packet()).passed
    p = packet()
    p["next_actions"][0]["evidence"] = ["E99"]
    assert not check_citations(p).passed
    p = packet()
    p["signals"][0]["evidence"] = []
    assert not check_citations(p).passed
    p = packet()
    p["hypotheses"][0]["evidence"] = []
    assert not check_citations(p).passed
    p = packet()
    p["hypotheses"][1]["against"] = ["E42"]
    assert not check_citations(p).passed


def test_an_unknown_hypothesis_may_cite_nothing() -> None:
    unknown = [
        {"kind": "unknown", "ref": None, "confidence": "low", "summary": "?", "evidence": [], "against": []}
    ]
    assert check_citations(packet(hypotheses=unknown)).passed


@pytest.mark.parametrize(
    "change",
    [
        {"format": "incidentdesk.packet/v2"},
        {"severity": "sev5"},
        {"owner": {"team": "t", "oncall": "x", "basis": "guess"}},
        {"gaps": [{"source": "logs", "reason": "sleepy"}]},
        {"requires_approval": [{"action": "delete_db", "target": "x", "safe": True, "reason": ""}]},
        {"requires_approval": [{"action": "rollback", "target": "x", "safe": False, "reason": ""}]},
        {"allowed_actions": [{"action": "rollback", "done": False}]},
        {
            "hypotheses": [
                {
                    "kind": "astrology",
                    "ref": None,
                    "confidence": "low",
                    "summary": "",
                    "evidence": ["E1"],
                    "against": [],
                }
            ]
        },
        {"data_risk": {"flagged": "maybe"}},
    ],
)
def test_structure_rejects_values_outside_the_enumerations(change: dict) -> None:
    assert check_structure(packet()).passed
    assert not check_structure(packet(**change)).passed


def test_a_scenario_passes_only_when_every_check_passes() -> None:
    assert scenario_passed(score_packet(packet(), {"service": "svc-a", "severity": "sev2"}))
    assert not scenario_passed(score_packet(packet(), {"service": "svc-a", "severity": "sev3"}))
    assert not scenario_passed(score_packet(packet(format="x"), {}))
    names = [r.name for r in score_packet(packet(), {"service": "svc-a"})]
    assert names == ["service", "citations", "structure"]


def test_a_high_hypothesis_that_is_not_the_expected_cause_is_a_wrong_high() -> None:
    from incidentdesk.evals.scoring import check_no_wrong_high

    packet = {"hypotheses": [
        {"kind": "config_change", "ref": "CHG-1", "confidence": "high"},
        {"kind": "dependency", "ref": "svc-mid", "confidence": "high"},
    ]}
    result = check_no_wrong_high(packet, {"kind": "config_change", "ref": "CHG-1"})
    assert not result.passed and "dependency:svc-mid" in result.detail
    packet["hypotheses"][1]["confidence"] = "medium"
    assert check_no_wrong_high(packet, {"kind": "config_change", "ref": "CHG-1"}).passed
    # When the honest answer is "not known yet", nothing may be high.
    assert not check_no_wrong_high(packet, {"kind": "unknown"}).passed
