"""All candidate causes, weighed against each other and ranked best first.

The reasoning, in order: every change is a candidate (deploys and flags of the service and of
its dependencies, calendar entries, changes seen only in logs); the failure is followed down its
chain of failing dependencies, and the change at the end of the chain explains it; failures that
started together with no path between them point at a shared layer; an old change whose code is
in the failing frames outranks a recent one whose code is not, with whatever set it off cited as
the trigger; each hypothesis lists what speaks against it; and none claims more confidence than
its evidence allows. When nothing explains the chain, the packet says so and names the check
that would decide it.
"""

from datetime import timedelta

from incidentdesk.analysis.catalog import team_of
from incidentdesk.analysis.chain import FailureMap, read_failure_map
from incidentdesk.analysis.changes import calendar_hypotheses, deploy_hypotheses, flag_hypotheses
from incidentdesk.analysis.explain import explain_roots, mark_victims
from incidentdesk.analysis.findings import Findings
from incidentdesk.analysis.hypothesis import CONFIDENCE_RANK, Hypothesis, cap, ranked, unknown
from incidentdesk.analysis.layers import network_path_hypothesis, shared_layer_hypotheses
from incidentdesk.analysis.logchanges import LogChange, log_changes
from incidentdesk.analysis.logged import log_change_hypotheses
from incidentdesk.analysis.objections import add_objections, calibrate
from incidentdesk.analysis.systems import capacity_hypotheses, dependency_hypotheses, external_hypotheses
from incidentdesk.analysis.timeutil import SKEW, hhmm, parse_time

# Content that shipped this long before the onset and ran fine needs something that set it off.
DORMANT = timedelta(hours=6)
# What happened this close before the onset can be what set off a dormant change.
TRIGGER_WINDOW = timedelta(minutes=15)
MAX_LISTED = 6
CHANGE_SOURCES = ("deploys", "pull_requests", "feature_flags", "change_calendar", "logs")


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


def _triggers(findings: Findings, logged: list[LogChange]) -> list[tuple[str, list[str]]]:
    """What happened just before the onset that could set off a change that shipped long ago:
    a change or an event of the environment in the logs, a traffic surge."""
    onset = findings.first_seen
    out: list[tuple[str, list[str]]] = []
    for change in logged:
        if onset - TRIGGER_WINDOW <= change.first_at <= onset + SKEW:
            text = " ".join(change.quoted.split())[:80]
            out.append((f"'{text}' at {hhmm(change.first_at)}", list(change.evidence_ids[:1])))
    traffic = findings.shift(findings.service or "", "requests_per_s")
    if (
        traffic
        and traffic.rose
        and traffic.ratio >= 1.5
        and onset - 2 * TRIGGER_WINDOW <= traffic.onset_at <= onset + SKEW
    ):
        out.append((f"traffic rising {traffic.ratio:.1f}x from {hhmm(traffic.onset_at)}", [traffic.evidence_id]))
    return out


def _weigh_changes(findings: Findings, changes: list[Hypothesis], triggers: list[tuple[str, list[str]]]) -> None:
    """Confidence for deploys and flags, which compete with each other on timing and content."""
    live = [h for h in changes if not h.ruled_out and h.evidence]
    strong = [h for h in live if h.timing and h.content]
    timing_only = [h for h in live if h.timing and not h.content]
    content_only = [h for h in live if h.content and not h.timing]
    for h in changes:
        if h.ruled_out or not h.evidence:
            h.confidence = "low"
        elif h.timing and h.content:
            h.confidence = "high"
        elif h.timing:
            # Several changes with similar timing and nothing to tell them apart: low.
            alone = len(timing_only) == 1 and not strong and not content_only
            h.confidence = "medium" if alone else "low"
        elif h.content:
            if strong:
                h.confidence = "low"
                h.summary += f"; shipped earlier, {strong[0].kind.replace('_', ' ')} {strong[0].ref} set it off"
            elif _age(findings, h) <= DORMANT:
                h.confidence = "medium"
            elif triggers:
                # A latent bug: the change is the cause, what happened at the onset the trigger.
                text, ids = triggers[0]
                h.confidence = "medium"
                h.summary += f"; it lay dormant until {text} set it off"
                h.evidence += [i for i in ids if i not in h.evidence]
            else:
                h.confidence = "low"
        else:
            h.confidence = "low"


def _explained_by_capacity(found: list[Hypothesis], outside: list[Hypothesis]) -> None:
    """A failing dependency that ran out of capacity, traffic and saturation lining up, is
    explained by that: the capacity hypothesis on it goes first."""
    for capacity in outside:
        if capacity.kind != "capacity" or not (capacity.timing and capacity.content):
            continue
        if any(h.explains and h.service == capacity.ref for h in found):
            continue  # a change on it explains the saturation too
        for h in found:
            if h.kind == "dependency" and h.ref == capacity.ref and not h.explains:
                capacity.explains = True
                h.confidence = cap(h.confidence, "medium")
                h.explained_by = "its capacity"
                h.summary += "; explained by it running out of capacity"


