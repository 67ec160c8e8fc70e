"""Conflicts: signals that disagree, which lower how sure the desk can be."""

from incidentdesk.analysis.findings import Findings
from incidentdesk.analysis.metrics import METRIC_LABELS, SYMPTOM_METRICS


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
    return out
