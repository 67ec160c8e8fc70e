"""Entry point: evidence in, `incidentdesk.packet/v1` out. Pure: no ORM, no network."""

import json
import re

from incidentdesk.analysis.actions import build_approvals, build_next_actions
from incidentdesk.analysis.catalog import team_of, tier_of
from incidentdesk.analysis.conflicts import build_conflicts
from incidentdesk.analysis.content import change_name
from incidentdesk.analysis.datarisk import assess_data_risk
from incidentdesk.analysis.findings import Findings, read_findings
from incidentdesk.analysis.hypotheses import build_hypotheses
from incidentdesk.analysis.hypothesis import CONFIDENCE_RANK, Hypothesis
from incidentdesk.analysis.inputs import EvidenceItem, Gap, RunFacts
from incidentdesk.analysis.render import render_text
from incidentdesk.analysis.reports import describe, report_items, reports_impact
from incidentdesk.analysis.runbooks import runbook_for
from incidentdesk.analysis.severity import (
    SeverityInput,
    measure,
    severity_candidate,
    shortfall,
)
from incidentdesk.analysis.signals import build_signals
from incidentdesk.analysis.timeutil import iso_z, parse_time
from incidentdesk.policy import SeverityRules, shipped_policy

__all__ = ["build_packet", "render_text"]

PACKET_FORMAT = "incidentdesk.packet/v1"
SUMMARY_LIMIT = 160
# Collected evidence is redacted upstream; this second pass only guards the packet
# against obvious leftovers (an address, a bearer token, a card-length number).
_LEFTOVERS = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[REDACTED:email]"),
    (re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}\b"), "[REDACTED:token]"),
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), "[REDACTED:card]"),
    (re.compile(r"(?i)\bbearer\s+[\w.~+/-]{16,}=*"), "Bearer [REDACTED:token]"),
)


def scrub(text: str) -> str:
    for pattern, marker in _LEFTOVERS:
        text = pattern.sub(marker, text)
    return text


def _summary(item: EvidenceItem) -> str:
    d = item.data
    source = item.source
    if source == "deploys":
        text = f"Deploy {d.get('id')} of {d.get('service')} ({d.get('status')}), {d.get('description') or ''}"
    elif source == "pull_requests":
        files = ", ".join(str(f.get("path")) for f in (d.get("files") or [])[:3])
        text = f"{change_name(d)} {d.get('title')}: {files}"
    elif source == "metrics":
        text = f"{d.get('service')} {d.get('name')} ({d.get('source')}, {len(d.get('points') or [])} points)"
    elif source == "monitors":
        text = f"Monitor '{d.get('name')}' is {d.get('status')} since {d.get('last_changed')}"
    elif source == "logs":
        text = f"{d.get('service')} {d.get('level')}: {d.get('message')}"
    elif source == "errors":
        text = f"{d.get('service')} error {d.get('title')} ({d.get('count')} events,"
        text += f" first {d.get('first_seen')})"
    elif source == "feature_flags":
        text = (
            f"Flag {d.get('key')} {json.dumps(d.get('from'))} -> {json.dumps(d.get('to'))}"
            f" by {d.get('actor')}"
            f" in {d.get('environment')}"
        )
    elif source == "runbooks":
        text = f"Runbook {d.get('key') or item.ref}"
    elif source == "change_calendar":
        text = f"{d.get('kind')}: {d.get('title')} {d.get('start')} - {d.get('end')}"
    elif source == "incidents":
        text = f"Past incident {d.get('id')}: {d.get('title')}"
    elif source == "trigger":
        text = f"{d.get('source')} trigger: {d.get('title')}"
        if d.get("count") is not None:
            text += f" ({d['count']:g}" + (f" against {d['baseline']:g}" if d.get("baseline") else "") + ")"
    else:
        text = str(item.ref)
    text = scrub(" ".join(text.split()))
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"


def _observed_at(item: EvidenceItem) -> str | None:
    if item.observed_at:
        return iso_z(item.observed_at)
    d = item.data
    if item.source == "metrics" and d.get("points"):
        last = d["points"][-1]
        return iso_z(parse_time(last[0])) if isinstance(last, list | tuple) and last else None
    for key in (
        "ts",
        "finished_at",
        "started_at",
        "changed_at",
        "last_seen",
        "last_changed",
        "merged_at",
        "start",
        "opened_at",
    ):
        when = parse_time(d.get(key)) if isinstance(d.get(key), str) else None
        if when:
            return iso_z(when)
    return None


def _evidence_entries(findings: Findings, cited: list[str]) -> list[dict]:
    out = []
    for item_id in dict.fromkeys(cited):
        item = findings.items.get(item_id)
        if item is None:
            continue
        out.append(
            {
                "id": item.id,
                "source": item.source,
                "ref": str(item.ref),
                "summary": _summary(item),
                "url": item.url,
                "observed_at": _observed_at(item),
            }
        )
    return out