def _settled(found: list[Hypothesis]) -> bool:
    """Something other than capacity or a third party explains the failure on its own."""
    return any(
        h.kind not in ("capacity", "external")
        and not h.against
        and CONFIDENCE_RANK[h.confidence] >= 2
        and ((h.timing and h.content) or h.explains)
        for h in found
    )


def build_hypotheses(
    findings: Findings, *, has_conflicts: bool, missing: frozenset[str] = frozenset()
) -> list[Hypothesis]:
    """Ranked hypotheses, best first; `missing` names the sources that did not answer."""
    fmap = read_failure_map(findings)
    logged = log_changes(findings, {name: c.onset for name, c in fmap.components.items()})
    changes = deploy_hypotheses(findings) + flag_hypotheses(findings)
    _weigh_changes(findings, changes, _triggers(findings, logged))
    calendar = calendar_hypotheses(findings)
    found = changes + dependency_hypotheses(findings, fmap) + calendar
    found += log_change_hypotheses(findings, fmap, logged, calendar)
    found += shared_layer_hypotheses(findings, fmap, logged, found)
    path = network_path_hypothesis(findings, fmap, found)
    found += [path] if path else []
    mark_victims(fmap, found)
    onsets = {name: c.onset for name, c in fmap.components.items()}
    unexplained = explain_roots(findings, fmap, found, log_changes(findings, onsets, during=True))
    outside = capacity_hypotheses(findings) + external_hypotheses(findings)
    _explained_by_capacity(found, outside)
    found += outside
    add_objections(findings, fmap, found)
    if _settled(found):
        for h in outside:
            if not h.explains:
                h.confidence = "low"
    calibrate(found, has_conflicts=has_conflicts)
    for h in found:
        if h.kind != "unknown" and not h.evidence:
            # Every hypothesis cites something; ruled-out ones cite what rules them out.
            h.evidence = list(h.against)
    ordered = _once_each(ranked([h for h in found if h.evidence]))
    if not ordered or CONFIDENCE_RANK[ordered[0].confidence] < 2:
        ordered.insert(0, _not_known(findings, fmap, unexplained, ordered, missing))
    return ordered[:MAX_LISTED]


def _once_each(ordered: list[Hypothesis]) -> list[Hypothesis]:
    """One hypothesis per named thing (two ways of finding the same provider are one), the best kept."""
    seen: set[tuple[str, str]] = set()
    out = []
    for h in ordered:
        if h.ref:
            if (h.kind, h.ref) in seen:
                continue
            seen.add((h.kind, h.ref))
        out.append(h)
    return out


def _not_known(
    findings: Findings,
    fmap: FailureMap,
    unexplained: list[str],
    ordered: list[Hypothesis],
    missing: frozenset[str],
) -> Hypothesis:
    """"Not known yet", why, and the one check that would decide it."""
    onset = findings.first_seen
    service = findings.service or "the service"
    if not findings.degraded(findings.service or "") and not findings.new_errors and len(fmap.components) <= 1:
        reason = "the service's own metrics and errors do not show the failure"
        check = "confirm the alert on real traffic: the monitor's query and a sample of failing requests"
    elif unexplained:
        root = unexplained[0]
        team = team_of(findings.catalog, root) or {}
        who = f"{team.get('name')} on-call" + (f" ({team['oncall']})" if team.get("oncall") else "")
        reason = f"{root} is failing under {service} and nothing in the evidence says why"
        check = (
            f"ask {who} what changed on {root} around {hhmm(onset)}: deploys, config or infrastructure"
            " changes outside the pipeline"
        )
    elif len(contenders := [h for h in ordered if h.kind != "unknown" and h.timing][:2]) == 2:
        a, b = contenders
        reason = f"{a.label} and {b.label} both line up with the onset and nothing tells them apart"
        check = f"split the failing requests by version or host: do they follow {a.label} or {b.label}?"
    elif gone := [s for s in CHANGE_SOURCES if s in missing]:
        reason = f"{', '.join(gone)} did not answer, and the change may be there"
        check = f"read {gone[0].replace('_', ' ')} directly for {service} around {hhmm(onset)}"
    else:
        reason = "no deploy, flag change, dependency or capacity change lines up with the onset"
        check = (
            f"look for changes outside the pipeline on {service}'s hosts in the hour before {hhmm(onset)}:"
            " package upgrades, config pushes, restarts, certificate rotation"
        )
    h = unknown(f"{reason}. The check that would decide it: {check}")
    h.check = check
    return h
