"""PagerDuty Webhooks V3: ``{"event": {id, event_type, resource_type, occurred_at, agent, client, data}}``.

One event per delivery. ``data`` is the incident for most ``incident.*`` events; for notes,
responders and status updates it is another object that references the incident in
``data.incident``.
"""

from collections.abc import Mapping

from incidentdesk.intake.events import Delivery, EventKind, TriggerEvent
from incidentdesk.intake.normalisers.fields import (
    array,
    body_digest,
    clip,
    load_object,
    obj,
    parse_time,
    require_object,
    require_text,
    text,
    unique,
)

SOURCE = "pagerduty"

_TRIGGERS = frozenset(
    {
        "incident.triggered",
        "incident.reopened",
        "incident.escalated",
        "incident.unacknowledged",
        "incident.priority_updated",
    }
)
_RESOLVES = frozenset({"incident.resolved"})
_SEVERITY_BY_PRIORITY = {"P1": "sev1", "P2": "sev2", "P3": "sev3", "P4": "sev4"}


def _kind(event_type: str) -> EventKind:
    if event_type in _TRIGGERS:
        return "trigger"
    if event_type in _RESOLVES:
        return "resolve"
    if event_type.startswith("incident."):
        # acknowledged, annotated, reassigned, delegated, responder.*, status_update_published...
        return "update"
    return "ignore"


def normalise(headers: Mapping[str, str], body: bytes) -> Delivery:
    payload = load_object(body)
    event = require_object(payload, "event", "event")
    event_type = require_text(event, "event_type", "event.event_type")
    data = require_object(event, "data", "event.data")
    # Dedup on what the signature covers: X-Webhook-Id is not signed, so a captured body resent
    # under a fresh header would count as new. The event id is in the signed body.
    delivery_id = text(event, "id") or body_digest(body)
    occurred_at = parse_time(event.get("occurred_at"))

    kind = _kind(event_type)
    if kind == "ignore":
        ignored = _ignored(event_type, data)
        return Delivery(source=SOURCE, delivery_id=delivery_id, events=(ignored,), signed_at=occurred_at)

    incident = obj(data, "incident") or data
    incident_id = require_text(incident, "id", "event.data.id (the incident id)")
    service = obj(incident, "service")
    priority = text(obj(incident, "priority"), "summary")
    note = text(data, "content") if text(data, "type") == "incident_note" else None
    title = text(incident, "title") or text(incident, "summary") or f"PagerDuty {event_type}"

    attributes = {
        "event_type": event_type,
        "vendor_service_id": text(service, "id"),
        "incident_number": text(incident, "number"),
        "incident_key": text(incident, "incident_key"),
        "status": text(incident, "status"),
        "urgency": text(incident, "urgency"),
        "priority": priority,
        "escalation_policy": text(obj(incident, "escalation_policy"), "summary"),
        "assignees": _summaries(array(incident, "assignees")),
        "teams": _summaries(array(incident, "teams")),
        "agent": text(obj(event, "agent"), "summary"),
        "client": text(obj(event, "client"), "name"),
    }
    trigger = TriggerEvent(
        source=SOURCE,
        kind=kind,
        vendor_key=f"pagerduty:{incident_id}",
        service_name=text(service, "summary"),
        title=clip(title, 200),
        occurred_at=occurred_at,
        started_at=parse_time(incident.get("created_at")),
        severity_hint=_SEVERITY_BY_PRIORITY.get(priority.upper()) if priority else None,
        symptoms=unique([clip(title), clip(note) if note else None]),
        links=unique([text(incident, "html_url")]),
        attributes={key: value for key, value in attributes.items() if value not in (None, [])},
    )
    return Delivery(source=SOURCE, delivery_id=delivery_id, events=(trigger,), signed_at=occurred_at)


def _ignored(event_type: str, data: dict) -> TriggerEvent:
    """Service and other non-incident events: recorded, never grouped onto a run."""
    return TriggerEvent(
        source=SOURCE,
        kind="ignore",
        vendor_key=None,
        service_name=text(data, "summary") or text(data, "name"),
        title=f"PagerDuty {event_type}",
        attributes={"event_type": event_type},
    )


def _summaries(references: list) -> list[str]:
    names = (text(reference, "summary") for reference in references if isinstance(reference, dict))
    return [name for name in names if name]
