"""Building and storing a run's packet from its stored evidence."""

import hashlib
import json
from datetime import datetime

from django.conf import settings
from django.db import transaction

from incidentdesk import clock
from incidentdesk.analysis.inputs import EvidenceItem, Gap, Report, RunFacts
from incidentdesk.analysis.packet import build_packet
from incidentdesk.assistant.service import assistant_annotate
from incidentdesk.audit import audit_append
from incidentdesk.models import Evidence, Packet, Run, Service, SourceCollection
from incidentdesk.policy import current_policy
from incidentdesk.search import run_search_text
from incidentdesk.services.scope import dependencies
from incidentdesk.signals import packet_stored


def catalog_snapshot(run: Run) -> dict:
    """The catalog as the analysis reads it: the run's service, its dependencies and their teams."""
    if run.service is None:
        services: list[Service] = []
    else:
        services = [run.service, *dependencies(run.service, depth=settings.COLLECT_DEPENDENCY_DEPTH)]
    teams = {s.team_id: s.team for s in services}
    if run.current_owner_team_id:
        teams[run.current_owner_team_id] = run.current_owner_team
    return {
        "teams": [
            {"name": t.name, "display_name": t.label, "oncall": t.oncall, "slack_channel": t.slack_channel,
             "members": sorted(t.group.user_set.values_list("username", flat=True))}
            for t in teams.values()
        ],
        "services": [
            {"name": s.name, "team": s.team.name, "tier": s.tier, "repo": s.repo or None,
             "depends_on": sorted(s.depends_on.values_list("name", flat=True)), "runbook": s.runbook or None,
             "aliases": s.aliases}
            for s in services
        ],
    }


def evidence_items(evidence) -> list[EvidenceItem]:
    return [
        EvidenceItem(
            id=e.public_id, source=e.source, ref=e.ref, service=e.service or None, data=e.data,
            observed_at=e.observed_at, url=e.url or None, redactions=tuple(e.redactions), truncated=e.truncated,
        )
        for e in evidence
    ]


def _number(value) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def run_reports(run: Run) -> tuple[Report, ...]:
    """What people reported among the run's events, as evidence (T1, T2, ...)."""
    reports = []
    for event in run.events.all():
        facts = event.facts or {}
        if not facts.get("people"):
            continue
        started = facts.get("started_at")
        reports.append(Report(
            id=f"T{len(reports) + 1}", source=facts.get("source") or run.trigger_source,
            title=facts.get("title") or event.title, at=event.occurred_at, text=facts.get("text") or "",
            started_at=datetime.fromisoformat(started) if started else None, link=facts.get("link"),
            count=_number(facts.get("count")), baseline=_number(facts.get("baseline")),
            window_minutes=_number(facts.get("window_minutes")), severity=facts.get("severity"),
            category=facts.get("category"),
        ))
    return tuple(reports)


def run_facts(run: Run, now) -> RunFacts:
    team = run.current_owner_team
    return RunFacts(
        run_id=str(run.pk),
        service=run.service.name if run.service else None,
        service_hint=run.service_hint or None,
        trigger_source=run.trigger_source,
        title=run.title,
        triggered_at=run.triggered_at,
        now=now,
        started_at=run.started_at,
        symptoms=tuple(run.symptoms),
        links=tuple(run.links),
        reports_data_exposure=run.reports_data_exposure,
        current_owner={"team": team.name if team else None, "oncall": run.current_oncall or None},
        reports=run_reports(run),
    )


def run_gaps(run: Run) -> list[Gap]:
    return [
        Gap(source=c.source, reason=c.reason or "error", detail=c.detail)
        for c in run.collections.filter(state=SourceCollection.State.FAILED)
    ]


def packet_build(*, run: Run) -> Packet:
    """Analyse the run's stored evidence and keep the packet as a new version if it changed.

    The analysis (and the optional model call) runs without holding the run's row lock, so a
    slow model never holds up the evidence still arriving; the write takes the lock and keeps
    only a packet built from at least the evidence of the latest one, so a slower builder never
    replaces a newer packet with an older view.
    Side effects: a Packet row when the content changed; the run's severity candidate and first
    seen; proposals for its approval items; an audit entry.
    """
    evidence = list(run.evidence.order_by("source", "observed_at", "pk"))
    complete = not run.collections.exclude(
        state__in=[SourceCollection.State.DONE, SourceCollection.State.FAILED]
    ).exists()
    data = build_packet(
        run=run_facts(run, clock.now()),
        catalog=catalog_snapshot(run),
        evidence=evidence_items(evidence),
        gaps=run_gaps(run),
        severity_rules=current_policy().severity,
    )
    data = assistant_annotate(run=run, packet_data=data)
    return _packet_store(run, data, [e.pk for e in evidence], complete)


@transaction.atomic
def _packet_store(run: Run, data: dict, evidence_ids: list[int], complete: bool) -> Packet:
    run = Run.objects.select_for_update(of=("self",)).select_related("service").get(pk=run.pk)
    content_hash = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    latest = run.packets.order_by("-version").first()
    if latest and latest.content_hash == content_hash and latest.complete == complete:
        return latest
    if latest and set(latest.evidence_ids) > set(evidence_ids) and latest.complete >= complete:
        return latest  # built from more than this one saw
    packet = Packet.objects.create(
        run=run, version=(latest.version + 1) if latest else 1, content_hash=content_hash, data=data,
        text=data.get("text", ""), evidence_ids=evidence_ids, complete=complete,
    )
    _run_follow_packet(run, data)
    packet_stored.send(sender=Packet, run=run, packet=packet)
    audit_append(
        actor="desk", action="packet.built", run_id=run.pk, service=data.get("service") or "",
        detail={"version": packet.version, "hash": content_hash, "evidence": len(evidence_ids), "complete": complete},
        touches_customer_data=bool((data.get("data_risk") or {}).get("flagged")),
    )
    return packet


def _run_follow_packet(run: Run, data: dict) -> None:
    """The run's list columns (severity candidate, first seen) and what history search reads of
    it follow its latest packet."""
    changes = {}
    if data.get("severity") and data["severity"] != run.severity:
        changes["severity"] = data["severity"]
    first_seen = data.get("first_seen")
    if first_seen:
        moment = datetime.fromisoformat(first_seen.replace("Z", "+00:00"))
        if moment != run.first_seen_at:
            changes["first_seen_at"] = moment
    search_text = run_search_text(run, data)
    if search_text != run.search_text:
        changes["search_text"] = search_text
    if changes:
        Run.objects.filter(pk=run.pk).update(**changes)
        for key, value in changes.items():
            setattr(run, key, value)


def packet_rebuild(packet: Packet) -> dict:
    """The packet as it would be built again today from the evidence it was built from."""
    evidence = Evidence.objects.filter(pk__in=packet.evidence_ids).order_by("source", "observed_at", "pk")
    run = packet.run
    return build_packet(
        run=run_facts(run, packet.created_at),
        catalog=catalog_snapshot(run),
        evidence=evidence_items(evidence),
        gaps=run_gaps(run),
        severity_rules=current_policy().severity,
    )
