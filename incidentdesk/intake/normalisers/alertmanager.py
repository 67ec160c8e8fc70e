"""Prometheus Alertmanager ``webhook_config`` (version 4), and Grafana's look-alike.

One delivery groups several alerts; each becomes its own event keyed on the alert's
fingerprint. Alertmanager re-sends the same group on every ``group_interval`` and
``repeat_interval``, so the delivery id hashes what identifies the notification's content:
each alert's (fingerprint, startsAt, status).
"""

import hashlib
import json
from collections.abc import Mapping

from incidentdesk.intake.events import Delivery, EventKind, PayloadError, TriggerEvent
from incidentdesk.intake.normalisers.fields import (
    MAX_TITLE_CHARS,
    clip,
    evaluation_window,
    explicit_severity,
    load_object,
    obj,
    parse_time,
    scalar_text,
    text,
    unique,
)

SOURCE = "alertmanager"

_KINDS: dict[str, EventKind] = {"firing": "trigger", "resolved": "resolve"}
_LINK_ANNOTATIONS = ("runbook_url", "runbook", "dashboard_url", "dashboard")
_LINK_FIELDS = ("generatorURL", "dashboardURL", "panelURL")


def normalise(headers: Mapping[str, str], body: bytes) -> Delivery:
    payload = load_object(body)
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("missing required field alerts (an array)")
    group_status = text(payload, "status")
    common_labels = _strings(obj(payload, "commonLabels"))
    events = []
    identities = []
    for index, alert in enumerate(alerts):
        if not isinstance(alert, dict):
            raise PayloadError(f"alerts[{index}] must be an object")
        event = _event(alert, group_status, common_labels)
        events.append(event)
        identities.append(
            [event.attributes["fingerprint"], text(alert, "startsAt") or "", text(alert, "status") or ""]
        )
    digest = hashlib.sha256(json.dumps(sorted(identities)).encode("utf-8")).hexdigest()
    return Delivery(source=SOURCE, delivery_id=digest, events=tuple(events))


def _strings(mapping: dict) -> dict[str, str]:
    """Labels and annotations are string maps; anything else in them is dropped."""
    return {str(key): value for key, value in mapping.items() if isinstance(value, str)}


def _fingerprint(alert: dict, labels: dict[str, str]) -> str:
    given = text(alert, "fingerprint")
    if given:
        return given
    # Alertmanager always sends one; other senders get a stable hash of the label set.
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def _event(alert: dict, group_status: str | None, common_labels: dict[str, str]) -> TriggerEvent:
    labels = {**common_labels, **_strings(obj(alert, "labels"))}
    annotations = _strings(obj(alert, "annotations"))
    fingerprint = _fingerprint(alert, labels)
    status = (text(alert, "status") or group_status or "").lower()
    alertname = labels.get("alertname")
    summary = annotations.get("summary") or annotations.get("message")
    description = annotations.get("description")
    title = summary or alertname or text(alert, "title") or "Alertmanager alert"
    if summary and alertname:
        title = f"{alertname}: {summary}"
    service = next((labels[key] for key in ("service", "job", "app") if labels.get(key, "").strip()), None)
    starts_at = parse_time(alert.get("startsAt"))
    # startsAt is when the rule fired, after its pending period and over its range: the condition
    # began earlier, by as much as the expression and annotations say.
    window = evaluation_window(text(alert, "generatorURL"), summary, description)
    ends_at = parse_time(alert.get("endsAt"))
    links = [scalar_text(alert.get(key)) for key in _LINK_FIELDS]
    links += [annotations.get(key) for key in _LINK_ANNOTATIONS]
    attributes = {
        "fingerprint": fingerprint,
        "alertname": alertname,
        "status": status or None,
        "labels": labels,
        "annotations": annotations,
        "ends_at": ends_at.isoformat() if ends_at else None,
        "value": text(alert, "valueString"),
    }
    return TriggerEvent(
        source=SOURCE,
        kind=_KINDS.get(status, "update"),
        vendor_key=f"alertmanager:{fingerprint}",
        service_name=service.strip() if service else None,
        title=clip(title, MAX_TITLE_CHARS),
        occurred_at=ends_at if status == "resolved" and ends_at else starts_at,
        started_at=starts_at - window if starts_at and window else starts_at,
        # Only an explicit "sevN" label counts: critical/page/warning scales are not sev levels.
        severity_hint=explicit_severity(labels.get("severity")),
        symptoms=unique([clip(summary) if summary else None, clip(description) if description else None]),
        links=unique(link for link in links if link and link.startswith(("http://", "https://"))),
        attributes={key: value for key, value in attributes.items() if value not in (None, {})},
    )
