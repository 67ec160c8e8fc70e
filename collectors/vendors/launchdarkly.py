"""LaunchDarkly reads: flag changes in one project and environment, from the audit log."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import httpx

from collectors.base import Fetched, NotConfigured, Record, Scope, SourceError
from collectors.timefmt import iso_z as _iso
from incidentdesk.http import MAX_BODY_BYTES, Deadline, json_body, make_client, request

DEFAULT_URL = "https://app.launchdarkly.com"
PAGE_SIZE = 20  # the audit log's maximum
MAX_PAGES = 100
_SEPARATORS = "-_.:/"
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


def _ms(value: datetime) -> int:
    value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return int(value.timestamp() * 1000)




class LaunchDarklyFlagChanges:
    """Flag changes in the window, each attributed to the scope service its key is prefixed with."""

    source = "feature_flags"
    vendor = "launchdarkly"

    def __init__(
        self,
        *,
        token: str,
        project: str = "default",
        environment: str = "production",
        url: str = DEFAULT_URL,
        max_records: int = 200,
        page_size: int = PAGE_SIZE,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.token = token
        self.project = project
        self.environment = environment
        self.url = url.rstrip("/")
        self.max_records = max_records
        self.page_size = max(1, min(page_size, PAGE_SIZE))
        self.transport = transport
        self.sleep = sleep
        self.max_bytes = max_bytes

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **kwargs: Any) -> LaunchDarklyFlagChanges:
        token = environ.get("LAUNCHDARKLY_API_TOKEN", "").strip()
        if not token:
            raise NotConfigured("LAUNCHDARKLY_API_TOKEN is not set")
        return cls(
            token=token,
            project=environ.get("LAUNCHDARKLY_PROJECT") or "default",
            environment=environ.get("LAUNCHDARKLY_ENVIRONMENT") or "production",
            url=environ.get("LAUNCHDARKLY_URL") or DEFAULT_URL,
            **kwargs,
        )

    def fetch(self, scope: Scope, *, deadline: Deadline) -> Fetched:
        params: dict[str, Any] = {
            "after": _ms(scope.start),
            "before": _ms(scope.end),
            "limit": self.page_size,
            "spec": f"proj/{self.project}:env/{self.environment}:flag/*",
        }
        seen: set[str] = set()
        records: list[Record] = []
        truncated = False
        # The audit log has no API token header scheme: the token is the whole Authorization value.
        headers = {"Authorization": self.token}
        with make_client(base_url=self.url, headers=headers, transport=self.transport) as client:
            for _ in range(MAX_PAGES):
                response = request(
                    client,
                    "GET",
                    "/api/v2/auditlog",
                    deadline=deadline,
                    params=params,
                    sleep=self.sleep,
                    max_bytes=self.max_bytes,
                )
                items = _items(json_body(response))
                fresh = [item for item in items if item["_id"] not in seen]
                for item in fresh:
                    seen.add(item["_id"])
                    if len(records) >= self.max_records:
                        truncated = True
                        break
                    record = self._record(item, scope)
                    if record is not None:
                        records.append(record)
                if truncated or len(items) < self.page_size or not fresh:
                    break
                # `before` is exclusive: ask from one millisecond past the oldest entry so that
                # entries sharing its timestamp are not skipped; the ids already seen drop the repeats.
                params["before"] = min(int(item["date"]) for item in items) + 1
        records.sort(key=lambda r: (r.observed_at, r.ref))
        note = f"kept the latest {self.max_records} flag changes; older ones cut" if truncated else ""
        return Fetched(records=records, truncated=truncated, note=note)

    def _record(self, item: dict, scope: Scope) -> Record | None:
        try:
            key, environment = self._flag(item)
            if key is None:
                return None
            changed = datetime.fromtimestamp(int(item["date"]) / 1000, tz=timezone.utc)
            before, after = _toggle(item, environment)
            service = _service_for(key, scope)
            site = ((item.get("_links") or {}).get("site") or {}).get("href")
            return Record(
                ref=str(item["_id"]),
                service=service,
                data={
                    "key": key,
                    "service": service,
                    "environment": environment,
                    "changed_at": _iso(changed),
                    "actor": _actor(item),
                    "from": before,
                    "to": after,
                },
                observed_at=changed,
                url=f"{self.url}{site}" if isinstance(site, str) and site.startswith("/") else None,
            )
        except _SHAPE_ERRORS as exc:
            raise SourceError("malformed", f"audit log entry {item.get('_id')!r}: {exc!r}") from exc

    def _flag(self, item: dict) -> tuple[str | None, str]:
        """The flag key and environment an entry is about, from its resource specifiers first."""
        target = item.get("target") or {}
        for resource in target.get("resources") or []:
            parts = _resource(resource)
            if "flag" in parts and parts.get("proj", self.project) == self.project:
                return parts["flag"], parts.get("env", self.environment)
        links = item.get("_links") or {}
        for name in ("canonical", "parent"):
            href = (links.get(name) or {}).get("href") or ""
            prefix = f"/api/v2/flags/{self.project}/"
            if href.startswith(prefix) and href[len(prefix) :]:
                return href[len(prefix) :].split("/")[0], self.environment
        return (target.get("name") or None), self.environment


def _items(body: Any) -> list[dict]:
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise SourceError("malformed", "audit log: expected an object with an items list")
    items = body["items"]
    if not all(isinstance(item, dict) and "_id" in item and "date" in item for item in items):
        raise SourceError("malformed", "audit log: an entry has no _id or date")
    return items


def _resource(spec: str) -> dict[str, str]:
    """'proj/default:env/production:flag/checkout-v2;tag' -> {'proj': ..., 'env': ..., 'flag': ...}."""
    parts: dict[str, str] = {}
    for segment in str(spec).split(":"):
        kind, _, name = segment.partition("/")
        if name:
            parts[kind] = name.split(";")[0]
    return parts


def _service_for(key: str, scope: Scope) -> str:
    """The scope service whose name or alias prefixes the flag key (longest wins), else the run's own."""
    lowered = key.lower()
    best, length = scope.service, 0
    for ref in scope.services:
        for name in (ref.name, *ref.aliases):
            name = name.lower()
            if not name:
                continue
            prefixed = lowered == name or (lowered.startswith(name) and lowered[len(name)] in _SEPARATORS)
            if prefixed and len(name) > length:
                best, length = ref.name, len(name)
    return best


