"""Severity candidate from the policy's severity rules: sev1..sev4, and the rule that fired."""

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from incidentdesk.analysis.metrics import Series, format_value
from incidentdesk.policy import SeverityRules


@dataclass(frozen=True)
class Measure:
    name: str
    baseline: float | None
    worst: float | None
    worst_at: datetime | None
    sustained_minutes: float  # longest run at or above the sev3 multiple of the baseline

    @property
    def multiple(self) -> float | None:
        if self.baseline is None or self.worst is None or self.baseline <= 0:
            return None
        return self.worst / self.baseline


def measure(series: Series | None, first_seen: datetime, rules: SeverityRules) -> Measure | None:
    """Worst point after first_seen and the median over the baseline window before it."""
    if series is None or not series.values:
        return None
    window = timedelta(minutes=rules.baseline_minutes)
    before = [
        v for t, v in zip(series.times, series.values, strict=True) if first_seen - window <= t < first_seen
    ]
    after = [(t, v) for t, v in zip(series.times, series.values, strict=True) if t >= first_seen]
    baseline = statistics.median(before) if before else None
    if not after:
        return Measure(series.name, baseline, None, None, 0.0)
    worst_at, worst = max(after, key=lambda p: p[1])
    multiple = rules.sev3.multiplier
    longest = run = 0
    for _, value in after:
        run = run + 1 if baseline is not None and baseline > 0 and value >= multiple * baseline else 0
        longest = max(longest, run)
    return Measure(series.name, baseline, worst, worst_at, longest * series.step_seconds / 60)


@dataclass(frozen=True)
class SeverityInput:
    tier: int | None
    error_rate: Measure | None
    latency: Measure | None
    data_exposure: bool
    failing_monitors: list[tuple[str, float]]  # (monitor name, minutes failing)
    reported_impact: str | None = None  # what people report customers suffer, when they do


def severity_candidate(facts: SeverityInput, rules: SeverityRules) -> tuple[str, str]:
    """(sev1..sev4, the rule that fired with its numbers)."""
    tier = facts.tier
    tier_text = f"tier-{tier} service" if tier is not None else "service of unknown tier"
    err = facts.error_rate
    lat = facts.latency
    err_worst = err.worst if err and err.worst is not None else None

    if facts.data_exposure and tier in rules.sev1.data_exposure_tiers:
        return "sev1", f"sev1: {tier_text} with customer data exposure risk"
    limit = rules.error_rate_line("sev1", tier)
    if limit is not None and err_worst is not None and err_worst >= limit:
        return "sev1", f"sev1: {tier_text} error rate {format_value('error_rate', err_worst)} >= {limit:.0%}"

    limit = rules.error_rate_line("sev2", tier)
    if limit is not None and err_worst is not None and err_worst >= limit:
        base = (
            f" (baseline {format_value('error_rate', err.baseline)})"
            if err and err.baseline is not None
            else ""
        )
        return (
            "sev2",
            f"sev2: {tier_text} error rate {format_value('error_rate', err_worst)} >= {limit:.0%}{base}",
        )
    limit = rules.sev2.latency_multiplier.get(tier) if tier is not None else None
    if limit is not None and lat and lat.multiple is not None and lat.multiple >= limit:
        return "sev2", (
            f"sev2: {tier_text} p99 latency {format_value('latency_p99_ms', lat.worst)}"
            f" is {lat.multiple:.1f}x"
            f" its baseline {format_value('latency_p99_ms', lat.baseline)} (>= {limit:g}x)"
        )

    multiple, minutes = rules.sev3.multiplier, rules.sev3.sustained_minutes
    for m, label in ((err, "error rate"), (lat, "p99 latency")):
        if m and m.multiple is not None and m.multiple >= multiple and m.sustained_minutes >= minutes:
            return "sev3", (
                f"sev3: {label} {format_value(m.name, m.worst)} at {m.multiple:.1f}x its baseline"
                f" {format_value(m.name, m.baseline)} for {m.sustained_minutes:.0f} min"
                f" (>= {multiple:g}x for {minutes:g} min)"
            )
    monitor_minutes = rules.sev3.monitor_failing_minutes
    for name, failing in facts.failing_monitors:
        if failing >= monitor_minutes:
            return (
                "sev3",
                f"sev3: monitor '{name}' failing for {failing:.0f} min (>= {monitor_minutes:g} min)",
            )
    if facts.reported_impact and rules.sev3.reported_impact:
        return "sev3", f"sev3: people report customer impact ({facts.reported_impact})"
    return "sev4", "sev4: no user-visible impact in the evidence"


def shortfall(facts: SeverityInput, rules: SeverityRules, level: str) -> str:
    """Why the evidence does not reach `level`, in its numbers: the error-rate line that level
    draws for this tier and the worst error rate measured."""
    limit = rules.error_rate_line(level, facts.tier)
    worst = facts.error_rate.worst if facts.error_rate else None
    if limit is None:
        return f"{level} has no rule for a tier-{facts.tier} service"
    if worst is None:
        return f"no error-rate series to hold against its {limit:.0%} line"
    return f"error rate {format_value('error_rate', worst)} at worst, below its {limit:.0%} line"
