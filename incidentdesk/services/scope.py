"""What a run's collection may read: the one place the scope is decided and checked."""

from datetime import timedelta

from collectors.base import Record, Scope, ServiceRef
from incidentdesk.models import Run, Service
from incidentdesk.policy import ActionRequest, Decision, Policy, decide

# How far back evidence is read before the run's first sign of trouble.
LOOKBACK = timedelta(hours=72)


def service_ref(service: Service) -> ServiceRef:
    return ServiceRef(
        name=service.name,
        team=service.team.name,
        repo=service.repo or None,
        aliases=tuple(a.name for a in service.alias_set.all()),
        runbook=service.runbook or None,
        annotations=service.annotations or {},
    )


def dependencies(service: Service, *, depth: int) -> list[Service]:
    """Services `service` depends on, transitively, nearest first, at most `depth` hops away."""
    seen = {service.pk}
    order: list[Service] = []
    frontier = [service]
    for _ in range(depth):
        nxt = []
        for svc in frontier:
            for dep in svc.depends_on.select_related("team").prefetch_related("alias_set").order_by("name"):
                if dep.pk not in seen:
                    seen.add(dep.pk)
                    order.append(dep)
                    nxt.append(dep)
        frontier = nxt
        if not frontier:
            break
    return order


def scope_services(run: Run, *, depth: int) -> list[Service]:
    """The run's service and what it depends on, nearest first; empty without a catalog service."""
    if run.service is None:
        return []
    return [run.service, *dependencies(run.service, depth=depth)]


def run_scope(run: Run, *, depth: int, now) -> Scope | None:
    """None when the run has no catalog service: nothing may be read for it yet."""
    services = scope_services(run, depth=depth)
    if not services:
        return None
    return Scope(
        run_id=run.pk,
        service=run.service.name,
        services=tuple(service_ref(s) for s in services),
        start=run.first_seen_at - LOOKBACK,
        end=max(now, run.triggered_at),
    )


def record_services(record: Record, scope: Scope) -> set[str]:
    """The catalog services a record is about, as far as its own fields tell."""
    names = set()
    if record.service:
        names.add(record.service)
    data = record.data
    for name in data.get("services") or []:
        names.add(name)
    repo = data.get("repo")
    if repo:
        names |= {s.name for s in scope.services if s.repo and s.repo.lower() == str(repo).lower()}
    return names


def read_decision(record: Record, scope: Scope, policy: Policy) -> Decision:
    """The policy's word on keeping a record: it must be about a service in scope (calendar events:
    any of theirs). Every connector's records pass through here before anything is stored."""
    # A calendar event naming no service at all (a network maintenance, an OS patch window) is
    # about shared infrastructure under every service, so it is read for the run's own.
    shared = "services" in record.data and not record.data["services"]
    names = record_services(record, scope) or ({scope.service} if shared else {None})
    decisions = [
        decide(policy, ActionRequest(actor="desk", action="read", service=name, scope=scope.names))
        for name in sorted(names, key=str)
    ]
    return next((d for d in decisions if d.allowed), decisions[0])
