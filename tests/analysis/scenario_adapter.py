"""Scenario file -> the analysis inputs, the way the pipeline builds them from the database.

Kept simple on purpose: vendor service names are resolved through catalog names,
aliases and repos; redaction is a crude stand-in for the real redaction module.
"""

import re
from urllib.parse import parse_qs

from collectors.base import SOURCES
from incidentdesk.analysis.catalog import resolve_service, service_of_repo, team_of
from incidentdesk.analysis.inputs import EvidenceItem, Gap, RunFacts
from incidentdesk.analysis.timeutil import parse_time

SOURCE_ORDER = SOURCES
_REDACT = (
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("token", re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")),
    ("card", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
)


def redact(value: object, kinds: set[str]) -> object:
    if isinstance(value, str):
        for kind, pattern in _REDACT:
            value, n = pattern.subn(f"[REDACTED:{kind}]", value)
            if n:
                kinds.add(kind)
        return value
    if isinstance(value, list):
        return [redact(v, kinds) for v in value]
    if isinstance(value, dict):
        return {k: redact(v, kinds) for k, v in value.items()}
    return value


def _datadog_names(body: dict) -> list[str]:
    names = [body.get("service")]
    for field in ("tags", "alert_scope", "body"):
        names += re.findall(r"service:([\w.-]+)", str(body.get(field) or ""))
    return names


def _sentry_names(body: dict) -> list[str]:
    data = body.get("data") or {}
    event = data.get("event") or data.get("issue") or {}
    names = []
    project = event.get("project")
    if isinstance(project, dict):
        names += [project.get("slug"), project.get("name")]
    match = re.search(r"/projects/[^/]+/([^/]+)/", str(event.get("url") or ""))
    if match:
        names.append(match.group(1))
    for pair in event.get("tags") or []:
        if isinstance(pair, list) and len(pair) == 2 and pair[0] in ("service", "release"):
            names.append(str(pair[1]).split("@")[0])
    names.append(str(event.get("release") or "").split("@")[0])
    return names


def trigger_names(trigger: dict) -> tuple[list[str], str, dict]:
    """(candidate service names, title, extra facts) from a vendor payload."""
    source = trigger.get("source")
    body = trigger.get("body")
    extra: dict = {}
    if source == "slack":
        form = {k: v[0] for k, v in parse_qs(str(body)).items()}
        text = form.get("text", "")
        return text.replace(",", " ").split(), text, extra
    body = body if isinstance(body, dict) else {}
    if source == "pagerduty":
        event = body.get("event") or {}
        data = event.get("data") or {}
        service = data.get("service") or {}
        agent = event.get("agent") or {}
        return (
            [service.get("summary"), service.get("id"), agent.get("summary"), agent.get("id")],
            str(data.get("title") or ""),
            extra,
        )
    if source == "datadog":
        return _datadog_names(body), str(body.get("title") or ""), extra
    if source == "sentry":
        event = (body.get("data") or {}).get("event") or {}
        return _sentry_names(body), str(event.get("title") or ""), extra
    if source == "alertmanager":
        alerts = body.get("alerts") or [{}]
        labels = [a.get("labels") or {} for a in alerts] + [body.get("commonLabels") or {}]
        extra["started_at"] = parse_time(alerts[0].get("startsAt"))
        title = str((body.get("commonAnnotations") or {}).get("summary") or "")
        return [lab.get("service") for lab in labels], title, extra
    if source == "github":
        repo = (body.get("repository") or {}).get("full_name")
        status = body.get("deployment_status") or {}
        return [repo], str(status.get("description") or ""), extra
    tags = [str(t).lower() for t in body.get("tags") or []]
    if body.get("data_exposure") or {"privacy", "security", "data-exposure"} & set(tags):
        extra["reports_data_exposure"] = True
    return [body.get("service")], str(body.get("summary") or body.get("title") or ""), extra


def _ref(source: str, record: dict, index: int) -> str:
    if source == "pull_requests":
        return str(record.get("number"))
    if source == "metrics":
        return f"{record.get('service')}:{record.get('name')}"
    if source == "monitors":
        return str(record.get("name"))
    if source == "logs":
        return f"{record.get('service')}@{record.get('ts')}#{index}"
    if source == "feature_flags":
        return f"{record.get('key')}@{record.get('changed_at')}"
    if source == "change_calendar":
        return str(record.get("uid"))
    return str(record.get("id"))


_WHEN = {
    "deploys": "finished_at",
    "pull_requests": "merged_at",
    "logs": "ts",
    "errors": "first_seen",
    "feature_flags": "changed_at",
    "incidents": "opened_at",
    "change_calendar": "start",
    "monitors": "last_changed",
}


def scenario_inputs(scenario: dict) -> tuple[RunFacts, dict, list[EvidenceItem], list[Gap]]:
    catalog = scenario["catalog"]
    sources = scenario.get("sources") or {}
    names, title, extra = trigger_names(scenario["trigger"])
    service = resolve_service([str(n) for n in names if n], catalog)
    now = parse_time(scenario["now"])
    team = team_of(catalog, service) or {}
    run = RunFacts(
        run_id=f"replay-{scenario.get('name', 'scenario')}",
        service=service,
        service_hint=next((str(n) for n in names if n), None),
        trigger_source=scenario["trigger"]["source"],
        title=title,
        triggered_at=now,
        now=now,
        started_at=extra.get("started_at"),
        reports_data_exposure=extra.get("reports_data_exposure", False),
        current_owner={"team": team.get("name"), "oncall": team.get("oncall")} if team else {},
    )
    unavailable = sources.get("unavailable") or {}
    evidence: list[EvidenceItem] = []
    for source in SOURCE_ORDER:
        if source in unavailable:
            continue
        records = sources.get(source)
        if source == "runbooks" and isinstance(records, dict):
            records = [{"key": k, "text": v} for k, v in records.items()]
        for index, record in enumerate(records or []):
            kinds: set[str] = set()
            data = (
                redact(record, kinds) if source in ("logs", "errors", "pull_requests", "deploys") else record
            )
            if source == "runbooks":
                ref = record["key"]
                svc = None
            elif source == "pull_requests":
                ref, svc = _ref(source, record, index), service_of_repo(catalog, record.get("repo"))
            else:
                ref, svc = _ref(source, record, index), record.get("service")
            evidence.append(
                EvidenceItem(
                    id=f"E{len(evidence) + 1}",
                    source=source,
                    ref=ref,
                    service=svc,
                    data=data,
                    observed_at=parse_time(record.get(_WHEN.get(source, ""))) if _WHEN.get(source) else None,
                    redactions=tuple(sorted(kinds)),
                )
            )
    gaps = [Gap(source=s, reason=str(r)) for s, r in unavailable.items()]
    return run, catalog, evidence, gaps
