"""All candidate causes, weighed against each other and ranked best first."""

from datetime import timedelta

from incidentdesk.analysis.changes import calendar_hypotheses, deploy_hypotheses, flag_hypotheses
from incidentdesk.analysis.findings import Findings
from incidentdesk.analysis.hypothesis import CONFIDENCE_RANK, Hypothesis, cap, ranked, unknown
from incidentdesk.analysis.systems import capacity_hypotheses, dependency_hypotheses, external_hypotheses
from incidentdesk.analysis.timeutil import parse_time

# Content that shipped this long before the onset and ran fine is weak on its own.
DORMANT = timedelta(hours=6)
MAX_LISTED = 6


def _weigh_changes(findings: Findings, changes: list[Hypothesis]) -> None:
    """Confidence for deploys and flags, which compete with each other on timing."""
    strong = [h for h in changes if h.timing and h.content]
    timing_only = [h for h in changes if h.timing and not h.content]
    for h in changes:
        if h.summary.endswith("not a cause") or not h.evidence:
            h.confidence = "low"
        elif h.timing and h.content:
            h.confidence = "high"
        elif h.timing:
            # Several changes with similar timing and nothing to tell them apart: low.
            h.confidence = "medium" if len(timing_only) == 1 and not strong else "low"
        elif h.content:
            h.confidence = "low" if _age(findings, h) > DORMANT else "medium"
            if strong:
                h.summary += (
                    f"; shipped earlier, {strong[0].kind.replace('_', ' ')} {strong[0].ref} set it off"
                )
        else:
            h.confidence = "low"


def _yield_to_explained(changes: list[Hypothesis], systems: list[Hypothesis]) -> None:
    """A change that only lines up in time is low once a system failure is tied to the
    symptom by both timing and content: the coincidence no longer needs explaining."""
    explained = next((h for h in systems if h.timing and h.content and h.confidence == "high"), None)
    if explained is None:
        return
    for h in changes:
        if not h.content and h.confidence != "low":
            h.confidence = "low"
            h.summary += f"; timing alone, and {explained.ref} explains the failure"


def _age(findings: Findings, h: Hypothesis) -> timedelta:
    for item_id in h.evidence:
        item = findings.items.get(item_id)
        if item and item.source in ("deploys", "feature_flags"):
            when = parse_time(
                item.data.get("finished_at") or item.data.get("started_at") or item.data.get("changed_at")
            )
            if when:
                return findings.first_seen - when
    return timedelta(0)


def build_hypotheses(findings: Findings, *, has_conflicts: bool) -> list[Hypothesis]:
    changes = deploy_hypotheses(findings) + flag_hypotheses(findings)
    _weigh_changes(findings, changes)
    systems = dependency_hypotheses(findings) + calendar_hypotheses(findings)
    _yield_to_explained(changes, systems)
    capacity = capacity_hypotheses(findings)
    external = external_hypotheses(findings)
    explained = any(CONFIDENCE_RANK[h.confidence] >= 2 for h in changes + systems)
    for h in capacity + external:
        if explained:
            h.confidence = "low"
    found = changes + systems + capacity + external
    if has_conflicts:
        for h in found:
            h.confidence = cap(h.confidence, "medium")
    for h in found:
        if h.kind != "unknown" and not h.evidence:
            # Every hypothesis cites something; ruled-out ones cite what rules them out.
            h.evidence = list(h.against)
    found = [h for h in found if h.evidence]
    ordered = _explain_dependency(ranked(found))
    if not ordered or CONFIDENCE_RANK[ordered[0].confidence] < 2:
        ordered.insert(0, unknown(_why_unknown(findings)))
    return ordered[:MAX_LISTED]


def _explain_dependency(ordered: list[Hypothesis]) -> list[Hypothesis]:
    """A planned change running on the failing dependency at the onset is the deeper cause."""
    if not ordered or ordered[0].kind != "dependency":
        return ordered
    top = ordered[0]
    for h in ordered[1:]:
        if h.kind == "config_change" and h.service == top.ref and CONFIDENCE_RANK[h.confidence] >= 2:
            h.confidence = top.confidence
            h.evidence += [i for i in top.evidence if i not in h.evidence]
            return [h] + [x for x in ordered if x is not h]
    return ordered


def _why_unknown(findings: Findings) -> str:
    if not findings.degraded(findings.service or "") and not findings.new_errors:
        return "the service's own metrics and errors do not show the failure; check the alert itself"
    return "no deploy, flag change, dependency or capacity change lines up with the onset"
