"""A stored run written back as a replay scenario (SCENARIO.md), so a team can replay its own
incidents after it changes the policy or upgrades the desk.

Everything comes from what the desk kept: the first trigger (its text redacted like evidence,
its signature headers left out: the replay signs again), the catalog slice the run could read,
each source's stored, already redacted evidence, the sources that failed and why, and an
`expect` from what responders confirmed (the cause) and what the packet said (owner, severity).
"""

import json
from urllib.parse import parse_qsl, urlencode

from django.conf import settings

from collectors.base import SOURCES
from collectors.redaction import redact_record
from incidentdesk.analysis.timeutil import iso_z
from incidentdesk.models import Run, RunEvent, Service, SourceCollection, Team
from incidentdesk.replay.scenario import FORMAT
from incidentdesk.services.scope import scope_services

# What a normaliser reads from the headers; everything else (signatures, ids, hosts) is the
# delivery's, not the incident's.
KEPT_HEADERS = ("content-type", "x-github-event", "sentry-hook-resource")
# How a failed source is replayed: the gap reasons a replay can play back.
REPLAYABLE_GAPS = ("timeout", "error", "rate_limited", "malformed", "not_configured")


class ExportError(ValueError):
    """The run cannot be written as a scenario; the message says why."""


def scenario_export(run: Run) -> dict:
    event = RunEvent.objects.filter(run=run).select_related("trigger").order_by("occurred_at", "pk").first()
    if event is None:
        raise ExportError(f"run {run.pk} has no trigger to replay")
    trigger = event.trigger
    services = scope_services(run, depth=settings.COLLECT_DEPENDENCY_DEPTH)
    return {
        "format": FORMAT,
        "name": f"run-{run.pk}",
        "description": f"Exported from run #{run.pk}: {run.title}",
        "now": iso_z(trigger.received_at),
        "trigger": {
            "source": trigger.source,
            "headers": {k: v for k, v in trigger.headers.items() if k.lower() in KEPT_HEADERS},
            "body": _redacted_body(bytes(trigger.body)),
        },
        "catalog": _catalog(run, services),
        "sources": _sources(run),
        "expect": _expect(run),
    }


def _redacted_body(body: bytes):
    """The trigger's body with personal data and secrets redacted, JSON or form-encoded as sent."""
    text = body.decode("utf-8", errors="replace")
    try:
        return redact_record(json.loads(text))[0]
    except json.JSONDecodeError:
        pairs = parse_qsl(text, keep_blank_values=True)
        return urlencode([(k, redact_record(v)[0]) for k, v in pairs])


def _catalog(run: Run, services: list[Service]) -> dict:
    names = {s.name for s in services}
    teams = {s.team for s in services} | ({run.current_owner_team} if run.current_owner_team else set())
    return {
        "teams": [_team(team) for team in sorted(teams, key=lambda t: t.name)],
        "services": [
            {
                "name": s.name,
                "team": s.team.name,
                "tier": s.tier,
                "repo": s.repo or None,
                "depends_on": sorted(d.name for d in s.depends_on.all() if d.name in names),
                "runbook": s.runbook or None,
                "aliases": sorted(a.name for a in s.alias_set.all() if a.name not in (s.name, s.repo.lower())),
                **({"annotations": s.annotations} if s.annotations else {}),
            }
            for s in services
        ],
    }


def _team(team: Team) -> dict:
    return {
        "name": team.name,
        "members": sorted(team.group.user_set.values_list("username", flat=True)),
        "oncall": team.oncall or None,
        "slack_channel": team.slack_channel or None,
    }


def _sources(run: Run) -> dict:
    sources: dict = {}
    for evidence in run.evidence.order_by("source", "observed_at", "pk"):
        if evidence.source == "runbooks":
            sources.setdefault("runbooks", {})[evidence.data.get("key") or evidence.ref] = evidence.data.get("text", "")
        elif evidence.source in SOURCES:
            sources.setdefault(evidence.source, []).append(evidence.data)
    failed = run.collections.filter(state=SourceCollection.State.FAILED).order_by("source")
    unavailable = {c.source: c.reason if c.reason in REPLAYABLE_GAPS else "error" for c in failed}
    if unavailable:
        sources["unavailable"] = unavailable
    return sources


def _expect(run: Run) -> dict:
    packet = run.packets.order_by("-version").first()
    data = packet.data if packet else {}
    expect: dict = {}
    if data.get("service"):
        expect["service"] = data["service"]
    if data.get("severity"):
        expect["severity"] = data["severity"]
    if (data.get("owner") or {}).get("team"):
        expect["owner"] = data["owner"]["team"]
    confirmed = getattr(run, "confirmed_cause", None)
    if confirmed is not None:
        expect["top_cause"] = {"kind": confirmed.kind, **({"ref": confirmed.ref} if confirmed.ref else {})}
    return expect
