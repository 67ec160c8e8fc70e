"""Conflicts: signals that disagree, which lower how sure the desk can be."""

import statistics

from incidentdesk.analysis.errors import ErrorGroup
from incidentdesk.analysis.exposure import exposure_records
from incidentdesk.analysis.findings import ALERTING_LEVELS, Findings
from incidentdesk.analysis.metrics import (
    DEGRADED_RATIO,
    METRIC_LABELS,
    SYMPTOM_METRICS,
    Series,
    SeriesShift,
    format_value,
)

# An error group this small says little about request metrics either way.
MIN_TRACKER_EVENTS = 100
# Without traffic to compare with, this many events of one new error is loud.
LOUD_TRACKER_EVENTS = 1000


def _is_synthetic(monitor: dict) -> bool:
    text = f"{monitor.get('name', '')} {monitor.get('metric', '')}".lower()
    return "synthetic" in text or monitor.get("metric") not in METRIC_LABELS


def build_conflicts(findings: Findings) -> list[dict]:
    out: list[dict] = []
    monitors = findings.records("monitors")
    for item in monitors:
        m = item.data
        service, metric = m.get("service"), m.get("metric")
        if m.get("status") != "alert":
            continue
        if metric in METRIC_LABELS:
            series = findings.series_of(service, metric)
            shift = findings.shift(service, metric)
            if series and (shift is None or shift.onset.recovered):
                out.append(
                    {
                        "text": f"Monitor '{m.get('name')}' is in alert while {service}'s"
                        f" {METRIC_LABELS[metric].lower()} is flat",
                        "evidence": [item.id, series.evidence_id],
                    }
                )
        elif _is_synthetic(m) and service == findings.service:
            healthy = [findings.series_of(service, name) for name in SYMPTOM_METRICS]
            healthy = [s for s in healthy if s is not None]
            if healthy and not findings.degraded(service):
                out.append(
                    {
                        "text": f"Check '{m.get('name')}' is failing while {service}'s own error rate"
                        " and latency are flat",
                        "evidence": [item.id, *(s.evidence_id for s in healthy)],
                    }
                )
    for a in monitors:
        if a.data.get("status") != "alert" or not _is_synthetic(a.data):
            continue
        for b in monitors:
            if (
                b.data.get("status") == "ok"
                and b.data.get("service") == a.data.get("service")
                and _is_synthetic(b.data)
                and b.id != a.id
            ):
                out.append(
                    {
                        "text": f"Monitors disagree: '{a.data.get('name')}' is failing,"
                        f" '{b.data.get('name')}' passes",
                        "evidence": [a.id, b.id],
                    }
                )
                break
    out += _sources_disagree(findings)
    out += _tracker_disagrees(findings)
    if not out:
        out += _report_unsupported(findings)
    return out


def _report_unsupported(findings: Findings) -> list[dict]:
    """The trigger reports a problem that nothing the desk can read shows: symptom metrics
    flat, no monitor of the service failing, no new errors or error logs, no data risk."""
    service = findings.service or ""
    healthy = [s for s in (findings.series_of(service, n) for n in (*SYMPTOM_METRICS, "requests_per_s")) if s]
    if not healthy or findings.degraded(service) or findings.failing_dependencies:
        return []
    monitors = [i for i in findings.records("monitors") if i.data.get("service") == service]
    if any(m.data.get("status") in ("alert", "warn", "no_data") for m in monitors):
        return []
    if (
        findings.new_errors
        or findings.new_templates()
        or exposure_records(findings.records("logs") + findings.records("errors"), findings.scope)
    ):
        return []
    if any(v.kind == "burst" and v.template.level in ALERTING_LEVELS for v in findings.templates):
        return []
    passing = [m.id for m in monitors if m.data.get("status") == "ok"]
    return [
        {
            "text": f"The report of a problem with {service} is not borne out by its own evidence:"
            f" {', '.join(METRIC_LABELS[s.name].lower() for s in healthy)} are flat"
            + (" and its monitors pass" if passing else ""),
            "evidence": [s.evidence_id for s in healthy] + passing[:2],
        }
    ]


def _is_flat(shift: SeriesShift | None) -> bool:
    return shift is None or shift.onset.recovered or not shift.rose


def _sources_disagree(findings: Findings) -> list[dict]:
    """The same symptom of the same service, measured by two sources: one degraded, one flat."""
    shifts = {s.evidence_id: s for s in findings.shifts}
    groups: dict[tuple[str, str], list[Series]] = {}
    for series in findings.series:
        if series.name in SYMPTOM_METRICS and series.service in findings.scope and series.values:
            groups.setdefault((series.service, series.name), []).append(series)
    out = []
    for (service, name), group in groups.items():
        moved = [s for s in group if s.evidence_id in shifts and shifts[s.evidence_id].degraded]
        flat = [s for s in group if _is_flat(shifts.get(s.evidence_id))]
        if not moved or not flat:
            continue
        a, b = moved[0], flat[0]
        shift = shifts[a.evidence_id]
        level = statistics.median(b.values[-5:])
        out.append(
            {
                "text": f"{METRIC_LABELS[name]} of {service} disagrees between sources:"
                f" {a.source or 'one source'} shows it rising from {format_value(name, shift.onset.baseline)}"
                f" to {format_value(name, shift.onset.peak)}, {b.source or 'another'} shows it flat"
                f" at {format_value(name, level)}",
                "evidence": [a.evidence_id, b.evidence_id],
            }
        )
    return out


def _tracker_disagrees(findings: Findings) -> list[dict]:
    """A loud new error in the tracker while the service's request metrics do not move:
    the events are handled, or not requests at all, and say little about impact."""
    service = findings.service or ""
    errors = findings.series_of(service, "error_rate")
    if errors is None or not errors.values or findings.degraded(service):
        return []
    for error in findings.new_errors:
        if (
            error.service != service
            or error.count < MIN_TRACKER_EVENTS
            or not _would_show(findings, error, errors)
        ):
            continue
        calm = [
            i.id
            for i in findings.records("monitors")
            if i.data.get("service") == service
            and i.data.get("metric") in SYMPTOM_METRICS
            and i.data.get("status") == "ok"
        ]
        latency = findings.series_of(service, "latency_p99_ms")
        return [
            {
                "text": f"Error tracker shows {error.count:,} events of a new error ({error.title[:80]})"
                f" while {service}'s error rate{' and latency' if latency else ''} stay flat",
                "evidence": [error.evidence_id, errors.evidence_id]
                + ([latency.evidence_id] if latency else [])
                + calm[:2],
            }
        ]
    return []


def _would_show(findings: Findings, error: ErrorGroup, errors: Series) -> bool:
    """Had each event been a failed request, the error rate would have left its baseline."""
    traffic = findings.series_of(error.service, "requests_per_s")
    first, last = error.first_seen, error.last_seen
    if traffic is None or not traffic.values or first is None or last is None or last <= first:
        return error.count >= LOUD_TRACKER_EVENTS
    during = [v for t, v in zip(traffic.times, traffic.values, strict=True) if first <= t <= last]
    requests = statistics.median(during or traffic.values) * (last - first).total_seconds()
    if requests <= 0:
        return error.count >= LOUD_TRACKER_EVENTS
    baseline = statistics.median(errors.values)
    return error.count / requests >= (DEGRADED_RATIO - 1) * baseline