def _actor(item: dict) -> str | None:
    # A member's email is personal data: name the member, or fall back to their id, never the address.
    member = item.get("member") or {}
    full_name = " ".join(part for part in (member.get("firstName"), member.get("lastName")) if part).strip()
    if full_name:
        return full_name
    if member.get("_id"):
        return str(member["_id"])
    for holder in ("token", "app"):
        name = (item.get(holder) or {}).get("name")
        if name:
            return str(name)
    return None


def _toggle(item: dict, environment: str) -> tuple[Any, Any]:
    """(from, to) of the flag's on state, from the versions when given, else from the verb."""
    previous, current = item.get("previousVersion"), item.get("currentVersion")
    if isinstance(previous, dict) or isinstance(current, dict):
        was, now = _on(previous, environment), _on(current, environment)
        if was is not None or now is not None:
            return was, now
    verb = str(item.get("titleVerb") or "").lower()
    if "turned on" in verb:
        return False, True
    if "turned off" in verb:
        return True, False
    return None, None


def _on(version: Any, environment: str) -> bool | None:
    if not isinstance(version, dict):
        return None
    if isinstance(version.get("on"), bool):
        return version["on"]
    env = (version.get("environments") or {}).get(environment)
    if isinstance(env, dict) and isinstance(env.get("on"), bool):
        return env["on"]
    return None
