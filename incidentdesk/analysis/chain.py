"""The failure as a chain: which services in scope are failing, whose failure is downstream
of whose, where each chain ends, and which failures started together with no path between them.

A failing dependency is a finding, not a cause: the chain is followed down to the deepest
failing component, and only a change on that component (or nothing found there) says why.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from incidentdesk.analysis.catalog import dependency_depths, services_by_name
from incidentdesk.analysis.findings import Findings, callers_of, names_any, names_for, raw_text
from incidentdesk.analysis.logshifts import LogShift, log_shifts, quotes
from incidentdesk.analysis.metrics import SYMPTOM_METRICS

# Failures that start this close together with no dependency path between them share a cause.
TOGETHER = timedelta(minutes=5)
# New error lines of one template on two services, at least this many each, are one failure.
MIN_SHARED_ERRORS = 3
# A dependency failing this long before its caller is a separate, older problem.
LEAD = timedelta(minutes=60)
# Log lines this close to the start of a service's logs cannot be told apart from background.
UNSEEN_MARGIN = timedelta(minutes=10)


@dataclass
class Component:
    service: str
    onset: datetime
    evidence: list[str] = field(default_factory=list)  # its own degraded metrics, errors, alerts
    named_by: list[str] = field(default_factory=list)  # callers' new errors naming it
    flat: list[str] = field(default_factory=list)  # its symptom metrics that stay flat
    shifts: list[LogShift] = field(default_factory=list)  # numbers in its recurring lines that jumped

    @property
    def degraded(self) -> bool:
        return bool(self.evidence)


@dataclass(frozen=True)
class Link:
    """The caller's failure is downstream of the callee's."""

    caller: str
    callee: str
    evidence: tuple[str, ...]  # the caller's errors naming the callee, or the callee's failure


@dataclass
class FailureMap:
    service: str | None
    components: dict[str, Component]
    links: list[Link]
    shared: str | None = None  # a catalog dependency common to failures that started together
    together: list[str] = field(default_factory=list)  # failures with no path between them

    def failing(self, service: str | None) -> bool:
        return bool(service) and service in self.components

    def below(self, service: str) -> list[Link]:
        return [link for link in self.links if link.caller == service]

    def reachable(self) -> list[str]:
        """Failing services the run's failure leads to, nearest first."""
        if not self.service:
            return []
        seen = [self.service]
        for name in seen:
            seen += [link.callee for link in self.below(name) if link.callee not in seen]
        return seen

    @property
    def roots(self) -> list[str]:
        """Where the chains from the run's service end: failing, with nothing failing below."""
        return [name for name in self.reachable() if not self.below(name) and self.failing(name)]

    def path(self, root: str) -> list[str]:
        """The run's service, the failing services in between, and `root`."""
        if not self.service:
            return [root]
        trail = {self.service: [self.service]}
        queue = [self.service]
        for name in queue:
            for link in self.below(name):
                if link.callee not in trail:
                    trail[link.callee] = trail[name] + [link.callee]
                    queue.append(link.callee)
        return trail.get(root, [root])

    def first_evidence(self, service: str) -> list[str]:
        """Up to two evidence ids that show `service` failing: callers naming it, then its own."""
        component = self.components.get(service)
        return (component.named_by + component.evidence)[:2] if component else []

    def link(self, caller: str, callee: str) -> Link | None:
        return next((lk for lk in self.links if lk.caller == caller and lk.callee == callee), None)

    def downstream_of(self, service: str) -> str | None:
        """The root below `service` when `service` is only in the middle of a chain."""
        if service not in self.reachable() or not self.below(service):
            return None
        for root in self.roots:
            if service in self.path(root)[:-1]:
                return root
        return None


def _mentions(findings: Findings, service: str) -> list[tuple[str, str, datetime | None]]:
    """(evidence id, caller, when) of callers' new errors and error templates that name `service`."""
    names = names_for(findings.catalog, service)
    callers = callers_of(findings, service)
    found: list[tuple[str, str, datetime | None]] = []
    for error in findings.new_errors:
        if error.service in callers and names_any(error.text, names):
            found.append((error.evidence_id, error.service, error.first_seen))
    for verdict in findings.new_templates():
        t = verdict.template
        if t.service in callers and names_any(raw_text(findings, t), names):
            found.append((t.evidence_ids[0], t.service, t.first_at))
    return found


