"""Runs as the pages see them: stored evidence, source states and a packet built by the real services."""

from datetime import UTC, datetime, timedelta

from collectors.base import SOURCES
from incidentdesk.models import Evidence, Run, Service, SourceCollection
from incidentdesk.services.packets import packet_build

ONSET = datetime(2030, 1, 10, 11, 50, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def metric_points(name: str, *, base: float, peak: float, minutes: int = 70) -> list:
    start = ONSET - timedelta(minutes=minutes - 20)
    return [[iso(start + timedelta(minutes=i)), peak if start + timedelta(minutes=i) >= ONSET else base]
            for i in range(minutes)]


def run_create(service_name: str = "checkout-api", *, title: str = "checkout-api error rate above 5%",
               collecting: bool = False, cause: str = "", resolution: str = "",
               triggered_at: datetime | None = None, symptoms: list | None = None) -> Run:
    service = Service.objects.select_related("team").get(name=service_name)
    when = triggered_at or ONSET + timedelta(minutes=10)
    return Run.objects.create(
        title=title, service=service, trigger_source="datadog", triggered_at=when, first_seen_at=when,
        last_event_at=when, symptoms=symptoms or [title], current_owner_team=service.team,
        current_oncall=service.team.oncall, cause=cause, resolution=resolution,
        collection=Run.Collection.COLLECTING if collecting else Run.Collection.DONE,
    )


def evidence_add(run: Run, *, service: str = "checkout-api", log_line: str = "upstream timeout") -> None:
    deploy_at = ONSET - timedelta(minutes=1)
    rows = [
        Evidence(run=run, source="metrics", ref=f"{service}/error_rate/datadog", service=service,
                 observed_at=ONSET + timedelta(minutes=19),
                 data={"service": service, "name": "error_rate", "source": "datadog", "step_seconds": 60,
                       "points": metric_points("error_rate", base=0.003, peak=0.087)}),
        Evidence(run=run, source="metrics", ref=f"{service}/latency_p99_ms/datadog", service=service,
                 observed_at=ONSET + timedelta(minutes=19),
                 data={"service": service, "name": "latency_p99_ms", "source": "datadog", "step_seconds": 60,
                       "points": metric_points("latency_p99_ms", base=200, peak=900)}),
        Evidence(run=run, source="deploys", ref="d-77", service=service, observed_at=deploy_at,
                 url="https://github.com/acme/checkout/deployments/77",
                 data={"id": "d-77", "service": service, "environment": "production", "sha": "b" * 40,
                       "previous_sha": "a" * 40, "started_at": iso(deploy_at - timedelta(minutes=3)),
                       "finished_at": iso(deploy_at), "status": "success", "author": "abe",
                       "pull_request": None, "description": "Deploy acme/checkout main"}),
        Evidence(run=run, source="feature_flags", ref="fast-cart@x", service=service,
                 observed_at=ONSET - timedelta(minutes=20),
                 data={"key": "fast-cart", "service": service, "environment": "production",
                       "changed_at": iso(ONSET - timedelta(minutes=20)), "actor": "alice",
                       "from": False, "to": True}),
        Evidence(run=run, source="logs", ref=f"{service}/1", service=service, observed_at=ONSET,
                 data={"ts": iso(ONSET), "service": service, "level": "error", "message": log_line,
                       "attributes": {}}),
    ]
    Evidence.objects.bulk_create(rows)


def collections_create(run: Run, *, state: str = SourceCollection.State.DONE, failed: dict | None = None) -> None:
    failed = failed or {}
    SourceCollection.objects.bulk_create([
        SourceCollection(run=run, source=source,
                         state=SourceCollection.State.FAILED if source in failed else state,
                         reason=failed.get(source, ""), detail="timed out after 5 s" if source in failed else "")
        for source in SOURCES
    ])


def finished_run(service_name: str = "checkout-api", **kwargs) -> Run:
    """A run whose collection is over, with a packet built from its evidence."""
    run = run_create(service_name, **kwargs)
    evidence_add(run, service=service_name)
    collections_create(run, failed={"logs": "timeout"})
    packet_build(run=run)
    return run


def collecting_run(service_name: str = "checkout-api", **kwargs) -> Run:
    """A run still collecting: no packet yet, every source waiting."""
    run = run_create(service_name, collecting=True, **kwargs)
    collections_create(run, state=SourceCollection.State.WAITING)
    return run


def collection_complete(run: Run) -> None:
    """What the collectors do, done by hand: store evidence, finish every source, build the packet."""
    from incidentdesk.services.collection import collection_maybe_complete

    evidence_add(run, service=run.service.name)
    run.collections.update(state=SourceCollection.State.DONE, reason="", detail="", item_count=1)
    collection_maybe_complete(run_id=run.pk)
