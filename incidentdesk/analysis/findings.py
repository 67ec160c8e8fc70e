"""What the evidence says before any conclusion: onsets, new errors, new log templates.

`read_findings` does the heavy lifting once; hypotheses, signals, severity and
actions all read the same `Findings`.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from incidentdesk.analysis.catalog import dependency_depths, known_names
from incidentdesk.analysis.content import (
    ChangeSummary,
    Footprint,
    change_key,
    deploy_change_key,
    summarise_change,
)
from incidentdesk.analysis.errors import ONSET_TOLERANCE, ErrorGroup, new_errors, read_errors
from incidentdesk.analysis.exposure import exposure_onset
from incidentdesk.analysis.inputs import EvidenceItem, RunFacts
from incidentdesk.analysis.logtemplates import (
    LogTemplate,
    TemplateVerdict,
    classify,
    group_logs,
    latest_burst_start,
)
from incidentdesk.analysis.metrics import Series, SeriesShift, read_series, shift_of
from incidentdesk.analysis.timeutil import parse_time

# How long before the start a trigger states its first sign may show in the evidence.
STATED_START_LEAD = timedelta(minutes=20)
# People notice within minutes; a sign this long before their "since" is the same trouble only
# when nothing closer shows, and metrics that moved even earlier are another problem.
NOTICED_WITHIN = timedelta(minutes=5)
REPORTED_LEAD = timedelta(minutes=30)
# How far back a reported exposure may have begun.
EXPOSURE_LOOKBACK = timedelta(days=14)
# How far back an error with no metric onset still counts as part of this incident.
ERROR_FALLBACK_WINDOW = timedelta(hours=6)
DEPENDENCY_LEAD = timedelta(minutes=60)
# A dependency the errors name may have been degrading this long before its callers broke.
EARLIEST_NAMED = timedelta(hours=6)
ALERTING_LEVELS = frozenset({"warning", "error", "critical", "fatal"})
MIN_BURST_LINES = 10
# This many new error lines of a service, in whatever templates, are a failure of it.
MIN_ERROR_BURST = 3
PRODUCTION = frozenset({"production", "prod", "prd", "live"})
# How a caller's error reads when it was only waiting on something else that failed.
_WAITING_ON_DEPENDENCY = re.compile(
    r"time[ds]?[ _-]?out|timeout|deadline exceeded|exceeded \d+\s*m?s\b|unavailable|\b50[234]\b"
    r"|connection (?:refused|reset)|circuit(?: breaker)? (?:is )?open|x509|certificate|\btls\b"
    r"|unreachable|no route|lost (?:\w+ )?(?:contact|connection)"
    r"|name resolution|name or service not known|unknownhost|nxdomain|servfail|could not resolve|no such host"
    r"|nodata|\b0 answers\b|no answers?\b|resolved to (?:0|zero|no) (?:addresses|records|hosts)",
    re.I,
)

# An error that reports a full queue or shed load says a limit was reached, not where code broke.
_SATURATED = re.compile(
    r"queue (?:is )?full|overload|too many (?:requests|connections|open files)|load.?shed|shedding load"
    r"|backpressure|capacity exceeded",
    re.I,
)


def is_production(environment: object) -> bool:
    return environment is None or str(environment).lower() in PRODUCTION or str(environment) == ""


@dataclass
class Findings:
    run: RunFacts
    catalog: dict
    items: dict[str, EvidenceItem]
    service: str | None
    depths: dict[str, int]  # dependencies of the run's service, transitively
    series: list[Series]
    shifts: list[SeriesShift]
    first_seen: datetime
    first_seen_basis: str
    run_onset: datetime | None  # the run's own service's earliest degraded symptom
    errors: list[ErrorGroup]
    new_errors: list[ErrorGroup]
    templates: list[TemplateVerdict]
    changes: dict[str, ChangeSummary]  # by change_key: PR number, or compare span
    pull_requests: dict[str, dict]  # by change_key
    footprints: dict[str, Footprint] = field(default_factory=dict)
    failing_dependencies: dict[str, datetime] = field(default_factory=dict)  # with their onsets

    @property
    def symptom_at(self) -> datetime:
        """When the run's own service began failing: the packet's first_seen. `first_seen` may be
        earlier, when a dependency failed first; the analysis reads the evidence from there."""
        return self.run_onset or self.first_seen

    @property
    def scope(self) -> set[str]:
        return ({self.service} if self.service else set()) | set(self.depths)

    def records(self, source: str) -> list[EvidenceItem]:
        return [i for i in self.items.values() if i.source == source]

    def degraded(self, service: str) -> list[SeriesShift]:
        return [s for s in self.shifts if s.service == service and s.degraded]

    def shift(self, service: str, name: str) -> SeriesShift | None:
        return next((s for s in self.shifts if s.service == service and s.name == name), None)

    def series_of(self, service: str | None, name: str) -> Series | None:
        return next((s for s in self.series if s.service == service and s.name == name), None)

    def new_templates(self, service: str | None = None, errors_only: bool = True) -> list[TemplateVerdict]:
        return [
            v
            for v in self.templates
            if v.kind == "new"
            and (service is None or v.template.service == service)
            and (v.template.is_error or not errors_only)
        ]

    def error_burst(self, service: str) -> list[TemplateVerdict]:
        """`service`'s error lines that are all new at the onset, when there are enough of them to
        be a failure, however varied: a network logs "link down", "BGP down", "unreachable" once each."""
        fresh = [
            v
            for v in self.templates
            if v.template.service == service and v.template.is_error and v.before == 0 and v.after >= 1
        ]
        return fresh if sum(v.after for v in fresh) >= MIN_ERROR_BURST else []

    def footprint(self, service: str) -> Footprint:
        return self.footprints.get(service) or Footprint()

    def change_key(self, deploy: dict) -> str | None:
        """Key in `changes` and `pull_requests` of what the deploy shipped, if it is known."""
        return deploy_change_key(deploy, self.pull_requests)

    def change_ids(self, key: str | None) -> list[str]:
        """Evidence ids of the pull_requests records under `key`."""
        return [i.id for i in self.records("pull_requests") if key is not None and change_key(i.data) == key]


def _failing_dependencies(findings: Findings) -> dict[str, datetime]:
    """Dependencies whose symptoms degraded, or whose traffic collapsed while their
    callers' errors name them (the calls no longer reach them)."""
    out: dict[str, datetime] = {}
    for s in findings.shifts:
        if s.service not in findings.depths:
            continue
        if s.degraded or (s.collapsed and mention_ids(findings, s.service)):
            out[s.service] = min(out.get(s.service, s.onset_at), s.onset_at)
    # A dependency whose metrics do not show it may still log its failure: new error lines.
    logged: dict[str, datetime] = {}
    for dep in findings.depths:
        times = [v.template.first_at for v in findings.error_burst(dep) if v.template.first_at]
        if times:
            logged[dep] = min(times)
    return {**logged, **out}


