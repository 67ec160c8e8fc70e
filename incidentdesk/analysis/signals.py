"""Signals: what changed, with numbers, each citing its evidence."""

from incidentdesk.analysis.findings import Findings
from incidentdesk.analysis.hypothesis import Hypothesis
from incidentdesk.analysis.metrics import SYMPTOM_METRICS, describe_shift
from incidentdesk.analysis.reports import describe
from incidentdesk.analysis.timeutil import hhmm, human_gap, parse_time

MAX_SIGNALS = 6
_CAUSE_METRICS = ("requests_per_s", "saturation")


def _shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_signals(findings: Findings, hypotheses: list[Hypothesis]) -> list[dict]:
    out: list[dict] = []
    service = findings.service
    own = sorted(findings.degraded(service or ""), key=lambda s: (s.onset_at, SYMPTOM_METRICS.index(s.name)))
    for shift in own:
        out.append({"text": describe_shift(shift, service), "evidence": [shift.evidence_id]})
    for report in findings.run.reports[:2]:
        out.append({"text": _shorten(describe(report)), "evidence": [report.id]})
    for dep in findings.depths:
        for shift in findings.degraded(dep)[:1]:
            text = describe_shift(shift, service)
            if findings.run_onset and shift.onset_at < findings.run_onset:
                text += (
                    f", {human_gap((findings.run_onset - shift.onset_at).total_seconds())} before {service}'s"
                )
            out.append({"text": text, "evidence": [shift.evidence_id]})
    for name in _CAUSE_METRICS:
        shift = findings.shift(service or "", name)
        if shift and shift.rose and not shift.onset.recovered and shift.ratio >= 1.3:
            out.append(
                {
                    "text": f"{describe_shift(shift, service)} from {hhmm(shift.onset_at)}",
                    "evidence": [shift.evidence_id],
                }
            )
    top = hypotheses[0] if hypotheses else None
    if top and top.kind in ("deploy", "feature_flag") and top.timing:
        out.append({"text": _change_timing(findings, top), "evidence": top.evidence[:1]})
    for error in findings.new_errors[:2]:
        where = "" if error.service == service else f" in {error.service}"
        out.append(
            {
                "text": _shorten(
                    f"New error{where} since {hhmm(error.first_seen)}: {error.title} ({error.count:,} events)"
                ),
                "evidence": [error.evidence_id],
            }
        )
    if not findings.new_errors:
        for verdict in findings.new_templates(service)[:1]:
            t = verdict.template
            out.append(
                {
                    "text": _shorten(
                        f"New {t.level} log since {hhmm(t.first_at)}: {t.template} ({t.count:,} lines)"
                    ),
                    "evidence": t.evidence_ids[:2],
                }
            )
    for verdict in findings.templates:
        t = verdict.template
        if verdict.kind == "burst" and not t.is_error and t.service in findings.scope and t.count >= 20:
            started = t.first_at and t.first_at < findings.first_seen
            note = "before the onset; not the failure" if started else "alongside the failure"
            out.append(
                {
                    "text": _shorten(
                        f"Burst of {t.count:,} {t.level} lines '{t.template}' from {hhmm(t.first_at)}, {note}"
                    ),
                    "evidence": t.evidence_ids[:2],
                }
            )
            break
    if not own:
        for item in findings.records("monitors"):
            m = item.data
            changed = parse_time(m.get("last_changed"))
            if m.get("service") == service and m.get("status") == "alert" and changed:
                minutes = human_gap((findings.run.now - changed).total_seconds())
                out.append(
                    {
                        "text": _shorten(
                            f"Monitor '{m.get('name')}' failing since {hhmm(changed)} ({minutes})"
                        ),
                        "evidence": [item.id],
                    }
                )
    return out[:MAX_SIGNALS]


def _change_timing(findings: Findings, top: Hypothesis) -> str:
    item = findings.items.get(top.evidence[0]) if top.evidence else None
    data = item.data if item else {}
    if top.kind == "deploy":
        finished = parse_time(data.get("finished_at")) or parse_time(data.get("started_at"))
        if finished and finished > findings.first_seen:
            return f"Deploy {top.ref} was rolling out when the first spike came"
        gap = (findings.first_seen - finished).total_seconds() if finished else 0
        return f"Deploy {top.ref} landed {human_gap(gap)} before the first spike"
    changed = parse_time(data.get("changed_at"))
    gap = (findings.first_seen - changed).total_seconds() if changed else 0
    return f"Flag {top.ref} changed {human_gap(gap)} before the first spike"
