"""Hypotheses from changes seen only in logs: on a failing service, on a healthy one a failing
service depends on (a lead the chain may follow), from a third party's agent; and the calendar
entries such lines confirm."""

import re
from datetime import timedelta

from incidentdesk.analysis.catalog import services_by_name
from incidentdesk.analysis.chain import FailureMap, fresh_lines, passed_on
from incidentdesk.analysis.changes import CLOSE_BEFORE
from incidentdesk.analysis.findings import Findings
from incidentdesk.analysis.hypothesis import Hypothesis, short_quote
from incidentdesk.analysis.logchanges import CHANGE_LINE, LogChange, shared_changes
from incidentdesk.analysis.timeutil import SKEW, hhmm, human_gap, parse_time
from incidentdesk.analysis.wording import tied

# A calendar window this close around a change line covers it.
WINDOW_SLACK = timedelta(minutes=15)


def covering_calendar(change: LogChange, calendar: list[Hypothesis], findings: Findings) -> Hypothesis | None:
    for h in calendar:
        item = findings.items.get(h.evidence[0]) if h.evidence else None
        if item is None:
            continue
        start, end = parse_time(item.data.get("start")), parse_time(item.data.get("end"))
        services = set(item.data.get("services") or [])
        if start is None:
            continue
        end = end or start
        if (not services or change.service in services) and (
            start - WINDOW_SLACK <= change.first_at <= end + WINDOW_SLACK
        ):
            return h
    return None


def log_change_hypotheses(
    findings: Findings, fmap: FailureMap, changes: list[LogChange], calendar: list[Hypothesis]
) -> list[Hypothesis]:
    """Changes that show only in logs, on a failing service; a calendar entry that covers one
    gains it as independent confirmation instead."""
    out: list[Hypothesis] = []
    shared = {c for group in shared_changes(changes) for c in group}
    for change in changes:
        if change.environment or change in shared:
            continue
        covering = covering_calendar(change, calendar, findings)
        if covering is not None:
            if not set(change.evidence_ids) & set(covering.evidence):
                covering.evidence += list(change.evidence_ids[:1])
            if "logs show it" not in covering.summary:
                covering.summary += f"; {change.service}'s logs show it from {hhmm(change.first_at)}"
            continue
        if not fmap.failing(change.service):
            below = _under_failing(findings, fmap, change.service)
            if below:
                # A change on a healthy service a failing one depends on: a lead the chain may
                # follow (when the failing one's lines name it or what it published).
                out.append(Hypothesis(
                    "config_change", None, "low",
                    f"A change seen only in {change.service}'s logs from {hhmm(change.first_at)}:"
                    f" '{short_quote(change.quoted)}' ({change.count} lines); {below} depends on it and is failing",
                    evidence=list(change.evidence_ids), service=change.service, timing=True, closeness=0.0,
                    on_healthy=True, ruled_out=True, against=list(change.evidence_ids),
                ))
            continue
        upstream = _applied_from(findings, change)
        component = fmap.components[change.service]
        # Before the component failed, or before the failure reached the paged service.
        after = [t for t in (component.onset, findings.symptom_at) if t >= change.first_at - SKEW]
        failed = min(after) if after else component.onset
        gap = (failed - change.first_at).total_seconds()
        # The change is tied to the failure when callers' errors point at the component it hit,
        # or when the component's own new lines echo it; a change line on the paged service
        # itself with nothing tying it stays a lead, not a cause.
        echoed = any(
            tied(change.sample, text) or _names_program(change.program, text)
            for i, text in fresh_lines(findings, change.service, change.first_at)
            if i not in change.evidence_ids and not CHANGE_LINE.search(text)
        )
        pointed_at = change.service in fmap.roots and (
            echoed or (change.service != findings.service and bool(component.named_by or component.evidence))
        )
        who = change.service if failed == component.onset else findings.service
        when = f"{human_gap(max(gap, 0))} before {who} began failing"
        h = Hypothesis(
            "config_change",
            None,
            "low",
            f"A change seen only in {change.service}'s logs from {hhmm(change.first_at)}:"
            f" '{short_quote(change.quoted)}' ({change.count} lines), {when}",
            evidence=[*change.evidence_ids, *fmap.first_evidence(change.service)],
            service=change.service,
            timing=True,
            content=pointed_at,
            echo=echoed,
            closeness=-max(gap, 0),
        )
        if upstream:
            # It applied what a dependency published: the change is there, not here.
            source, ids = upstream
            h.content, h.confidence = False, "low"
            h.object(f"{change.service} applied what {source} published", ids)
        if change.from_vendor:
            # A third party's agent changed under the service: outside the catalog.
            h.kind, h.ref, h.service, h.explains = "external", change.program or "agent", None, pointed_at
            h.summary = (
                f"A third party's update reached {change.service}'s hosts at {hhmm(change.first_at)}:"
                f" '{short_quote(change.quoted)}', {when}"
            )
        h.confidence = "medium" if pointed_at else "low"
        out.append(h)
    return out


def _under_failing(findings: Findings, fmap: FailureMap, service: str) -> str | None:
    """A failing service that depends directly on `service`."""
    graph = services_by_name(findings.catalog)
    return next((name for name in fmap.components if service in ((graph.get(name) or {}).get("depends_on") or [])),
                None)


def _applied_from(findings: Findings, change: LogChange) -> tuple[str, list[str]] | None:
    """The dependency whose newly published version a change line applied (`poll: v1 -> v2, applying`)."""
    below = (services_by_name(findings.catalog).get(change.service) or {}).get("depends_on") or []
    for source in below:
        ids = passed_on(findings, source, change.service, change.first_at - CLOSE_BEFORE)
        if ids and set(passed_on(findings, change.service, source, change.first_at - CLOSE_BEFORE)) & set(
            change.evidence_ids
        ):
            return source, ids
    return None


def _names_program(program: str | None, text: str) -> bool:
    """The failure names the program that changed (`HalberdSensor` in `halberd_sensor.sys`)."""
    if not program or len(program) < 5:
        return False
    squash = re.sub(r"[\W_]+", "", text.lower())
    return re.sub(r"[\W_]+", "", program.lower()) in squash
