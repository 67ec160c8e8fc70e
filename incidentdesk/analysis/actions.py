"""Next actions a human can take now, and the production changes that need approval."""

import re

from incidentdesk.analysis.catalog import team_of
from incidentdesk.analysis.content import failing_files, rollback_hazard
from incidentdesk.analysis.findings import Findings
from incidentdesk.analysis.hypothesis import CONFIDENCE_RANK, Hypothesis
from incidentdesk.analysis.runbooks import (
    Runbook,
    Section,
    best_section,
    dashboards,
    production_steps,
    runbook_for,
    words,
)
from incidentdesk.analysis.timeutil import parse_time

MAX_ACTIONS = 5
_ROLLBACK_WORDS = re.compile(r"\broll(ing)?[\s-]?back\b|\brevert\b", re.I)
_KIND_WORDS = {
    "deploy": "deploy deploys rollback change",
    "feature_flag": "flag flags feature toggle",
    "dependency": "upstream upstreams dependency 5xx",
    "capacity": "capacity traffic saturation scale latency",
    "config_change": "maintenance migration failover",
    "external": "provider third party timeout",
    "unknown": "",
}
_METRIC_WORDS = {
    "error_rate": "error errors rate 5xx failure failures",
    "latency_p99_ms": "latency p99 slow high",
}


def vocabulary(findings: Findings, top: Hypothesis | None, data_risk: bool) -> set[str]:
    text = " ".join(_METRIC_WORDS.get(s.name, "") for s in findings.degraded(findings.service or ""))
    if top:
        text += " " + _KIND_WORDS.get(top.kind, "") + " " + (top.ref or "")
    if data_risk:
        text += " data exposure customer privacy security"
    for item in findings.records("monitors"):
        if item.data.get("service") == findings.service and item.data.get("status") == "alert":
            text += f" {item.data.get('name', '')}"
    return words(text) - {"the", "and", "of", "to", "in", "on", "a"}


def _first(ids: list[str]) -> list[str]:
    return [i for i in ids if i][:3]


def _top_action(findings: Findings, top: Hypothesis) -> dict | None:
    if top.kind == "deploy":
        item = findings.items.get(top.evidence[0]) if top.evidence else None
        key = findings.change_key(item.data) if item else None
        change = findings.changes.get(key) if key else None
        if change:
            matched = failing_files(change, findings.footprint(top.service or ""))
            target = (matched or list(change.code_files) or list(change.files) or ["its"])[0]
            text = f"Review {target} change in {change.name}"
            owners = change.owners_of(target) if matched else ()
            if owners:
                text += f" (code owners: {_owner_list(owners)})"
            return {"text": text, "evidence": _first(top.evidence)}
        return {"text": f"Review what deploy {top.ref} changed", "evidence": _first(top.evidence)}
    if top.kind == "feature_flag":
        return {"text": f"Turn off flag {top.ref} (needs approval)", "evidence": _first(top.evidence)}
    if top.kind == "dependency":
        team = team_of(findings.catalog, top.ref) or {}
        oncall = f" ({team.get('oncall')})" if team.get("oncall") else ""
        return {
            "text": f"Page {team.get('name', 'the owners')} on-call{oncall} about {top.ref}",
            "evidence": _first(top.evidence),
        }
    if top.kind == "capacity":
        if top.check:  # a surge from outside the scope: who sends it comes first
            return {"text": f"{top.check[:1].upper()}{top.check[1:]}", "evidence": _first(top.evidence)}
        return {
            "text": f"Scale out {top.ref} (needs approval); compare traffic with the same hour last week",
            "evidence": _first(top.evidence),
        }
    if top.kind == "config_change":
        if top.ref:
            text = f"Ask the owner of change {top.ref} to pause or revert it"
        else:
            text = f"Find who made the change seen in {top.service or 'the'} logs and ask them to stop or undo it"
        return {"text": text, "evidence": _first(top.evidence)}
    if top.kind == "external":
        return {
            "text": f"Check {top.ref}'s status page and degrade gracefully around it",
            "evidence": _first(top.evidence),
        }
    return None


def _owner_list(owners: tuple[str, ...], shown: int = 3) -> str:
    listed = ", ".join(owners[:shown])
    return listed + (f" and {len(owners) - shown} more" if len(owners) > shown else "")


def _runbook_actions(runbook: Runbook, section: Section | None, service: str) -> list[dict]:
    out = []
    if section:
        out.append(
            {"text": f'Follow "{section.quoted}" in the {service} runbook', "evidence": [runbook.evidence_id]}
        )
    boards = dashboards(runbook)
    if boards:
        out.append({"text": f"Open dashboard: {boards[0]}", "evidence": [runbook.evidence_id]})
    return out


