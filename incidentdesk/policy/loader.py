"""Reading the policy file into a Policy: every key checked, every problem named with its line.

The YAML is composed into nodes (which keep their line numbers) and walked against the schema:
an unknown key, a missing key, a wrong type or an out-of-range number is a PolicyError saying
`file:line: where: what`. Nothing falls back to a default kept in code: the shipped file is
the one set of defaults.
"""

import re
from pathlib import Path
from types import MappingProxyType

import yaml

from incidentdesk.policy.schema import (
    DESK_ACTIONS,
    OUTCOMES,
    ActionRule,
    Policy,
    Sev1Rules,
    Sev2Rules,
    Sev3Rules,
    SeverityRules,
)

ACTION_NAME = re.compile(r"[a-z][a-z0-9_]{0,19}")


class PolicyError(ValueError):
    """The policy file cannot be used; the message names the file, the line and the key."""


class _Reader:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.loader = yaml.SafeLoader(text)
        try:
            self.root = self.loader.get_single_node()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            raise PolicyError(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc

    def fail(self, node: yaml.Node | None, where: str, message: str) -> PolicyError:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        return PolicyError(f"{self.path}{line}: {where or 'top level'}: {message}")

    def mapping(self, node: yaml.Node | None, where: str, keys: tuple[str, ...]) -> dict[str, yaml.Node]:
        """The mapping's values by key: each of `keys` present, nothing else."""
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where, "must be a mapping of keys to values")
        found: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(self.loader.construct_object(key_node))
            name = f"{where}.{key}" if where else key
            if key not in keys:
                raise self.fail(key_node, name, f"unknown key (known here: {', '.join(keys)})")
            if key in found:
                raise self.fail(key_node, name, "given twice")
            found[key] = value_node
        missing = [k for k in keys if k not in found]
        if missing:
            raise self.fail(node, where, f"missing {', '.join(missing)}")
        return found

    def rules(self, node: yaml.Node | None, where: str, required: tuple[str, ...]) -> dict[str, yaml.Node]:
        """A mapping of named rules: each of `required` present, other names well formed and once."""
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where, "must be a mapping of action names to rules")
        names = tuple(str(self.loader.construct_object(key_node)) for key_node, _ in node.value)
        for (key_node, _), name in zip(node.value, names, strict=True):
            if not ACTION_NAME.fullmatch(name):
                raise self.fail(key_node, f"{where}.{name}", "an action name is lower_case_with_underscores")
        return self.mapping(node, where, required + tuple(n for n in dict.fromkeys(names) if n not in required))

    def value(self, node: yaml.Node):
        return self.loader.construct_object(node, deep=True)

    def number(self, node: yaml.Node, where: str, *, fraction: bool = False) -> float:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.fail(node, where, f"must be a number of 0 or more, not {value!r}")
        if fraction and value > 1:
            raise self.fail(node, where, f"must be a fraction between 0 and 1 (0.05 is 5%), not {value!r}")
        return float(value)

    def integer(self, node: yaml.Node, where: str, *, least: int = 0) -> int:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise self.fail(node, where, f"must be a whole number of {least} or more, not {value!r}")
        return value

    def boolean(self, node: yaml.Node, where: str) -> bool:
        value = self.value(node)
        if not isinstance(value, bool):
            raise self.fail(node, where, f"must be true or false, not {value!r}")
        return value

    def text(self, node: yaml.Node, where: str) -> str:
        value = self.value(node)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(node, where, f"must be a non-empty name, not {value!r}")
        return value

    def tier(self, node: yaml.Node, where: str) -> int:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
            raise self.fail(node, where, f"a tier is 1, 2, 3 or 4, not {value!r}")
        return value

    def by_tier(self, node: yaml.Node, where: str, *, fraction: bool) -> MappingProxyType:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where, "must map tiers to numbers, as {1: 0.25}")
        table = {}
        for key_node, value_node in node.value:
            tier = self.tier(key_node, where)
            table[tier] = self.number(value_node, f"{where}.{tier}", fraction=fraction)
        return MappingProxyType(table)

    def tiers(self, node: yaml.Node, where: str) -> frozenset[int]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, where, "must be a list of tiers, as [1]")
        return frozenset(self.tier(item, where) for item in node.value)


