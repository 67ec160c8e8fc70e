"""Reads already filtered by what the user may see.

Every signed-in user sees every run, service and audit entry: incident history is shared
knowledge on the desk, and approving is gated elsewhere (approvals/, per service).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404, QueryDict

from incidentdesk import clock
from incidentdesk.models import AuditEntry, Run, Service, Team
from incidentdesk.search import runs_search

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30),
          "90d": timedelta(days=90), "365d": timedelta(days=365)}


def runs_visible_to(user) -> QuerySet[Run]:
    if not user.is_authenticated:
        return Run.objects.none()
    return Run.objects.select_related(
        "service", "service__team", "current_owner_team", "confirmed_cause").defer("search")


def run_get_for(user, pk: int) -> Run:
    run = runs_visible_to(user).filter(pk=pk).first()
    if run is None:
        raise Http404("No such run")
    return run


def services_visible_to(user) -> QuerySet[Service]:
    if not user.is_authenticated:
        return Service.objects.none()
    return Service.objects.select_related("team")


def service_get_for(user, name: str) -> Service:
    service = services_visible_to(user).filter(name=name).first()
    if service is None:
        raise Http404("No such service")
    return service


def teams_of(user) -> list[Team]:
    if not user.is_authenticated:
        return []
    return list(Team.objects.filter(group__user=user).order_by("name"))


@dataclass(frozen=True)
class HistoryFilters:
    q: str = ""
    service: str = ""
    team: str = ""
    severity: str = ""
    status: str = ""
    range: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_query(cls, params: QueryDict) -> "HistoryFilters":
        def text(key: str, allowed=None) -> str:
            value = (params.get(key) or "").strip()[:200]
            return value if allowed is None or value in allowed else ""

        return cls(
            q=text("q"), service=text("service"), team=text("team"),
            severity=text("severity", Run.SEVERITIES), status=text("status", Run.Status.values),
            range=text("range", RANGES), since=_date(params.get("since")), until=_date(params.get("until")),
        )

    @property
    def active(self) -> bool:
        return any([self.q, self.service, self.team, self.severity, self.status, self.range,
                    self.since, self.until])

    def query_string(self) -> str:
        """The filters as a query string, for pagination links."""
        params = QueryDict(mutable=True)
        for key in ("q", "service", "team", "severity", "status", "range"):
            if getattr(self, key):
                params[key] = getattr(self, key)
        for key in ("since", "until"):
            if getattr(self, key):
                params[key] = getattr(self, key).isoformat()
        return params.urlencode()


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None


def runs_history(user, filters: HistoryFilters) -> QuerySet[Run]:
    """Runs newest first, narrowed by the history page's filters and search."""
    runs = runs_visible_to(user)
    if filters.service:
        runs = runs.filter(service__name=filters.service)
    if filters.team:
        runs = runs.filter(service__team__name=filters.team)
    if filters.severity:
        runs = runs.filter(severity=filters.severity)
    if filters.status:
        runs = runs.filter(status=filters.status)
    if filters.range:
        runs = runs.filter(triggered_at__gte=clock.now() - RANGES[filters.range])
    if filters.since:
        runs = runs.filter(triggered_at__gte=datetime.combine(filters.since, time.min, tzinfo=UTC))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=UTC)
        runs = runs.filter(triggered_at__lt=end)
    runs = runs_search(runs, text=filters.q)
    return runs.order_by("-triggered_at", "-pk")


def history_choices(user) -> dict:
    """What the history filters offer: the catalog's services and teams."""
    return {
        "services": list(services_visible_to(user).values_list("name", flat=True)),
        "teams": list(Team.objects.values_list("name", flat=True)),
        "severities": Run.SEVERITIES,
        "statuses": Run.Status.choices,
        "ranges": [("24h", "Last 24 hours"), ("7d", "Last 7 days"), ("30d", "Last 30 days"),
                   ("90d", "Last 90 days"), ("365d", "Last year")],
    }


def service_recent_runs(service: Service, *, limit: int = 20) -> list[Run]:
    return list(service.runs.select_related("service").defer("search").order_by("-triggered_at")[:limit])


def services_overview(user) -> QuerySet[Service]:
    return services_visible_to(user).annotate(
        open_runs=Count("runs", filter=~Q(runs__status=Run.Status.RESOLVED)),
    ).order_by("team__name", "name")


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""
    service: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> "AuditFilters":
        return cls(*((params.get(key) or "").strip()[:150] for key in ("action", "actor", "service")))

    def query_string(self) -> str:
        params = QueryDict(mutable=True)
        for key in ("action", "actor", "service"):
            if getattr(self, key):
                params[key] = getattr(self, key)
        return params.urlencode()


def audit_entries_for(user, filters: AuditFilters, *, run: Run | None = None) -> QuerySet[AuditEntry]:
    """The audit trail, newest first; for one run when `run` is given."""
    if not user.is_authenticated:
        return AuditEntry.objects.none()
    entries = AuditEntry.objects.order_by("-seq")
    if run is not None:
        entries = entries.filter(run_id=run.pk)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.actor:
        entries = entries.filter(actor=filters.actor)
    if filters.service:
        entries = entries.filter(service=filters.service)
    return entries


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct())