def _owner(findings: Findings, top: Hypothesis | None) -> dict:
    run = findings.run
    if top and top.kind != "unknown" and CONFIDENCE_RANK[top.confidence] >= 2 and top.service:
        team = team_of(findings.catalog, top.service)
        if team:
            return {"team": team.get("name"), "oncall": team.get("oncall"), "basis": "cause"}
    team = team_of(findings.catalog, findings.service)
    if team:
        return {"team": team.get("name"), "oncall": team.get("oncall"), "basis": "catalog"}
    current = run.current_owner or {}
    return {"team": current.get("team"), "oncall": current.get("oncall"), "basis": "trigger"}


def _current_owner(findings: Findings) -> dict:
    if findings.run.current_owner:
        return {
            "team": findings.run.current_owner.get("team"),
            "oncall": findings.run.current_owner.get("oncall"),
        }
    team = team_of(findings.catalog, findings.service) or {}
    return {"team": team.get("name"), "oncall": team.get("oncall")}


def _severity(findings: Findings, policy: SeverityRules, data_risk: bool) -> tuple[str, str]:
    now = findings.run.now
    failing = []
    for item in findings.records("monitors"):
        m = item.data
        changed = parse_time(m.get("last_changed"))
        if m.get("service") == findings.service and m.get("status") == "alert" and changed:
            failing.append((str(m.get("name")), (now - changed).total_seconds() / 60))
    reports = [r for r in findings.run.reports if reports_impact(r)]
    facts = SeverityInput(
        tier=tier_of(findings.catalog, findings.service),
        error_rate=measure(findings.series_of(findings.service, "error_rate"), findings.symptom_at, policy),
        latency=measure(findings.series_of(findings.service, "latency_p99_ms"), findings.symptom_at, policy),
        data_exposure=data_risk,
        failing_monitors=failing,
        reported_impact=describe(reports[0]) if reports else None,
    )
    severity, basis = severity_candidate(facts, policy)
    hinted = next((r for r in findings.run.reports if r.severity), None)
    if hinted and hinted.severity != severity:
        # People said otherwise: say so, and why the desk's candidate differs.
        higher = hinted.severity < severity
        basis += (
            f"; the report said {hinted.severity}: {shortfall(facts, policy, hinted.severity)}"
            if higher
            else f"; the report said {hinted.severity}, the evidence shows more"
        )
    return severity, basis


def _gaps(findings: Findings, gaps: list[Gap]) -> list[dict]:
    out = [{"source": g.source, "reason": g.reason} for g in gaps]
    if findings.service and not any(g["source"] == "runbooks" for g in out):
        if runbook_for(findings.service, findings.catalog, list(findings.items.values())) is None:
            out.append({"source": "runbooks", "reason": "not_found"})
    if findings.service is None and not any(g["source"] == "catalog" for g in out):
        out.append({"source": "catalog", "reason": "not_found"})
    return list({(g["source"], g["reason"]): g for g in out}.values())


def build_packet(
    *,
    run: RunFacts,
    catalog: dict,
    evidence: list[EvidenceItem],
    gaps: list[Gap],
    severity_rules: SeverityRules | None = None,
) -> dict:
    """The incident packet for one run, from already-redacted evidence. Severity follows
    `severity_rules`, by default those of the policy file that comes with the desk."""
    policy = severity_rules or shipped_policy().severity
    findings = read_findings(run=run, catalog=catalog, evidence=evidence + report_items(run.reports))
    conflicts = build_conflicts(findings)
    missing = frozenset(g.source for g in gaps if g.reason != "not_found")
    hypotheses = build_hypotheses(findings, has_conflicts=bool(conflicts), missing=missing)
    signals = build_signals(findings, hypotheses)
    data_risk, risk_ids = assess_data_risk(findings)
    severity, basis = _severity(findings, policy, data_risk["flagged"])
    next_actions, section = build_next_actions(findings, hypotheses, signals, data_risk, risk_ids)
    approvals = build_approvals(findings, hypotheses, severity, data_risk, section)
    top = hypotheses[0] if hypotheses else None
    hypothesis_dicts = [h.as_dict() for h in hypotheses]
    for h in hypothesis_dicts:
        h["summary"] = scrub(h["summary"])
    for entry in signals + next_actions + conflicts:
        entry["text"] = scrub(entry["text"])
    cited = [i for group in (signals, next_actions, conflicts) for entry in group for i in entry["evidence"]]
    cited += [i for h in hypothesis_dicts for i in h["evidence"] + h["against"]]
    packet = {
        "format": PACKET_FORMAT,
        "run_id": run.run_id,
        "service": findings.service,
        "severity": severity,
        "severity_basis": basis,
        "first_seen": iso_z(findings.symptom_at),
        "owner": _owner(findings, top),
        "current_owner": _current_owner(findings),
        "signals": signals,
        "hypotheses": hypothesis_dicts,
        "next_actions": next_actions,
        "requires_approval": [{**a, "reason": scrub(a["reason"])} for a in approvals],
        "allowed_actions": [
            {"action": "post_summary", "done": False},
            {"action": "create_ticket", "done": False},
        ],
        "gaps": _gaps(findings, gaps),
        "conflicts": conflicts,
        "data_risk": {**data_risk, "reason": scrub(data_risk["reason"])},
        "evidence": _evidence_entries(findings, cited),
    }
    packet["text"] = render_text(packet)
    return packet
