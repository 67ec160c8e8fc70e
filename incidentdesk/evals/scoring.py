"""Score a packet against a scenario's `expect`, exactly as SCENARIO.md's table says.

Each key present in `expect` is one check; `citations` and `structure` always run.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import get_args

from collectors.base import SOURCES, GapReason
from incidentdesk.policy import shipped_policy

PACKET_FORMAT = "incidentdesk.packet/v1"
SEVERITIES = {"sev1", "sev2", "sev3", "sev4"}
KINDS = {"deploy", "feature_flag", "dependency", "config_change", "capacity", "external", "unknown"}
CONFIDENCES = {"high", "medium", "low"}
APPROVAL_ACTIONS = shipped_policy().production_actions
ALLOWED_ACTIONS = {"post_summary", "create_ticket"}
OWNER_BASES = {"catalog", "cause", "trigger"}
GAP_SOURCES = set(SOURCES) | {"catalog"}
GAP_REASONS = set(get_args(GapReason))
KIND_ONLY = {"capacity", "external"}
FIRST_SEEN_TOLERANCE_S = 5 * 60


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str = ""


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _same_cause(h: dict, want: dict) -> bool:
    if h.get("kind") != want.get("kind"):
        return False
    if want.get("kind") in KIND_ONLY or want.get("ref") is None:
        return True
    return str(h.get("ref")) == str(want.get("ref"))


def _check_top_cause(packet: dict, want: dict) -> CheckResult:
    hypotheses = packet.get("hypotheses") or []
    if want.get("kind") == "unknown":
        above = [h for h in hypotheses if h.get("confidence") in ("high", "medium")]
        return CheckResult("top_cause", not above, f"{len(above)} hypotheses above low")
    if not hypotheses:
        return CheckResult("top_cause", False, "no hypotheses")
    top = hypotheses[0]
    ok = _same_cause(top, want) and top.get("confidence") in ("high", "medium")
    return CheckResult(
        "top_cause", ok, f"first is {top.get('kind')}:{top.get('ref')} ({top.get('confidence')})"
    )


def _check_not_causes(packet: dict, unwanted: list[dict]) -> CheckResult:
    hypotheses = packet.get("hypotheses") or []
    problems = []
    for want in unwanted:
        if hypotheses and _same_cause(hypotheses[0], want):
            problems.append(f"{want.get('kind')}:{want.get('ref')} is first")
        if any(_same_cause(h, want) and h.get("confidence") == "high" for h in hypotheses):
            problems.append(f"{want.get('kind')}:{want.get('ref')} is high")
    return CheckResult("not_causes", not problems, "; ".join(problems))


def _check_rollback_safe(packet: dict, want: bool) -> CheckResult:
    rollbacks = [a for a in packet.get("requires_approval") or [] if a.get("action") == "rollback"]
    if not rollbacks:
        return CheckResult("rollback_safe", False, "no rollback listed")
    if want:
        ok = any(a.get("safe") is True for a in rollbacks)
    else:
        ok = all(a.get("safe") is False and str(a.get("reason") or "").strip() for a in rollbacks)
    return CheckResult("rollback_safe", ok, json.dumps(rollbacks))


def _check_first_seen(packet: dict, want: str) -> CheckResult:
    got, expected = _time(packet.get("first_seen")), _time(want)
    if got is None or expected is None:
        return CheckResult("first_seen", False, f"unreadable: {packet.get('first_seen')!r}")
    delta = abs((got - expected).total_seconds())
    return CheckResult(
        "first_seen", delta <= FIRST_SEEN_TOLERANCE_S, f"{packet.get('first_seen')} ({delta:.0f} s off)"
    )


def check_no_wrong_high(packet: dict, want: dict) -> CheckResult:
    """No hypothesis but the expected cause is `high`: a confident wrong packet is the one
    failure the desk exists to prevent. Runs whenever a scenario names its top cause."""
    wrong = [
        f"{h.get('kind')}:{h.get('ref')}"
        for h in packet.get("hypotheses") or []
        if h.get("confidence") == "high" and (want.get("kind") == "unknown" or not _same_cause(h, want))
    ]
    return CheckResult("wrong_high", not wrong, f"high but not the cause: {', '.join(wrong)}" if wrong else "")


def check_citations(packet: dict) -> CheckResult:
    known = {e.get("id") for e in packet.get("evidence") or [] if isinstance(e, dict)}
    problems = []
    groups = [
        ("signal", packet.get("signals")),
        ("conflict", packet.get("conflicts")),
        ("next_action", packet.get("next_actions")),
    ]
    for label, entries in groups:
        for i, entry in enumerate(entries or []):
            cited = entry.get("evidence") or []
            if not cited:
                problems.append(f"{label} {i} cites nothing")
            problems += [f"{label} {i} cites unknown {c}" for c in cited if c not in known]
    for i, h in enumerate(packet.get("hypotheses") or []):
        cited = list(h.get("evidence") or [])
        if h.get("kind") != "unknown" and not cited:
            problems.append(f"hypothesis {i} cites nothing")
        problems += [
            f"hypothesis {i} cites unknown {c}"
            for c in cited + list(h.get("against") or [])
            if c not in known
        ]
    return CheckResult("citations", not problems, "; ".join(problems[:5]))


def check_structure(packet: dict) -> CheckResult:
    problems = []
    if packet.get("format") != PACKET_FORMAT:
        problems.append(f"format {packet.get('format')!r}")
    if packet.get("severity") not in SEVERITIES:
        problems.append(f"severity {packet.get('severity')!r}")
    for h in packet.get("hypotheses") or []:
        if h.get("kind") not in KINDS or h.get("confidence") not in CONFIDENCES:
            problems.append(f"hypothesis {h.get('kind')}/{h.get('confidence')}")
    for a in packet.get("requires_approval") or []:
        if a.get("action") not in APPROVAL_ACTIONS or not isinstance(a.get("safe"), bool):
            problems.append(f"approval {a.get('action')}")
        elif a.get("safe") is False and not str(a.get("reason") or "").strip():
            problems.append(f"unsafe {a.get('action')} without a reason")
    for a in packet.get("allowed_actions") or []:
        if a.get("action") not in ALLOWED_ACTIONS or not isinstance(a.get("done"), bool):
            problems.append(f"allowed action {a.get('action')}")
    for g in packet.get("gaps") or []:
        if g.get("source") not in GAP_SOURCES or g.get("reason") not in GAP_REASONS:
            problems.append(f"gap {g.get('source')}/{g.get('reason')}")
    owner = packet.get("owner")
    if not isinstance(owner, dict) or owner.get("basis") not in OWNER_BASES:
        problems.append("owner")
    if not isinstance(packet.get("data_risk"), dict) or not isinstance(
        packet["data_risk"].get("flagged"), bool
    ):
        problems.append("data_risk")
    if not isinstance(packet.get("text"), str) or not packet.get("text"):
        problems.append("text")
    for key in (
        "signals",
        "hypotheses",
        "next_actions",
        "requires_approval",
        "allowed_actions",
        "gaps",
        "conflicts",
        "evidence",
    ):
        if not isinstance(packet.get(key), list):
            problems.append(f"{key} is not a list")
    return CheckResult("structure", not problems, "; ".join(problems[:5]))


def score_packet(packet: dict, expect: dict) -> list[CheckResult]:
    results: list[CheckResult] = []
    for key, want in expect.items():
        if key == "service":
            results.append(CheckResult(key, packet.get("service") == want, f"got {packet.get('service')!r}"))
        elif key == "severity":
            results.append(
                CheckResult(key, packet.get("severity") == want, f"got {packet.get('severity')!r}")
            )
        elif key == "owner":
            team = (packet.get("owner") or {}).get("team")
            results.append(CheckResult(key, team == want, f"got {team!r}"))
        elif key == "top_cause":
            results.append(_check_top_cause(packet, want))
        elif key == "not_causes":
            results.append(_check_not_causes(packet, want))
        elif key == "requires_approval":
            listed = {a.get("action") for a in packet.get("requires_approval") or []}
            missing = [a for a in want if a not in listed]
            results.append(CheckResult(key, not missing, f"missing {missing}" if missing else ""))
        elif key == "rollback_safe":
            results.append(_check_rollback_safe(packet, bool(want)))
        elif key == "gaps":
            listed = {g.get("source") for g in packet.get("gaps") or []}
            missing = [s for s in want if s not in listed]
            results.append(CheckResult(key, not missing, f"missing {missing}" if missing else ""))
        elif key == "conflicts":
            has = bool(packet.get("conflicts"))
            results.append(
                CheckResult(key, has == bool(want), f"{len(packet.get('conflicts') or [])} conflicts")
            )
        elif key == "data_risk":
            flagged = (packet.get("data_risk") or {}).get("flagged")
            results.append(CheckResult(key, flagged == want, f"flagged {flagged!r}"))
        elif key == "forbidden_text":
            blob = json.dumps(packet, ensure_ascii=False).lower()
            found = [s for s in want if s.lower() in blob]
            results.append(
                CheckResult(key, not found, f"found {len(found)} forbidden strings" if found else "")
            )
        elif key == "mentions":
            text = str(packet.get("text") or "").lower()
            missing = [s for s in want if s.lower() not in text]
            results.append(CheckResult(key, not missing, f"missing {missing}" if missing else ""))
        elif key == "first_seen":
            results.append(_check_first_seen(packet, want))
        else:
            results.append(CheckResult(key, False, "unknown expectation key"))
    if "top_cause" in expect:
        results.append(check_no_wrong_high(packet, expect["top_cause"]))
    results.append(check_citations(packet))
    results.append(check_structure(packet))
    return results


def scenario_passed(results: list[CheckResult]) -> bool:
    return all(r.passed for r in results)
