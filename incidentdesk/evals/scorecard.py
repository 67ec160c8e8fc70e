"""A scorecard over many replayed scenarios: per scenario and per check."""

from collections import Counter
from dataclasses import dataclass, field

from incidentdesk.assistant.service import assistant_switched
from incidentdesk.evals.scoring import score_packet
from incidentdesk.replay import isolation
from incidentdesk.replay.harness import replay_scenario
from incidentdesk.replay.scenario import ScenarioError


@dataclass
class ScenarioResult:
    name: str
    passed: bool
    failures: list[str] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)


@dataclass
class Scorecard:
    results: list[ScenarioResult] = field(default_factory=list)
    # Off unless asked: the scorecard measures the deterministic desk, whatever LLM_BASE_URL says.
    with_model: bool = False

    def add_error(self, name: str, reason: str) -> None:
        self.results.append(ScenarioResult(name, False, [f"cannot replay: {reason}"], {"replay": False}))

    def add(self, name: str, scenario: dict) -> ScenarioResult:
        isolation.reset_between_scenarios()
        try:
            with assistant_switched(on=self.with_model):
                packet = replay_scenario(scenario)
        except ScenarioError as exc:
            self.add_error(name, str(exc))
            return self.results[-1]
        checks = score_packet(packet, scenario.get("expect") or {})
        result = ScenarioResult(
            name,
            all(c.passed for c in checks),
            [f"{c.name}: {c.detail}" for c in checks if not c.passed],
            {c.name: c.passed for c in checks},
        )
        self.results.append(result)
        return result

    @property
    def pass_rate(self) -> float:
        return sum(r.passed for r in self.results) / len(self.results) if self.results else 0.0

    def render(self) -> str:
        lines = ["Scenarios:"]
        width = max((len(r.name) for r in self.results), default=10)
        for r in self.results:
            lines.append(f"  {'PASS' if r.passed else 'FAIL'}  {r.name:<{width}}")
            lines.extend(f"          - {f}" for f in r.failures)
        passed, total = Counter(), Counter()
        for r in self.results:
            for name, ok in r.checks.items():
                total[name] += 1
                passed[name] += ok
        lines.append("Checks:")
        for name in sorted(total):
            lines.append(f"  {name:<18} {passed[name]}/{total[name]}")
        lines.append(f"{sum(r.passed for r in self.results)} passed, {sum(not r.passed for r in self.results)} failed")
        return "\n".join(lines)


def regressions(without: Scorecard, with_model: Scorecard) -> list[str]:
    """Scenarios that pass without the model and fail with it."""
    passed_with = {r.name: r.passed for r in with_model.results}
    return [r.name for r in without.results if r.passed and not passed_with.get(r.name, False)]