def _first_seen(
    run: RunFacts,
    service: str | None,
    depths: dict[str, int],
    shifts: list[SeriesShift],
    errors: list[ErrorGroup],
    items: list[EvidenceItem],
    logs: list[LogTemplate],
    pull_requests: dict[str, dict],
) -> tuple[datetime, str, datetime | None]:
    own = [s.onset_at for s in shifts if s.service == service and s.degraded]
    run_onset = min(own) if own else None
    reported = min((r.started_at for r in run.reports if r.started_at), default=None)
    if reported and (run_onset is None or run_onset < reported - REPORTED_LEAD):
        # People say when their trouble began; metrics that moved long before show another
        # problem (an attack the service was already riding out), not the one they report.
        signs = own + _signs(run, service, depths, errors, items, logs, pull_requests)
        start = reported
        # An exposure is reported when someone finds it, often days after it began.
        leads = (EXPOSURE_LOOKBACK,) if run.reports_data_exposure else (NOTICED_WITHIN, REPORTED_LEAD)
        for lead in leads:
            near = [t for t in signs if reported - lead <= t <= run.now]
            if near:
                start = min(near)
                break
        return start, "what people report", start
    limit = (run_onset or run.now) + timedelta(minutes=2)
    # A dependency that has been degraded for much longer than the symptom is a
    # separate, older problem; it does not move first_seen back.
    floor = (run_onset or run.now) - DEPENDENCY_LEAD
    deps = [s.onset_at for s in shifts if s.service in depths and s.degraded and floor <= s.onset_at <= limit]
    onsets = own + deps
    if onsets:
        return min(onsets), "metrics", run_onset
    fallback = _signs(run, service, depths, errors, items, logs, pull_requests)
    if fallback and run.started_at:
        # The trigger says when it began (an alert's start): an error that was already there
        # long before is another problem, not this one's start.
        near = [t for t in fallback if t >= run.started_at - STATED_START_LEAD]
        if near:
            return min(near), "errors, logs and monitors", None
    if fallback:
        return min(fallback), "errors, logs and monitors", None
    if run.started_at:
        return run.started_at, "trigger start", None
    return run.triggered_at, "trigger time", None


