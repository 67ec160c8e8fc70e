"""The policy in force as the policy page shows it: plain rows, in the file's own order."""

from dataclasses import dataclass, field

from incidentdesk.policy import ActionRule, Policy

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


def _percent(value: float) -> str:
    return f"{value * 100:g}%"


def _by_tier(table, show) -> str:
    return ", ".join(f"{show(v)} (tier {t})" for t, v in sorted(table.items())) or "no tier"


def _action_details(rule: ActionRule) -> tuple[str, ...]:
    details = []
    if rule.decision == "needs_approval":
        details.append(f"approvals: {rule.approvals}")
        if rule.approvals_at_sev1:
            details.append(f"approvals at sev1: {rule.approvals_at_sev1}")
    if rule.only_inside_scope:
        details.append("only inside the run's service scope")
    if rule.requires_links:
        details.append("must carry the source links")
    return tuple(details)


def policy_sections(policy: Policy) -> list[PolicySection]:
    actions = tuple(
        PolicyRow(
            name=name.replace("_", " "),
            decision=DECISION_LABELS[rule.decision],
            rule=rule.rule,
            details=_action_details(rule),
        )
        for name, rule in policy.actions.items()
    )
    sev = policy.severity
    severity = (
        PolicyRow("sev1", details=(
            f"error rate at or above {_by_tier(sev.sev1.error_rate, _percent)}",
            "a customer data exposure risk on tier "
            + (", ".join(str(t) for t in sorted(sev.sev1.data_exposure_tiers)) or "none"),
        )),
        PolicyRow("sev2", details=(
            f"error rate at or above {_by_tier(sev.sev2.error_rate, _percent)}",
            f"p99 latency at least {_by_tier(sev.sev2.latency_multiplier, lambda v: f'{v:g}x its baseline')}",
        )),
        PolicyRow("sev3", details=(
            f"error rate or p99 at least {sev.sev3.multiplier:g}x its baseline for {sev.sev3.sustained_minutes:g} min",
            f"a monitor failing for {sev.sev3.monitor_failing_minutes:g} min",
            f"people reporting customer impact: {'yes' if sev.sev3.reported_impact else 'not counted'}",
        )),
        PolicyRow("baseline", details=(f"the median of the {sev.baseline_minutes:g} min before the symptom",)),
    )
    other = (
        PolicyRow("customer data in the audit trail",
                  details=("marked" if policy.customer_data_is_logged else "not marked",)),
        PolicyRow("approval expiry", details=(f"{policy.approval_expiry_minutes} min",)),
    )
    return [
        PolicySection("Actions", actions),
        PolicySection("Severity candidate", severity),
        PolicySection("Other settings", other),
    ]
