"""What people report is evidence: a support spike's count against its usual number, the words
customers use ("charged twice", "can't log in", "someone else's account"), the sender's own
severity and when they say it began. Reports are cited like any other evidence, anchor the
symptom's start when they give one, and count as customer-visible impact for the severity.
"""

import re

from incidentdesk.analysis.inputs import EvidenceItem, Report
from incidentdesk.analysis.timeutil import hhmm

# A report this many times its usual number is customer impact in itself.
REPORT_MULTIPLIER = 3.0
MIN_REPORTS = 5
_IMPACT = (
    (re.compile(r"charged (?:twice|two times|\d+ times|multiple times|several times|again)|double[- ]charg", re.I),
     "customers charged more than once"),
    (re.compile(r"can'?t (?:log|sign) ?in|cannot (?:log|sign) ?in|unable to (?:log|sign) ?in|login fail", re.I),
     "customers cannot sign in"),
    (re.compile(r"someone else'?s|another (?:customer|user|person)'?s|other (?:customers|users)'? (?:data|account|page)"
                r"|memory from other|not mine", re.I),
     "customers see other customers' data"),
    (re.compile(r"\b(?:is|are|was|were) (?:gone|deleted|missing)\b|data loss|lost (?:their|our) data", re.I),
     "customers' data is gone"),
    (re.compile(r"\b(?:down|unreachable|not loading|won'?t load|times? out|failing)\b", re.I),
     "customers cannot use it"),
)


def impact_of(report: Report) -> str | None:
    """What the report says customers suffer, in the desk's words; None when it says nothing."""
    text = f"{report.title} {report.text}"
    return next((label for pattern, label in _IMPACT if pattern.search(text)), None)


def spike(report: Report) -> float | None:
    """How many times its usual number the report's count is, when it gives both."""
    if report.count is None or report.baseline is None or report.baseline <= 0:
        return None
    return report.count / report.baseline


def reports_impact(report: Report) -> bool:
    """The report itself shows customer-visible impact: a spike well above normal, or people
    saying what customers suffer."""
    ratio = spike(report)
    if ratio is not None:
        return ratio >= REPORT_MULTIPLIER and (report.count or 0) >= MIN_REPORTS
    return impact_of(report) is not None


def report_items(reports: tuple[Report, ...]) -> list[EvidenceItem]:
    return [
        EvidenceItem(
            id=r.id,
            source="trigger",
            ref=f"{r.source}:{r.id}",
            service=None,
            data={"source": r.source, "title": r.title, "count": r.count, "baseline": r.baseline,
                  "window_minutes": r.window_minutes, "severity": r.severity, "category": r.category},
            observed_at=r.at,
            url=r.link,
        )
        for r in reports
    ]


def describe(report: Report) -> str:
    """`Support: customers charged more than once (74 reports in 30 min, usually 3: 25x; since 09:58)`."""
    who = {"support_spike": "Support", "security": "Security report"}.get(report.category or "")
    who = who or {"slack": "Slack"}.get(report.source, "Report")
    numbers = []
    if report.count is not None:
        count = f"{report.count:g} reports" + (f" in {report.window_minutes:g} min" if report.window_minutes else "")
        ratio = spike(report)
        numbers.append(count + (f", usually {report.baseline:g}: {ratio:.0f}x" if ratio is not None else ""))
    if report.started_at:
        numbers.append(f"since {hhmm(report.started_at)}")
    said = impact_of(report) or report.title
    return f"{who}: {said}" + (f" ({'; '.join(numbers)})" if numbers else "")
