"""Incident history from the desk's own runs: what happened before to the services in scope."""

from datetime import timedelta

from collectors.base import Fetched, Record, Scope
from incidentdesk.models import Run

HISTORY_DAYS = 365
MAX_INCIDENTS = 50


class DeskIncidentHistory:
    source = "incidents"
    vendor = "desk"

    @classmethod
    def from_env(cls, environ=None) -> "DeskIncidentHistory":
        return cls()

    def fetch(self, scope: Scope, *, deadline) -> Fetched:
        since = scope.end - timedelta(days=HISTORY_DAYS)
        runs = (
            Run.objects.filter(service__name__in=scope.names, triggered_at__gte=since)
            .exclude(pk=scope.run_id)
            .select_related("service")
            .order_by("-triggered_at")[: MAX_INCIDENTS + 1]
        )
        runs = list(runs)
        records = [
            Record(
                ref=f"run-{run.pk}",
                service=run.service.name,
                data={
                    "id": f"run-{run.pk}",
                    "service": run.service.name,
                    "title": run.title,
                    "opened_at": run.triggered_at.isoformat().replace("+00:00", "Z"),
                    "resolved_at": run.resolved_at.isoformat().replace("+00:00", "Z") if run.resolved_at else None,
                    "cause": run.cause or None,
                    "resolution": run.resolution or None,
                },
                observed_at=run.triggered_at,
                url=run.get_absolute_url(),
            )
            for run in runs[:MAX_INCIDENTS]
        ]
        truncated = len(runs) > MAX_INCIDENTS
        return Fetched(records, truncated=truncated, note=f"only the latest {MAX_INCIDENTS} runs" if truncated else "")
