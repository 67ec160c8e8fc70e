"""The packet's `assistant` key and its short labelled section at the end of the packet text."""

from __future__ import annotations

HEADING = "Assistant summary (model, checked against evidence):"
LIMITS = {"summary": 3, "runbook": 3, "next_actions": 5}


def empty_section(model: str) -> dict:
    return {"model": model, "summary": [], "runbook": [], "next_actions": [], "evidence": [], "dropped": 0}


def render_section(section: dict) -> str:
    if section.get("error"):
        return f"{HEADING} unavailable ({section['error']})"
    lines = [HEADING]
    lines += [f"- {s['text']} {_cite(s)}" for s in section.get("summary") or []]
    lines += [f'- Runbook "{r["heading"]}": "{r["quote"]}" {_cite(r)}' for r in section.get("runbook") or []]
    lines += [f"- Next: {a['text']} {_cite(a)}" for a in section.get("next_actions") or []]
    if len(lines) == 1:
        lines.append("- nothing it wrote passed the checks")
    if section.get("dropped"):
        lines.append(f"- ({section['dropped']} of its statements dropped by the checks)")
    return "\n".join(lines)


def _cite(entry: dict) -> str:
    return f"[{', '.join(entry.get('evidence') or [])}]"


def with_section(packet: dict, section: dict) -> dict:
    """The packet with the section added; every deterministic field as it was."""
    return {**packet, "assistant": section, "text": f"{packet.get('text') or ''}\n{render_section(section)}"}


def without_section(packet: dict) -> dict:
    """The deterministic packet back from an annotated one."""
    if "assistant" not in packet:
        return packet
    out = {k: v for k, v in packet.items() if k != "assistant"}
    text = str(packet.get("text") or "")
    cut = text.rfind("\n" + HEADING)
    out["text"] = text[:cut] if cut != -1 else text
    return out
