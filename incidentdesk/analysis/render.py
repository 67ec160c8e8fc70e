"""The plain-text packet, exactly as it is posted: short enough to read at 3 a.m."""

from incidentdesk.action_labels import action_label
from incidentdesk.analysis.timeutil import hhmm, parse_time


def team_label(team: str | None) -> str:
    """`payments-platform` -> `Payments platform`."""
    if not team:
        return "Unknown"
    text = team.replace("-", " ").replace("_", " ")
    return text[:1].upper() + text[1:]


def _approval_line(item: dict) -> str:
    label = action_label(item.get("action"))
    target = item.get("target")
    line = f"{label}: {target}" if target else label
    if not item.get("safe", True):
        line += f" (UNSAFE: {item.get('reason')})"
    return line


def render_text(packet: dict) -> str:
    first_seen = parse_time(packet.get("first_seen"))
    lines = [
        "Incident packet",
        f"Service: {packet.get('service') or 'unknown'}",
        f"Severity: {packet.get('severity')} candidate",
        f"First seen: {hhmm(first_seen)} UTC" if first_seen else "First seen: unknown",
    ]

    def section(title: str, items: list[str]) -> None:
        if items:
            lines.append(f"{title}:")
            lines.extend(f"- {item}" for item in items)

    section("Signals", [s["text"] for s in packet.get("signals") or []])
    hypotheses = packet.get("hypotheses") or []
    if hypotheses:
        top = hypotheses[0]
        section("Likely cause", [f"{top['summary']} ({top['confidence']})"])
    owner = packet.get("owner") or {}
    if owner.get("team"):
        oncall = f" (on-call: {owner['oncall']})" if owner.get("oncall") else ""
        section("Likely owner", [f"{team_label(owner['team'])}{oncall}"])
    section("Suggested next action", [a["text"] for a in packet.get("next_actions") or []])
    section("Requires approval", [_approval_line(a) for a in packet.get("requires_approval") or []])
    section("Conflicts", [c["text"] for c in packet.get("conflicts") or []])
    data_risk = packet.get("data_risk") or {}
    if data_risk.get("flagged"):
        section("Data risk", [data_risk.get("reason", "flagged")])
    section("Gaps", [_gap_line(g) for g in packet.get("gaps") or []])
    return "\n".join(lines)


def _gap_line(gap: dict) -> str:
    source, reason = gap.get("source"), gap.get("reason")
    if source == "runbooks" and reason == "not_found":
        return "runbooks: no runbook found for this service"
    return f"{source}: {str(reason).replace('_', ' ')}"