def fresh_mentions(findings: Findings, service: str, target: str, since: datetime) -> list[str]:
    """Evidence ids of `service`'s log templates, at any level, that first appear from `since`
    on and name `target`: how a component says what it was reacting to when it began failing."""
    return fresh_naming(findings, service, names_for(findings.catalog, target), since)


def fresh_naming(findings: Findings, service: str, names: set[str], since: datetime) -> list[str]:
    """Evidence ids of `service`'s log templates new from `since` on whose lines contain any of `names`."""
    return [i for i, text in fresh_lines(findings, service, since) if names_any(text, names)][:2]


def fresh_lines(findings: Findings, service: str, since: datetime) -> list[tuple[str, str]]:
    """(evidence id, text) of what `service` began to log or raise from `since` on, at any level:
    its log templates not seen before, and its new error groups."""
    earliest = min((t.template.first_at for t in findings.templates if t.template.service == service
                    and t.template.first_at), default=None)
    out = []
    for verdict in findings.templates:
        t = verdict.template
        if t.service != service or not t.first_at or t.first_at < since or earliest is None:
            continue
        if t.first_at - earliest >= UNSEEN_MARGIN:
            out.append((t.evidence_ids[0], raw_text(findings, t)))
    out += [(e.evidence_id, e.text) for e in findings.new_errors if e.service == service]
    return out


# Ids and versions: letters and digits mixed (`v88213`, `5dQm1xT0cVq2`).
_MARK = re.compile(r"\b(?=[\w.-]*[a-z])(?=[\w.-]*\d)[\w.-]{4,}\b", re.IGNORECASE)


def passed_on(findings: Findings, service: str, source: str, since: datetime) -> list[str]:
    """Evidence ids of `service`'s new lines that carry a mark (a version, a revision: `v88213`)
    that `source`'s new lines carry too: what `service` applied came from `source`."""
    theirs = {m.lower() for _, text in fresh_lines(findings, source, since) for m in _MARK.findall(text)}
    return [i for i, text in fresh_lines(findings, service, since)
            if {m.lower() for m in _MARK.findall(text)} & theirs][:2]


def _own_failure(findings: Findings, service: str) -> tuple[list[str], datetime | None]:
    """What shows `service` itself failing: its symptom metrics, else its own new errors and
    error log lines (a network's "link down", a database's "no primary")."""
    shifts = findings.degraded(service)
    errors = [(e.evidence_id, e.first_seen) for e in findings.new_errors if e.service == service and e.first_seen]
    errors += [(v.template.evidence_ids[0], v.template.first_at) for v in findings.error_burst(service)
               if v.template.first_at]
    if shifts:
        # Its own new errors may show it failing before its metrics move past their band.
        return [s.evidence_id for s in shifts], min([s.onset_at for s in shifts] + [w for _, w in errors])
    if errors:
        return [i for i, _ in errors][:2], min(when for _, when in errors)
    collapsed = [s for s in findings.shifts if s.service == service and s.collapsed]
    return [], min(s.onset_at for s in collapsed) if collapsed else None


def flat_series(findings: Findings, service: str) -> list[str]:
    """Evidence ids of `service`'s symptom metrics that stay flat."""
    out = []
    for name in SYMPTOM_METRICS:
        series = findings.series_of(service, name)
        shift = findings.shift(service, name)
        if series and series.values and (shift is None or not shift.degraded):
            out.append(series.evidence_id)
    return out


def read_failure_map(findings: Findings) -> FailureMap:
    run_service = findings.service
    components: dict[str, Component] = {}
    if run_service:
        components[run_service] = Component(
            run_service,
            findings.run_onset or findings.first_seen,
            evidence=[s.evidence_id for s in findings.degraded(run_service)],
            flat=flat_series(findings, run_service),
        )
    floor = (findings.run_onset or findings.first_seen) - LEAD
    mentions = {dep: _mentions(findings, dep) for dep in findings.depths}
    shifted: dict[str, list[LogShift]] = {}
    for shift in log_shifts(findings, findings.symptom_at):
        shifted.setdefault(shift.service, []).append(shift)
    for dep in findings.depths:
        ids, onset = _own_failure(findings, dep)
        if dep in shifted and not ids:
            # Its output changed at the onset though nothing of it errs: a failure in content.
            ids = [shift.evidence_ids[1] for shift in shifted[dep]][:2]
            onset = min(shift.at for shift in shifted[dep])
        named = mentions[dep]
        if onset is not None and not ids and not named:
            onset = None  # traffic falling away alone may be the callers' own doing
        if onset is not None and onset < floor and not named:
            onset, ids = None, []  # an older, separate problem, unless the callers' errors name it
        if onset is None and named:
            times = [when for _, _, when in named if when]
            onset = min(times) if times else findings.first_seen
        if onset is None:
            continue
        components[dep] = Component(
            dep,
            onset,
            evidence=ids,
            named_by=[i for i, _, _ in named][:3],
            flat=flat_series(findings, dep),
            shifts=shifted.get(dep, []),
        )
    links = _links(findings, components, mentions)
    fmap = FailureMap(run_service, components, links)
    fmap.together, fmap.shared = _together(findings, fmap)
    return fmap


