"""Evidence against each hypothesis, and the confidence each can honestly claim.

An objection names what speaks against a hypothesis and cites it: a diff that touches nothing
that fails, a service whose failure comes from a dependency that failed first, a service that
failed at the same time without depending on the change, a traffic surge before the symptom,
a competing change that matches the failing code. Nothing is objected without a citation.
"""

from datetime import timedelta

from incidentdesk.analysis.catalog import dependency_depths
from incidentdesk.analysis.chain import FailureMap, flat_series
from incidentdesk.analysis.findings import Findings
from incidentdesk.analysis.hypothesis import CHANGE_KINDS, CONFIDENCE_RANK, Hypothesis, cap
from incidentdesk.analysis.systems import SATURATED
from incidentdesk.analysis.timeutil import parse_time

# A change the service ran this long on without trouble is a weak fit for the failure.
QUIET = timedelta(minutes=10)
# Saturation that turns high this long after the failure began followed it.
LATE = timedelta(minutes=10)


def _first_ids(fmap: FailureMap, service: str) -> list[str]:
    component = fmap.components.get(service)
    return (component.named_by + component.evidence)[:1] if component else []


def _diff_ids(findings: Findings, h: Hypothesis) -> list[str]:
    return [i for i in h.evidence if (item := findings.items.get(i)) and item.source == "pull_requests"]


def _change_objections(findings: Findings, fmap: FailureMap, h: Hypothesis, found: list[Hypothesis]) -> None:
    service = h.service or ""
    if h.content:
        return
    if h.kind == "deploy" and not findings.footprint(service).empty:
        h.object("its diff touches nothing in the failing code", _diff_ids(findings, h))
    rival = next(
        (r for r in found if r is not h and r.kind in CHANGE_KINDS and r.content and not r.ruled_out), None
    )
    if rival is not None:
        h.object(f"{rival.label} matches the failure instead", rival.evidence[:1])
    root = fmap.downstream_of(service) if service else None
    if root:
        h.object(f"{service}'s errors come from {root}, which failed first", _first_ids(fmap, root))
        h.confidence = "low"
    for peer in fmap.together:
        if peer != service and service and service not in dependency_depths(findings.catalog, peer):
            h.object(f"{peer} failed at the same time and does not depend on {service}", _first_ids(fmap, peer))
    surge = next((c for c in found if c.kind == "capacity" and c.timing), None)
    if surge is not None:
        h.object("traffic surged before the symptom", surge.evidence[:1])
    quiet = _quiet_after(findings, fmap, h)
    if quiet:
        minutes, ids = quiet
        h.object(f"{service} ran {minutes} min on it without a sign of trouble before the failure", ids)


def _quiet_after(findings: Findings, fmap: FailureMap, h: Hypothesis) -> tuple[int, list[str]] | None:
    """A change that finished well before the failure, with the service healthy in between."""
    item = findings.items.get(h.evidence[0]) if h.evidence else None
    component = fmap.components.get(h.service or "")
    if item is None or component is None or item.source not in ("deploys", "feature_flags"):
        return None
    done = parse_time(item.data.get("finished_at") or item.data.get("changed_at"))
    if done is None or component.onset - done < QUIET:
        return None
    series = findings.series_of(h.service, "error_rate")
    if series is None:
        return None
    return int((component.onset - done).total_seconds() // 60), [series.evidence_id]


def add_objections(findings: Findings, fmap: FailureMap, found: list[Hypothesis]) -> None:
    for h in found:
        if h.ruled_out or h.kind == "unknown" or h.explains:
            continue
        if h.kind in ("deploy", "feature_flag"):
            _change_objections(findings, fmap, h, found)
        elif h.kind == "config_change" and h.service and not fmap.failing(h.service) and not h.timing:
            # (A change on a direct dependency its caller began failing inside of needs no more.)
            h.object(f"{h.service} itself looks healthy", flat_series(findings, h.service)[:2])
        elif h.kind == "config_change" and h.service and (root := fmap.downstream_of(h.service)):
            # A change on a service whose failure comes from deeper down explains nothing.
            h.object(f"{h.service}'s failure is downstream of {root}, which failed first", _first_ids(fmap, root))
            h.confidence = "low"
        elif h.kind == "capacity":
            strong = next((c for c in found if c.kind in CHANGE_KINDS and c.timing and c.content), None)
            if strong is not None:
                h.object(f"{strong.label} lines up and matches the failing code", strong.evidence[:1])
            under = next((c for c in found if c.explains and c.service == h.ref and c.kind in CHANGE_KINDS), None)
            if under is not None:
                h.object(f"{under.label} on {h.ref} explains why it ran out", under.evidence[:1])
            late = _saturated_late(findings, fmap, h.ref or "")
            if late:
                h.object(late[0], late[1])
        elif h.kind == "external":
            deeper = [r for r in fmap.roots if r != findings.service and r not in fmap.together]
            if deeper and h.ref not in ("shared-layer", "network"):
                h.object(f"{deeper[0]}, inside the catalog, is failing below the service", _first_ids(fmap, deeper[0]))


def _saturated_late(findings: Findings, fmap: FailureMap, service: str) -> tuple[str, list[str]] | None:
    """Saturation still ordinary when the failure began, high only well after: a consequence."""
    series = findings.series_of(service, "saturation")
    component = fmap.components.get(service)
    if series is None or component is None:
        return None
    at_onset = [v for t, v in zip(series.times, series.values, strict=True) if t <= component.onset][-3:]
    high = next((t for t, v in zip(series.times, series.values, strict=True) if v >= SATURATED), None)
    if not at_onset or max(at_onset) >= SATURATED or high is None or high - component.onset < LATE:
        return None
    minutes = int((high - component.onset).total_seconds() // 60)
    reason = f"{service}'s saturation was {max(at_onset):.0%} when it began failing, high only {minutes} min later"
    return reason, [series.evidence_id]


def calibrate(found: list[Hypothesis], *, has_conflicts: bool) -> None:
    """High needs timing and content, nothing unanswered against it, and no competing change
    left unexplained; conflicting signals and unexplained evidence against cap at medium."""
    for h in found:
        if h.against or has_conflicts:
            h.confidence = cap(h.confidence, "medium")
        if h.confidence == "high" and not (h.timing and h.content):
            h.confidence = "medium"
        if h.against and not h.explains and not (h.timing and h.content):
            # One line of evidence, and evidence against it that nothing answers.
            h.confidence = "low"
    for h in found:
        if h.confidence != "high":
            continue
        rivals = [
            r
            for r in found
            if r is not h
            and r.kind in CHANGE_KINDS
            and not r.ruled_out
            and not r.against
            and CONFIDENCE_RANK[r.confidence] >= 2
        ]
        if rivals:
            h.confidence = "medium"
            h.summary += f"; {rivals[0].label} is not ruled out"
