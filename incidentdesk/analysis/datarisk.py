"""Data risk: personal data or secrets showing up in runtime evidence."""

from incidentdesk.analysis.findings import Findings

RUNTIME_SOURCES = {"logs": "log line", "errors": "error event"}


def assess_data_risk(findings: Findings) -> tuple[dict, list[str]]:
    """({flagged, reason}, evidence ids carrying redactions). Only logs and error events
    count: deploy and pull request authors are people doing their job, not a leak."""
    kinds: set[str] = set()
    counts: dict[str, int] = {}
    services: set[str] = set()
    ids: list[str] = []
    for item in findings.items.values():
        if item.source not in RUNTIME_SOURCES or not item.redactions:
            continue
        service = item.data.get("service") or item.service
        if service and findings.scope and service not in findings.scope:
            continue
        kinds.update(item.redactions)
        counts[item.source] = counts.get(item.source, 0) + 1
        if service:
            services.add(service)
        ids.append(item.id)
    parts = [f"{n} {RUNTIME_SOURCES[src]}{'s' if n > 1 else ''}" for src, n in sorted(counts.items())]
    if ids:
        reason = (
            f"{', '.join(sorted(kinds))} redacted from {' and '.join(parts)}"
            f"{' of ' + ', '.join(sorted(services)) if services else ''}"
        )
        if findings.run.reports_data_exposure:
            reason += "; the trigger reports a data exposure"
        return {"flagged": True, "reason": reason}, ids
    if findings.run.reports_data_exposure:
        return {"flagged": True, "reason": "the trigger reports a customer data exposure"}, []
    return {"flagged": False, "reason": "no personal data or secrets in logs or error events"}, []
