"""The policy as the desk uses it: frozen, typed, read once from the policy file."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["allow", "needs_approval", "deny"]
OUTCOMES: tuple[str, ...] = ("allow", "needs_approval", "deny")
# What the desk does itself; the policy file must hold a rule for each. Every other rule under
# `actions` is for a production action, which approvals.actions must know by the same name.
DESK_ACTIONS: tuple[str, ...] = ("read", "post_summary", "create_ticket")


@dataclass(frozen=True)
class Sev1Rules:
    error_rate: Mapping[int, float]  # by service tier
    data_exposure_tiers: frozenset[int]


@dataclass(frozen=True)
class Sev2Rules:
    error_rate: Mapping[int, float]
    latency_multiplier: Mapping[int, float]


@dataclass(frozen=True)
class Sev3Rules:
    multiplier: float
    sustained_minutes: float
    monitor_failing_minutes: float
    reported_impact: bool


@dataclass(frozen=True)
class SeverityRules:
    baseline_minutes: float
    sev1: Sev1Rules
    sev2: Sev2Rules
    sev3: Sev3Rules

    def error_rate_line(self, level: str, tier: int | None) -> float | None:
        """The error rate at which `level` begins for a service of this tier, if it has one."""
        table = {"sev1": self.sev1.error_rate, "sev2": self.sev2.error_rate}.get(level, {})
        return table.get(tier) if tier is not None else None


@dataclass(frozen=True)
class ActionRule:
    decision: Outcome
    rule: str
    approvals: int = 0
    approvals_at_sev1: int | None = None
    only_inside_scope: bool = False
    requires_links: bool = False


@dataclass(frozen=True)
class Policy:
    severity: SeverityRules
    actions: Mapping[str, ActionRule]
    customer_data_is_logged: bool
    approval_expiry_minutes: int
    source: str = ""  # the file it was read from

    @property
    def production_actions(self) -> frozenset[str]:
        return frozenset(self.actions) - frozenset(DESK_ACTIONS)
