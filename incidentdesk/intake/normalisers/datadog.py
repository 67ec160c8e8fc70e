"""Datadog webhooks integration: monitor, SLO, synthetics and service-check notifications.

The body is whatever template the webhook was configured with, so every field is optional
and every value may arrive as a string. The desk's template is the default one
(``id, title, body, date, last_updated, event_type, org``) plus ``alert_id``,
``alert_cycle_key``, ``alert_transition``, ``alert_type``, ``alert_priority``,
``alert_status``, ``alert_metric``, ``alert_query``, ``alert_scope``, ``tags``,
``service`` (``$TAGS[service]``), ``link`` and ``snapshot``.
"""

import re
from collections.abc import Mapping

from incidentdesk.intake.events import Delivery, EventKind, PayloadError, TriggerEvent
from incidentdesk.intake.normalisers.fields import (
    MAX_TITLE_CHARS,
    clip,
    evaluation_window,
    first_text,
    load_object,
    obj,
    parse_time,
    scalar_text,
    text,
    unique,
)

SOURCE = "datadog"

# Transitions, compared lower-cased.
_TRIGGERS = frozenset({"triggered", "re-triggered", "warn", "re-warn", "no data", "re-no data", "renotify"})
_RESOLVES = frozenset({"recovered"})
# The first notification of an alert cycle: its date is when the problem was first seen.
_CYCLE_STARTS = frozenset({"triggered", "warn", "no data"})
_TITLE_TRANSITION = re.compile(
    r"\[(Triggered|Re-Triggered|Recovered|Warn|Re-Warn|No Data|Re-No Data|Renotify)\b", re.IGNORECASE
)
_MENTION_LINE = re.compile(r"^\s*(@\S+\s*)+$")


def _transition(payload: dict, title: str) -> str | None:
    explicit = first_text(payload, "alert_transition", "transition")
    if explicit:
        return explicit
    match = _TITLE_TRANSITION.search(title)
    return match.group(1) if match else None


def _kind(transition: str | None, alert_type: str | None) -> EventKind:
    if transition:
        lowered = transition.lower()
        if lowered in _TRIGGERS:
            return "trigger"
        if lowered in _RESOLVES:
            return "resolve"
        return "update"
    if alert_type and alert_type.lower() == "success":
        return "resolve"
    if alert_type and alert_type.lower() == "info":
        return "update"
    # A notification with no transition at all still means a monitor paged the webhook.
    return "trigger"


def _tags(value: object) -> list[str]:
    """``$TAGS`` is a comma-separated string; hand-written templates may send a list."""
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list):
        parts = [part for part in value if isinstance(part, str)]
    else:
        return []
    return [part.strip() for part in parts if part.strip()]


def _tag_value(tags: list[str], key: str) -> str | None:
    for tag in tags:
        name, colon, value = tag.partition(":")
        if colon and name.strip() == key and value.strip():
            return value.strip()
    return None


def _message(payload: dict) -> str | None:
    """The event text without its lines of ``@notification`` handles."""
    raw = first_text(payload, "text_only_msg", "body", "event_msg", "message")
    if raw is None:
        return None
    lines = [line for line in raw.splitlines() if not _MENTION_LINE.match(line)]
    return "\n".join(lines).strip() or None


def normalise(headers: Mapping[str, str], body: bytes) -> Delivery:
    payload = load_object(body)
    title = first_text(payload, "title", "alert_title", "event_title")
    if title is None:
        raise PayloadError("missing required field title")
    transition = _transition(payload, title)
    alert_type = text(payload, "alert_type")
    kind = _kind(transition, alert_type)

    event_id = text(payload, "id")
    alert_id = text(payload, "alert_id")
    cycle_key = text(payload, "alert_cycle_key")
    if event_id:
        delivery_id = event_id
    elif cycle_key and transition:
        delivery_id = f"{cycle_key}:{transition}"
    else:
        delivery_id = None
    if alert_id and cycle_key:
        vendor_key = f"datadog:{alert_id}:{cycle_key}"
    elif alert_id:
        vendor_key = f"datadog:{alert_id}"
    else:
        vendor_key = None

    tags = _tags(payload.get("tags"))
    scope = _tags(payload.get("alert_scope"))
    service_name = text(payload, "service") or _tag_value(tags, "service") or _tag_value(scope, "service")

    date = parse_time(payload.get("date"))
    last_updated = parse_time(payload.get("last_updated"))
    started_at = date if transition and transition.lower() in _CYCLE_STARTS else None
    # The monitor fires once its query held over its window: the condition began that much earlier.
    window = evaluation_window(text(payload, "alert_query"))
    if started_at and window:
        started_at -= window
    message = _message(payload)
    status = text(payload, "alert_status")
    if status and message and status in message:
        status = None

    attributes = {
        "monitor_id": alert_id,
        "event_id": event_id,
        "event_type": text(payload, "event_type"),
        "alert_transition": transition,
        "alert_type": alert_type,
        "alert_priority": text(payload, "alert_priority"),
        "alert_cycle_key": cycle_key,
        "alert_metric": text(payload, "alert_metric"),
        "alert_query": text(payload, "alert_query"),
        "alert_scope": text(payload, "alert_scope"),
        "aggregation_key": text(payload, "aggreg_key"),
        "hostname": text(payload, "hostname"),
        "org": text(obj(payload, "org"), "name"),
        "tags": tags,
    }
    trigger = TriggerEvent(
        source=SOURCE,
        kind=kind,
        vendor_key=vendor_key,
        service_name=service_name,
        title=clip(title, MAX_TITLE_CHARS),
        occurred_at=date or last_updated,
        started_at=started_at,
        symptoms=unique([clip(status) if status else None, clip(message) if message else None]),
        links=unique([scalar_text(payload.get("link")), scalar_text(payload.get("snapshot"))]),
        attributes={key: value for key, value in attributes.items() if value not in (None, [])},
    )
    return Delivery(source=SOURCE, delivery_id=delivery_id, events=(trigger,))