def build_next_actions(
    findings: Findings,
    hypotheses: list[Hypothesis],
    signals: list[dict],
    data_risk: dict,
    risk_ids: list[str],
) -> tuple[list[dict], Section | None]:
    """(actions, the runbook section that matched the signal)."""
    out: list[dict] = []
    top = hypotheses[0] if hypotheses else None
    trusted = top if top and top.kind != "unknown" and CONFIDENCE_RANK[top.confidence] >= 2 else None
    if data_risk["flagged"]:
        security = next(
            (t for t in findings.catalog.get("teams") or [] if "security" in str(t.get("name", ""))), None
        )
        who = f"{security['name']} on-call" if security else "the security on-call"
        out.append(
            {
                "text": f"Page {who}: possible customer data exposure ({data_risk['reason']})",
                "evidence": risk_ids[:3] or _signal_ids(signals),
            }
        )
    if trusted:
        action = _top_action(findings, trusted)
        if action and action["evidence"]:
            out.append(action)
    runbook = runbook_for(findings.service, findings.catalog, list(findings.items.values()))
    section = None
    if runbook:
        section = best_section(runbook, vocabulary(findings, trusted, data_risk["flagged"]))
        out += _runbook_actions(runbook, section, findings.service or "")
    elif findings.service:
        ids = _signal_ids(signals)
        if ids:
            out.append(
                {
                    "text": f"No runbook for {findings.service}: work from the signals above;"
                    " write one after the incident",
                    "evidence": ids,
                }
            )
    if trusted and trusted.kind == "dependency":
        dep_book = runbook_for(trusted.ref, findings.catalog, list(findings.items.values()))
        if dep_book:
            dep_section = best_section(
                dep_book, vocabulary(findings, trusted, False) | _dep_words(findings, trusted)
            )
            if dep_section:
                out.append(
                    {
                        "text": f'Share "{dep_section.quoted}" from the {trusted.ref} runbook',
                        "evidence": [dep_book.evidence_id],
                    }
                )
    if not trusted and not data_risk["flagged"]:
        ids = _signal_ids(signals)
        check = top.check if top and top.kind == "unknown" else ""
        if ids and check:
            out.insert(0, {"text": f"Decide the cause: {check}", "evidence": ids})
        elif ids:
            out.insert(
                0, {"text": "Confirm the symptom on real traffic before changing anything", "evidence": ids}
            )
    return [a for a in out if a["evidence"]][:MAX_ACTIONS], section


def _dep_words(findings: Findings, top: Hypothesis) -> set[str]:
    text = " ".join(v.template.template for v in findings.new_templates(top.ref, errors_only=True))
    text += " " + " ".join(e.title for e in findings.new_errors if e.service == top.ref)
    return words(text)


def _signal_ids(signals: list[dict]) -> list[str]:
    return [i for s in signals for i in s["evidence"]][:2]


def requested_rollback(findings: Findings) -> bool:
    """A human asked for a rollback in the trigger itself (e.g. a Slack command)."""
    run = findings.run
    return run.trigger_source == "slack" and bool(_ROLLBACK_WORDS.search(run.title or ""))


def _freeze_reason(findings: Findings, service: str) -> str | None:
    now = findings.run.now
    for item in findings.records("change_calendar"):
        c = item.data
        start, end = parse_time(c.get("start")), parse_time(c.get("end"))
        services = c.get("services") or []
        if (
            str(c.get("kind")).lower() == "freeze"
            and start
            and end
            and start <= now <= end
            and (not services or service in services)
        ):
            return f"change freeze {c.get('uid')} ({c.get('title')}) is in force"
    return None


def _rollback(findings: Findings, deploy_item_id: str, likely: bool) -> dict:
    item = findings.items[deploy_item_id]
    key = findings.change_key(item.data)
    pr = findings.pull_requests.get(key) if key else None
    service = item.data.get("service") or ""
    reasons = []
    hazard = rollback_hazard(pr) if pr else None
    if hazard:
        reasons.append(hazard)
    if not likely:
        reasons.append(f"deploy {item.data.get('id')} is not the likely cause")
    freeze = _freeze_reason(findings, service)
    if freeze:
        reasons.append(freeze)
    entry = {"action": "rollback", "target": str(item.data.get("id") or item.ref), "safe": not reasons}
    entry["reason"] = (
        "; ".join(reasons) if reasons else f"code-only change to {service}; redeploys the previous version"
    )
    return entry


def build_approvals(
    findings: Findings, hypotheses: list[Hypothesis], severity: str, data_risk: dict, section: Section | None
) -> list[dict]:
    out: list[dict] = []
    top = hypotheses[0] if hypotheses else None
    trusted = top if top and top.kind != "unknown" and CONFIDENCE_RANK[top.confidence] >= 2 else None
    if trusted and trusted.kind == "deploy" and trusted.evidence:
        out.append(_rollback(findings, trusted.evidence[0], likely=True))
    if requested_rollback(findings) and not any(a["action"] == "rollback" for a in out):
        latest = _latest_deploy(findings)
        if latest:
            out.append(_rollback(findings, latest, likely=False))
    if trusted and trusted.kind == "feature_flag":
        item = findings.items.get(trusted.evidence[0]) if trusted.evidence else None
        back = item.data.get("from") if item else None
        out.append(
            {
                "action": "flag_toggle",
                "target": trusted.ref,
                "safe": True,
                "reason": f"set {trusted.ref} back to "
                + (str(back).lower() if back is not None else "its previous value"),
            }
        )
    if trusted and trusted.kind == "capacity":
        out.append(
            {
                "action": "scale",
                "target": trusted.ref,
                "safe": True,
                "reason": f"add capacity to {trusted.ref} while traffic stays high",
            }
        )
    if severity in ("sev1", "sev2") or data_risk["flagged"]:
        why = "possible customer data exposure" if data_risk["flagged"] else f"{severity} customer impact"
        out.append(
            {
                "action": "status_update",
                "target": findings.service or "",
                "safe": True,
                "reason": f"customer-facing status update for {why}",
            }
        )
    for action, step, key in production_steps(section):
        # A runbook step that changes production is listed for approval, never performed.
        target = key if action == "flag_toggle" else findings.service or ""
        if not target or any(a["action"] == action for a in out):
            continue
        out.append(
            {
                "action": action,
                "target": target,
                "safe": True,
                "reason": f'the runbook section "{section.quoted}" says: {step[:120]}',
            }
        )
    return out


def _latest_deploy(findings: Findings) -> str | None:
    candidates = []
    for item in findings.records("deploys"):
        when = parse_time(item.data.get("finished_at") or item.data.get("started_at"))
        if item.data.get("service") == findings.service and when and when <= findings.run.now:
            candidates.append((when, item.id))
    return max(candidates)[1] if candidates else None
