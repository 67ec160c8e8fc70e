"""PagerDuty reads: resolved incidents of the scope's services over a longer history window."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import httpx

from collectors.base import Fetched, NotConfigured, Record, Scope, SourceError
from collectors.timefmt import iso_z as _iso
from collectors.timefmt import parse_iso as _parse_time
from incidentdesk.http import MAX_BODY_BYTES, Deadline, json_body, make_client, request

DEFAULT_URL = "https://api.pagerduty.com"
SERVICE_ANNOTATION = "pagerduty.com/service-id"
PAGE_LIMIT = 100  # the API's maximum
MAX_OFFSET = 10_000  # classic pagination refuses offset + limit beyond this
_SERVICE_ID = re.compile(r"^P[A-Z0-9]{6}$")
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)






def service_ids(scope: Scope) -> dict[str, str]:
    """PagerDuty service id -> catalog service name, from annotations and id-shaped aliases."""
    found: dict[str, str] = {}
    for ref in scope.services:
        annotated = str(ref.annotations.get(SERVICE_ANNOTATION) or "")
        candidates = [part.strip() for part in annotated.split(",")] + list(ref.aliases)
        for candidate in candidates:
            if _SERVICE_ID.match(candidate):
                found.setdefault(candidate, ref.name)
    return found


class PagerDutyIncidents:
    """Resolved incidents of the scope's services in the `history_days` before the window ends."""

    source = "incidents"
    vendor = "pagerduty"

    def __init__(
        self,
        *,
        token: str,
        url: str = DEFAULT_URL,
        history_days: int = 90,
        max_records: int = 100,
        page_size: int = PAGE_LIMIT,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.token = token
        self.url = url.rstrip("/")
        self.history_days = history_days
        self.max_records = max_records
        self.page_size = max(1, min(page_size, PAGE_LIMIT))
        self.transport = transport
        self.sleep = sleep
        self.max_bytes = max_bytes

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **kwargs: Any) -> PagerDutyIncidents:
        token = environ.get("PAGERDUTY_API_TOKEN", "").strip()
        if not token:
            raise NotConfigured("PAGERDUTY_API_TOKEN is not set")
        return cls(token=token, url=environ.get("PAGERDUTY_URL") or DEFAULT_URL, **kwargs)

    def fetch(self, scope: Scope, *, deadline: Deadline) -> Fetched:
        ids = service_ids(scope)
        if not ids:
            # Without service ids the query would read every service in the account.
            return Fetched(records=[], note="no PagerDuty service id known for the scope's services")
        params: dict[str, Any] = {
            "service_ids[]": sorted(ids),
            "since": _iso(scope.end - timedelta(days=self.history_days)),
            "until": _iso(scope.end),
            "statuses[]": "resolved",
            "sort_by": "created_at:desc",
            "limit": self.page_size,
            "offset": 0,
        }
        records: list[Record] = []
        note = ""
        with make_client(
            base_url=self.url,
            headers={
                "Authorization": f"Token token={self.token}",
                "Accept": "application/vnd.pagerduty+json;version=2",
            },
            transport=self.transport,
        ) as client:
            while True:
                response = request(
                    client,
                    "GET",
                    "/incidents",
                    deadline=deadline,
                    params=params,
                    sleep=self.sleep,
                    max_bytes=self.max_bytes,
                )
                incidents, more = _page(json_body(response))
                for incident in incidents:
                    if len(records) >= self.max_records:
                        note = f"kept the latest {self.max_records} incidents; older ones cut"
                        break
                    record = _record(incident, ids)
                    if record is not None:
                        records.append(record)
                if note or not more or not incidents:
                    break
                params["offset"] += self.page_size
                if params["offset"] + self.page_size > MAX_OFFSET:
                    note = f"PagerDuty lists no further than {MAX_OFFSET} incidents; older ones cut"
                    break
        return Fetched(records=records, truncated=bool(note), note=note)


def _page(body: Any) -> tuple[list[dict], bool]:
    if not isinstance(body, dict) or not isinstance(body.get("incidents"), list):
        raise SourceError("malformed", "incidents: expected an object with an incidents list")
    if not all(isinstance(incident, dict) for incident in body["incidents"]):
        raise SourceError("malformed", "incidents: an entry is not an object")
    return body["incidents"], bool(body.get("more"))


def _record(incident: dict, ids: dict[str, str]) -> Record | None:
    try:
        service = ids.get(incident["service"]["id"])
        if service is None:
            return None  # not a service this scope asked about
        opened = _parse_time(incident["created_at"])
        resolved = incident.get("resolved_at")
        if not resolved and incident.get("status") == "resolved":
            resolved = incident.get("last_status_change_at")
        return Record(
            ref=str(incident["id"]),
            service=service,
            data={
                "id": str(incident["id"]),
                "service": service,
                "title": incident.get("title") or incident["summary"],
                "opened_at": _iso(opened),
                "resolved_at": _iso(_parse_time(resolved)) if resolved else None,
                # PagerDuty records no cause or resolution; a postmortem elsewhere may.
                "cause": None,
                "resolution": None,
            },
            observed_at=opened,
            url=incident.get("html_url"),
        )
    except _SHAPE_ERRORS as exc:
        raise SourceError("malformed", f"incident {incident.get('id')!r}: {exc!r}") from exc
