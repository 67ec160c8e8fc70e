"""The replay backend: every source answered from a scenario file, as the vendor's query would.

It answers only for services in the scope it is asked about, so a replay goes through the
same fan-out, scope check, redaction and idempotent storage as production.
"""

import hashlib
from datetime import datetime

from collectors.base import SOURCES, Fetched, NotConfigured, Record, Scope, SourceError
from collectors.timefmt import parse_iso

TRANSIENT = {"timeout", "error", "rate_limited"}
# What the source's failure looked like, in the words a live connector would use.
FAILURES = {
    "timeout": "no answer before the source's deadline",
    "error": "the source answered with an error",
    "rate_limited": "the source kept refusing with rate limits",
    "malformed": "the answer was not in the shape the API documents",
}
SHARED_CALENDAR_KINDS = {"maintenance", "migration", "freeze"}


def _time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_iso(value)
    except ValueError:
        return None


def _log_ref(index: int, line: dict) -> str:
    digest = hashlib.sha1(f"{line.get('ts')}|{line.get('service')}|{line.get('message')}".encode()).hexdigest()
    return f"{line.get('service')}/{index}/{digest[:12]}"


def _records(source: str, items, scope: Scope) -> list[Record]:
    names = scope.names
    repos = {s.repo.lower(): s.name for s in scope.services if s.repo}
    out: list[Record] = []
    if source == "runbooks":
        for ref in scope.services:
            if ref.runbook and isinstance(items, dict) and ref.runbook in items:
                out.append(Record(ref=ref.runbook, service=ref.name, data={"key": ref.runbook, "text": items[ref.runbook]}))
        return out
    for index, item in enumerate(items or []):
        if not isinstance(item, dict):
            continue
        service = item.get("service")
        if source == "pull_requests":
            service = repos.get(str(item.get("repo", "")).lower())
            if service is None:
                continue
            ref = str(item["number"]) if item.get("number") is not None else f"compare:{item.get('compare')}"
            out.append(Record(ref=ref, service=service, data=item, observed_at=_time(item.get("merged_at"))))
        elif source == "change_calendar":
            named = set(item.get("services") or [])
            if not named & names and (named or item.get("kind") not in SHARED_CALENDAR_KINDS):
                continue  # about other services; a maintenance naming none is on shared infrastructure
            out.append(Record(ref=str(item.get("uid")), service=None, data=item, observed_at=_time(item.get("start"))))
        elif service not in names:
            continue
        elif source == "deploys":
            out.append(Record(ref=str(item.get("id")), service=service, data=item,
                              observed_at=_time(item.get("finished_at") or item.get("started_at"))))
        elif source == "metrics":
            points = item.get("points") or []
            last = _time(points[-1][0]) if points and isinstance(points[-1], list) else None
            out.append(Record(ref=f"{service}/{item.get('name')}/{item.get('source')}", service=service, data=item, observed_at=last))
        elif source == "monitors":
            out.append(Record(ref=f"{service}/{item.get('name')}", service=service, data=item, observed_at=_time(item.get("last_changed"))))
        elif source == "logs":
            out.append(Record(ref=_log_ref(index, item), service=service, data=item, observed_at=_time(item.get("ts"))))
        elif source == "errors":
            out.append(Record(ref=str(item.get("id")), service=service, data=item, observed_at=_time(item.get("last_seen"))))
        elif source == "feature_flags":
            out.append(Record(ref=f"{item.get('key')}@{item.get('changed_at')}", service=service, data=item,
                              observed_at=_time(item.get("changed_at"))))
        elif source == "incidents":
            out.append(Record(ref=str(item.get("id")), service=service, data=item, observed_at=_time(item.get("opened_at"))))
    return out


class ReplayConnector:
    vendor = "replay"

    def __init__(self, source: str, sources: dict) -> None:
        self.source = source
        self.sources = sources

    def fetch(self, scope: Scope, *, deadline) -> Fetched:
        failure = (self.sources.get("unavailable") or {}).get(self.source)
        if failure == "not_configured":
            raise NotConfigured(f"no connector for {self.source} is configured")
        if failure:
            raise SourceError(failure, FAILURES.get(failure, "the source failed"), transient=failure in TRANSIENT)
        return Fetched(_records(self.source, self.sources.get(self.source), scope))


def replay_backend(sources: dict):
    """A registry backend answering every source from a scenario's `sources`."""

    def factory(source: str) -> list[ReplayConnector]:
        assert source in SOURCES
        return [ReplayConnector(source, sources)]

    return factory
