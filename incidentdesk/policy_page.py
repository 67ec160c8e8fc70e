"""The policy document as the policy page reads it: plain rows, in the file's own order.

Generic over the file's keys, so a rule added to the file shows up without a code change.
"""

from dataclasses import dataclass, field

DECISION_LABELS = {"allow": "Allowed", "needs_approval": "Needs an owner's approval", "deny": "Denied"}


@dataclass(frozen=True)
class PolicyRow:
    name: str
    decision: str = ""
    rule: str = ""
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicySection:
    title: str
    rows: tuple[PolicyRow, ...] = field(default_factory=tuple)


def _words(key: str) -> str:
    return str(key).replace("_", " ")


def _value(key: str, value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and key.endswith(("_rate", "saturation")):
        return f"{value * 100:g}%"
    if isinstance(value, (int, float)) and key.endswith("multiplier"):
        return f"{value:g}× baseline"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_words(k)}: {_value(k, v)}" for k, v in value.items())
    return str(value)


def policy_sections(document: dict) -> list[PolicySection]:
    sections = []
    actions = document.get("actions")
    if isinstance(actions, dict):
        rows = []
        for name, spec in actions.items():
            spec = spec if isinstance(spec, dict) else {"decision": spec}
            details = tuple(f"{_words(k)}: {_value(k, v)}" for k, v in spec.items() if k not in ("decision", "rule"))
            decision = str(spec.get("decision", ""))
            rows.append(PolicyRow(name=_words(name), decision=DECISION_LABELS.get(decision, decision),
                                  rule=str(spec.get("rule", "")), details=details))
        sections.append(PolicySection("Actions", tuple(rows)))
    severity = document.get("severity")
    if isinstance(severity, dict):
        rows = [
            PolicyRow(name=str(level), details=tuple(f"{_words(k)}: {_value(k, v)}" for k, v in (spec or {}).items()))
            for level, spec in severity.items() if isinstance(spec, dict) or spec is None
        ]
        sections.append(PolicySection("Severity candidate", tuple(rows)))
    other = [PolicyRow(name=_words(k), details=(_value(k, v),)) for k, v in document.items()
             if k not in ("actions", "severity")]
    if other:
        sections.append(PolicySection("Other settings", tuple(other)))
    return sections
