"""The desk's own JSON form, for senders with no vendor format (support tooling, scripts, scanners).

Send ``POST`` with ``Content-Type: application/json`` and ``Authorization: Bearer <secret>``::

    {
      "service": "accounts-api",            required: the service's catalog name or alias
      "summary": "Customers see ...",       required (or "title", "name", "message"): one line
                                                      saying what is wrong
      "id": "ticket-spike-8812",            optional: stable across your retries (else the body's hash)
      "kind": "support_spike",              optional: support_spike | synthetic | error_budget |
                                                      deploy | security | other
      "status": "firing",                   optional: firing (default) | resolved; checkers' words
                                                      are understood too (down, failing, alert /
                                                      up, ok, recovered)
      "severity": "sev2",                   optional: sev1..sev4; other scales are kept, not mapped
      "incident_key": "acct-invoices",      optional (or "dedup_key"): groups all your events of one
                                                      incident; resolve with the same key
      "started_at": "2026-03-16T09:35:00Z", optional (or "first_seen", "first_ticket_at",
                                                      "failing_since")
      "occurred_at": "...",                 optional: when this event happened
      "description": "...",                 optional: more detail
      "link": "https://...",                optional (or "url"); "links": [...] for several
      "count": 37, "baseline": 2,           optional: how many reports/failures, against normal
      "window_minutes": 60,                 optional: the window count and baseline cover
      "tags": ["billing-portal"],           optional
      "data_exposure": true                 optional: the sender reports customer data exposure
    }

``kind`` of ``security``, ``data_exposure`` or ``privacy`` also reports data exposure; the
desk never infers it from free text.
"""

import hashlib
from collections.abc import Mapping

from incidentdesk.intake.events import Delivery, EventKind, PayloadError, TriggerEvent, volume_text
from incidentdesk.intake.normalisers.fields import (
    MAX_TITLE_CHARS,
    array,
    clip,
    explicit_severity,
    first_text,
    load_object,
    parse_time,
    require_text,
    scalar_text,
    started_in_text,
    text,
    unique,
)

SOURCE = "generic"
KINDS = frozenset({"support_spike", "synthetic", "error_budget", "deploy", "security", "other"})
DATA_EXPOSURE_KINDS = frozenset({"security", "data_exposure", "privacy"})

_STARTED_AT_FIELDS = ("started_at", "first_seen", "first_ticket_at", "failing_since")
_SUMMARY_FIELDS = ("summary", "title", "name", "message")
# Home-grown checkers say "down" or "ok" rather than firing/resolved; both are understood.
_STATUS_KINDS: dict[str, EventKind] = {
    **dict.fromkeys(("firing", "triggered", "alert", "alerting", "down", "failing", "critical", "problem"), "trigger"),
    **dict.fromkeys(("resolved", "recovered", "ok", "up", "closed"), "resolve"),
}


def normalise(headers: Mapping[str, str], body: bytes) -> Delivery:
    payload = load_object(body)
    service = require_text(payload, "service", "service")
    summary = first_text(payload, *_SUMMARY_FIELDS)
    if summary is None:
        raise PayloadError("missing required field summary (or title, name, message)")
    category = (text(payload, "kind") or "other").lower()
    if category not in KINDS | DATA_EXPOSURE_KINDS:
        category = "other"
    status = (text(payload, "status") or "firing").lower()
    if status not in _STATUS_KINDS:
        raise PayloadError(f"status must be one of {', '.join(sorted(_STATUS_KINDS))}, not {status!r}")
    severity = text(payload, "severity")
    incident_key = first_text(payload, "incident_key", "dedup_key")
    delivery_id = text(payload, "id") or hashlib.sha256(body).hexdigest()
    description = text(payload, "description")
    count, baseline, window = (text(payload, key) for key in ("count", "baseline", "window_minutes"))

    volume = None
    if count:
        volume = "count " + volume_text(count, baseline, window)
    links = [text(payload, "link"), text(payload, "url")] + [scalar_text(link) for link in array(payload, "links")]
    attributes = {
        "category": category,
        "status": status,
        "severity": severity,
        "count": count,
        "baseline": baseline,
        "window_minutes": window,
        "tags": [tag for tag in (scalar_text(tag) for tag in array(payload, "tags")) if tag],
        "description": clip(description) if description else None,
    }
    event = TriggerEvent(
        source=SOURCE,
        kind=_STATUS_KINDS[status],
        vendor_key=f"generic:{incident_key}" if incident_key else None,
        service_name=service,
        title=clip(summary, MAX_TITLE_CHARS),
        occurred_at=parse_time(payload.get("occurred_at")),
        started_at=next(filter(None, (parse_time(payload.get(key)) for key in _STARTED_AT_FIELDS)), None)
        or started_in_text(f"{summary} {description or ''}", parse_time(payload.get("occurred_at"))),
        severity_hint=explicit_severity(severity),
        symptoms=unique([clip(summary), clip(description) if description else None, volume]),
        links=unique(links),
        reports_data_exposure=payload.get("data_exposure") is True or category in DATA_EXPOSURE_KINDS,
        attributes={key: value for key, value in attributes.items() if value not in (None, [])},
    )
    return Delivery(source=SOURCE, delivery_id=delivery_id, events=(event,))