def _severity(r: _Reader, node: yaml.Node) -> SeverityRules:
    top = r.mapping(node, "severity", ("baseline_minutes", "sev1", "sev2", "sev3"))
    sev1 = r.mapping(top["sev1"], "severity.sev1", ("error_rate", "data_exposure_tiers"))
    sev2 = r.mapping(top["sev2"], "severity.sev2", ("error_rate", "latency_multiplier"))
    sev3 = r.mapping(
        top["sev3"],
        "severity.sev3",
        ("multiplier", "sustained_minutes", "monitor_failing_minutes", "reported_impact"),
    )
    return SeverityRules(
        baseline_minutes=r.number(top["baseline_minutes"], "severity.baseline_minutes"),
        sev1=Sev1Rules(
            error_rate=r.by_tier(sev1["error_rate"], "severity.sev1.error_rate", fraction=True),
            data_exposure_tiers=r.tiers(sev1["data_exposure_tiers"], "severity.sev1.data_exposure_tiers"),
        ),
        sev2=Sev2Rules(
            error_rate=r.by_tier(sev2["error_rate"], "severity.sev2.error_rate", fraction=True),
            latency_multiplier=r.by_tier(
                sev2["latency_multiplier"], "severity.sev2.latency_multiplier", fraction=False
            ),
        ),
        sev3=Sev3Rules(
            multiplier=r.number(sev3["multiplier"], "severity.sev3.multiplier"),
            sustained_minutes=r.number(sev3["sustained_minutes"], "severity.sev3.sustained_minutes"),
            monitor_failing_minutes=r.number(
                sev3["monitor_failing_minutes"], "severity.sev3.monitor_failing_minutes"
            ),
            reported_impact=r.boolean(sev3["reported_impact"], "severity.sev3.reported_impact"),
        ),
    )


_RULE_KEYS = ("decision", "rule", "approvals", "approvals_at_sev1", "only_inside_scope", "requires_links")


def _action(r: _Reader, node: yaml.Node, where: str) -> ActionRule:
    if not isinstance(node, yaml.MappingNode):
        raise r.fail(node, where, "must be a mapping with decision and rule")
    by_key = {str(r.value(k)): (k, v) for k, v in node.value}
    for key, (key_node, _) in by_key.items():
        if key not in _RULE_KEYS:
            raise r.fail(key_node, f"{where}.{key}", f"unknown key (known here: {', '.join(_RULE_KEYS)})")
    decision_node = by_key.get("decision", (None, None))[1]
    decision = r.value(decision_node) if decision_node is not None else None
    if decision not in OUTCOMES:
        raise r.fail(decision_node or node, f"{where}.decision", f"must be one of {', '.join(OUTCOMES)}")
    required = ("decision", "rule") + (("approvals",) if decision == "needs_approval" else ())
    fields = r.mapping(node, where, required + tuple(k for k in _RULE_KEYS if k in by_key and k not in required))

    def flag(key: str) -> bool:
        return r.boolean(fields[key], f"{where}.{key}") if key in fields else False

    def count(key: str) -> int | None:
        return r.integer(fields[key], f"{where}.{key}", least=1) if key in fields else None

    return ActionRule(
        decision=decision,
        rule=r.text(fields["rule"], f"{where}.rule"),
        approvals=count("approvals") or 0,
        approvals_at_sev1=count("approvals_at_sev1"),
        only_inside_scope=flag("only_inside_scope"),
        requires_links=flag("requires_links"),
    )


def parse_policy(text: str, path: str = "<policy>") -> Policy:
    """The policy in `text`, or PolicyError naming the first problem and its line."""
    r = _Reader(path, text)
    top = r.mapping(r.root, "", ("severity", "actions", "customer_data_is_logged", "approval_expiry_minutes"))
    rules = r.rules(top["actions"], "actions", DESK_ACTIONS)
    return Policy(
        severity=_severity(r, top["severity"]),
        actions=MappingProxyType({name: _action(r, node, f"actions.{name}") for name, node in rules.items()}),
        customer_data_is_logged=r.boolean(top["customer_data_is_logged"], "customer_data_is_logged"),
        approval_expiry_minutes=r.integer(top["approval_expiry_minutes"], "approval_expiry_minutes", least=1),
        source=path,
    )


def read_policy(path: Path | str) -> Policy:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file: {exc.strerror or exc}") from exc
    return parse_policy(text, str(path))