def _signs(
    run: RunFacts,
    service: str | None,
    depths: dict[str, int],
    errors: list[ErrorGroup],
    items: list[EvidenceItem],
    logs: list[LogTemplate],
    pull_requests: dict[str, dict],
) -> list[datetime]:
    """When the service's errors, alerting monitors, warning bursts and leaks began, in the
    hours before now: the symptom's start when no metric shows it."""
    fallback: list[datetime] = []
    for e in errors:
        if (
            e.service == service
            and e.first_seen
            and run.now - ERROR_FALLBACK_WINDOW <= e.first_seen <= run.now
        ):
            fallback.append(e.first_seen)
    for item in items:
        if (
            item.source == "monitors"
            and item.data.get("service") == service
            and item.data.get("status") == "alert"
        ):
            changed = parse_time(item.data.get("last_changed"))
            if changed and changed <= run.now:
                fallback.append(changed)
    for template in logs:
        # A log-based alert: the symptom began where the latest burst of warnings began.
        if template.service != service or template.level not in ALERTING_LEVELS or not template.times:
            continue
        start, count = latest_burst_start(template.times)
        if count >= MIN_BURST_LINES and run.now - ERROR_FALLBACK_WINDOW <= start <= run.now:
            fallback.append(start)
    if service:
        # Personal data showing up in the service's own logs or error events is the symptom. A
        # report of an exposure may come days after it began, and from under the service.
        deploys = [i for i in items if i.source == "deploys" and is_production(i.data.get("environment"))]
        reported = run.reports_data_exposure
        leak = exposure_onset(
            items, {service, *depths} if reported else {service}, pull_requests, deploys, now=run.now,
            window=EXPOSURE_LOOKBACK if reported else ERROR_FALLBACK_WINDOW,
        )
        if leak:
            fallback.append(leak)
    return fallback


def read_findings(*, run: RunFacts, catalog: dict, evidence: list[EvidenceItem]) -> Findings:
    findings = _read(run, catalog, evidence, None)
    earlier = _named_earlier(findings)
    if earlier is not None:
        # A dependency the errors name has been failing for longer than the usual lead: the
        # failure began there, so what is new is read from there.
        findings = _read(run, catalog, evidence, (earlier, "metrics", findings.run_onset))
    return findings


def _named_earlier(findings: Findings) -> datetime | None:
    """When a dependency named by its callers' new errors began failing, if that is more than
    the usual lead before the onset (a dependency degrading for hours before its callers break)."""
    floor = findings.first_seen - DEPENDENCY_LEAD
    found = []
    for dep in findings.depths:
        if not mention_ids(findings, dep):
            continue
        onsets = [s.onset_at for s in findings.degraded(dep)]
        onsets += [e.first_seen for e in findings.errors if e.service == dep and e.first_seen]
        early = [t for t in onsets if findings.first_seen - EARLIEST_NAMED <= t < floor]
        if early:
            found.append(min(early))
    return min(found) if found else None