def _quoting(findings: Findings, caller: str, onset: datetime, shifts: list[LogShift]) -> list[str]:
    """The caller's new lines that quote a number a dependency's output has just jumped to."""
    lines = fresh_lines(findings, caller, onset - LEAD / 4)
    return [i for shift in shifts for i, text in lines if quotes(text, shift.after)][:2]


def _minute(moment: datetime) -> datetime:
    """Metric onsets are to the minute; a log line seconds later is the same minute."""
    return moment.replace(second=0, microsecond=0)


def _links(
    findings: Findings,
    components: dict[str, Component],
    mentions: dict[str, list[tuple[str, str, datetime | None]]],
) -> list[Link]:
    graph = services_by_name(findings.catalog)
    links: list[Link] = []
    for caller, component in components.items():
        direct = set((graph.get(caller) or {}).get("depends_on") or [])
        for callee in dependency_depths(findings.catalog, caller):
            if callee not in components or callee == caller:
                continue
            below = components[callee]
            named = [i for i, who, _ in mentions.get(callee, []) if who == caller]
            named += _quoting(findings, caller, component.onset, below.shifts)
            # By timing alone only when the caller shows no failure of its own (a crash in its
            # own code fails it whatever its dependencies do), or when what changed below is the
            # dependency's output, which the caller's own code then chokes on.
            first = _minute(below.onset) <= _minute(component.onset) and (
                findings.footprint(caller).empty or bool(below.shifts)
            )
            if named or (callee in direct and first and below.degraded):
                links.append(Link(caller, callee, tuple(named[:2] or below.evidence[:1])))
    # A direct link hides a longer one through a failing service in between.
    return [
        lk
        for lk in links
        if not any(
            mid.caller == lk.caller and any(x.caller == mid.callee and x.callee == lk.callee for x in links)
            for mid in links
        )
    ]


def same_new_error(findings: Findings, services: set[str]) -> dict[str, list[str]]:
    """Failing services that began logging the same new error (by template): one cause under
    all of them, however they call each other."""
    by_shape: dict[str, list[str]] = {}
    for verdict in findings.templates:
        t = verdict.template
        if t.service in services and t.is_error and verdict.before == 0 and verdict.after >= MIN_SHARED_ERRORS:
            by_shape.setdefault(template_shape(t.template), []).append(t.service)
    return {k: sorted(set(v)) for k, v in by_shape.items() if len(set(v)) >= 2}


def template_shape(template: str) -> str:
    """A template with the names of services and hosts taken out, to compare across services."""
    return re.sub(r"\b[\w.-]*(?:host|node|svc|pod|ip)[\w.-]*\b", "<*>", template.lower())


def _together(findings: Findings, fmap: FailureMap) -> tuple[list[str], str | None]:
    """Failing services that started within minutes of each other with no path between them,
    and the catalog dependency they all share, if any."""
    comps = fmap.components
    connected = {(lk.caller, lk.callee) for lk in fmap.links}
    for a in comps:
        for b in dependency_depths(findings.catalog, a):
            if b in comps:
                connected.add((a, b))
    peers: list[str] = []
    for a in comps:
        for b in comps:
            if a >= b or (a, b) in connected or (b, a) in connected:
                continue
            if not (comps[a].degraded and comps[b].degraded):
                continue
            if abs(comps[a].onset - comps[b].onset) <= TOGETHER:
                peers += [x for x in (a, b) if x not in peers]
    for group in same_new_error(findings, set(comps)).values():
        peers += [x for x in group if x not in peers]
    if len(peers) < 2:
        return [], None
    common = set(findings.depths) - set(peers)
    for name in peers:
        common &= set(dependency_depths(findings.catalog, name))
    # The nearest shared dependency is the likeliest shared layer.
    shared = min(common, key=lambda d: (findings.depths.get(d, 99), d)) if common else None
    return peers, shared