def _read(
    run: RunFacts,
    catalog: dict,
    evidence: list[EvidenceItem],
    onset: tuple[datetime, str, datetime | None] | None,
) -> Findings:
    service = run.service
    depths = dependency_depths(catalog, service)
    series = read_series(evidence)
    shifts = [s for s in (shift_of(x) for x in series) if s is not None]
    errors = read_errors(evidence)
    grouped = group_logs(evidence)
    pull_requests = {change_key(i.data): i.data for i in evidence if i.source == "pull_requests"}
    first_seen, basis, run_onset = onset or _first_seen(
        run, service, depths, shifts, errors, evidence, grouped, pull_requests
    )
    scope = ({service} if service else set()) | set(depths)
    templates = [classify(t, first_seen) for t in grouped]
    findings = Findings(
        run=run,
        catalog=catalog,
        items={i.id: i for i in evidence},
        service=service,
        depths=depths,
        series=series,
        shifts=shifts,
        first_seen=first_seen,
        first_seen_basis=basis,
        run_onset=run_onset,
        errors=errors,
        new_errors=new_errors(errors, first_seen, scope),
        templates=templates,
        changes={number: summarise_change(pr) for number, pr in pull_requests.items()},
        pull_requests=pull_requests,
    )
    findings.failing_dependencies = failing = _failing_dependencies(findings)
    for name in scope:
        below = {d: t for d, t in failing.items() if d in dependency_depths(catalog, name)}
        footprint = Footprint()
        for error in findings.new_errors:
            if error.service != name or _SATURATED.search(error.text):
                continue
            if not _waiting_on(findings, below, error.text, error.first_seen):
                for filename, function in error.frames:
                    footprint.add_frame(filename, function)
                footprint.add_culprit(error.culprit)
                footprint.add_text(error.text)
        for verdict in findings.new_templates(name):
            t = verdict.template
            text = raw_text(findings, t)
            if not _SATURATED.search(text) and not _waiting_on(findings, below, text, t.first_at):
                footprint.add_text(t.template)
        findings.footprints[name] = footprint
    return findings


def _waiting_on(findings: Findings, below: dict[str, datetime], text: str, when: datetime | None) -> bool:
    """The error started after a dependency of its service failed and reads as waiting on
    it (names it, or times out or cannot connect): its stack shows where the caller
    waited, not what broke, so it does not tie a change of the caller to the failure."""
    started = [d for d, onset in below.items() if when is None or onset <= when + ONSET_TOLERANCE]
    if not started:
        return False
    if _WAITING_ON_DEPENDENCY.search(text):
        return True
    return any(names_any(text, names_for(findings.catalog, d)) for d in started)


def raw_text(findings: Findings, template: LogTemplate) -> str:
    """A template with a sample line as it was logged: masking hides hosts and URLs."""
    sample = findings.items.get(template.evidence_ids[0]) if template.evidence_ids else None
    raw = str(sample.data.get("message") or "") if sample else ""
    return f"{template.template} {raw}"


def names_for(catalog: dict, service: str) -> set[str]:
    """A service's catalog name and aliases, lower-cased, as they may appear in text."""
    return {alias for alias, name in known_names(catalog).items() if name == service and len(alias) >= 4}


def callers_of(findings: Findings, service: str) -> set[str]:
    """The run's service and every in-scope service that calls `service` directly."""
    callers = {findings.service} if findings.service else set()
    for entry in findings.catalog.get("services") or []:
        if entry.get("name") in findings.scope and service in (entry.get("depends_on") or []):
            callers.add(entry["name"])
    return callers - {service}


def mention_ids(findings: Findings, service: str) -> list[str]:
    """Evidence ids of new errors and error templates of `service`'s callers that name it."""
    names = names_for(findings.catalog, service)
    callers = callers_of(findings, service)
    ids: list[str] = []
    for error in findings.new_errors:
        if error.service in callers and names_any(error.text, names):
            ids.append(error.evidence_id)
    for verdict in findings.new_templates():
        if verdict.template.service in callers and names_any(raw_text(findings, verdict.template), names):
            ids.append(verdict.template.evidence_ids[0])
    return ids[:3]


def names_any(text: str, names: set[str]) -> bool:
    lowered = text.lower()
    return any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", lowered) for n in names)
