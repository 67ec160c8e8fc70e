"""The alerts of a storm: real vendor payload shapes, signed as each vendor signs them.

Every alert is a distinct delivery about one of the services; each (service, vendor) pair is
one vendor incident, so the whole storm should become one run per service.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from incidentdesk.replay.signing import sign

VENDORS = ("pagerduty", "datadog", "alertmanager", "sentry", "generic")


@dataclass(frozen=True)
class Alert:
    index: int
    source: str
    service: str
    delivery: str  # what the desk deduplicates this delivery on
    raw: bytes  # the whole HTTP request, ready to write to a socket
    retry_of: int | None = None


def service_names(count: int) -> list[str]:
    return [f"storm-svc-{i:02d}" for i in range(count)]


def _pagerduty(i: int, service: int, name: str, at: datetime) -> tuple[dict, dict, str]:
    incident = f"QSTORM{service:04d}"
    # Acknowledgements and notes only once every service has paged: an update about an incident
    # the desk has not seen yet opens nothing.
    event_type = "incident.triggered" if i < 2000 or i % 3 == 0 else (
        "incident.acknowledged" if i % 3 == 1 else "incident.escalated")
    body = {"event": {
        "id": f"01STORM{i:08d}", "event_type": event_type, "resource_type": "incident",
        "occurred_at": at.isoformat().replace("+00:00", "Z"), "agent": None, "client": {"name": "Datadog"},
        "data": {"id": incident, "type": "incident", "number": 4000 + service, "status": "triggered",
                 "title": f"{name} 5xx > 5%", "incident_key": f"dd-monitor-{service}",
                 "created_at": at.isoformat().replace("+00:00", "Z"), "urgency": "high",
                 "html_url": f"https://acme.pagerduty.com/incidents/{incident}",
                 "service": {"id": f"PSVC{service:03d}", "summary": name, "type": "service_reference"},
                 "assignees": [{"id": "PUSR9", "summary": "Alice", "type": "user_reference"}],
                 "priority": None, "resolve_reason": None}}}
    webhook_id = f"storm-pd-{i}"
    return body, {"X-Webhook-Id": webhook_id}, webhook_id


def _datadog(i: int, service: int, name: str, at: datetime) -> tuple[dict, dict, str]:
    event_id = str(7716548234000000000 + i)
    body = {"id": event_id, "alert_id": str(900000 + service), "alert_cycle_key": str(7716548234001110000 + service),
            "alert_transition": "Triggered" if i % 4 == 0 else "Re-Triggered",
            "title": f"[Triggered] {name} p99 latency high", "date": str(int(at.timestamp() * 1000)),
            "event_type": "metric_alert_monitor", "alert_type": "error", "alert_priority": "P1",
            "tags": f"env:prod, service:{name}, team:storm", "service": name,
            "link": f"https://app.datadoghq.com/event/event?id={event_id}", "org": {"id": "11023", "name": "Acme"}}
    return body, {}, event_id


def _alertmanager(i: int, service: int, name: str, at: datetime) -> tuple[dict, dict, str]:
    fingerprint = hashlib.sha256(f"storm-{i}".encode()).hexdigest()[:16]
    starts = at.isoformat().replace("+00:00", "Z")
    labels = {"alertname": "HighErrorRate", "service": name, "severity": "critical", "pod": f"{name}-{i % 97}"}
    body = {"version": "4", "groupKey": f"{{}}:{{alertname=\"HighErrorRate\",service=\"{name}\"}}",
            "truncatedAlerts": 0, "status": "firing", "receiver": "incident-desk",
            "groupLabels": {"alertname": "HighErrorRate"}, "commonLabels": labels,
            "commonAnnotations": {"summary": "5xx ratio 7.2%"}, "externalURL": "http://alertmanager:9093",
            "alerts": [{"status": "firing", "labels": labels,
                        "annotations": {"summary": "5xx ratio 7.2%", "runbook_url": f"https://runbooks/{name}"},
                        "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": "http://prometheus:9090/graph?g0.expr=...", "fingerprint": fingerprint}]}
    return body, {"User-Agent": "Alertmanager/0.27.0"}, fingerprint


def _sentry(i: int, service: int, name: str, at: datetime) -> tuple[dict, dict, str]:
    event_id = hashlib.md5(f"storm-{i}".encode()).hexdigest()
    issue_id = str(1117540000 + service)
    body = {"action": "triggered", "installation": {"uuid": "a8e5d37a-0000-4c54-adb5-b3f28d64c7de"},
            "actor": {"type": "application", "id": "sentry", "name": "Sentry"},
            "data": {"triggered_rule": f"{name} errors > 50/min", "event": {
                "event_id": event_id, "issue_id": issue_id,
                "web_url": f"https://sentry.io/organizations/acme/issues/{issue_id}/events/{event_id}/",
                "title": "KeyError: 'currency'", "level": "error", "platform": "python",
                "release": f"{name}@2026.03.04-1", "datetime": at.isoformat().replace("+00:00", "Z"),
                "tags": [["environment", "production"], ["service", name], ["release", f"{name}@2026.03.04-1"]],
                "exception": {"values": [{"type": "KeyError", "value": "'currency'", "stacktrace": {"frames": [
                    {"filename": "app/views.py", "function": "charge", "lineno": 88, "in_app": True,
                     "context_line": "    cur = body['currency']"}]}}]}}}}
    headers = {"Sentry-Hook-Resource": "event_alert", "Sentry-Hook-Timestamp": str(int(at.timestamp())),
               "Request-ID": hashlib.md5(f"req-{i}".encode()).hexdigest()}
    return body, headers, event_id


def _generic(i: int, service: int, name: str, at: datetime) -> tuple[dict, dict, str]:
    body = {"service": name, "summary": f"Support tickets about {name} up 10x", "id": f"storm-generic-{i}",
            "kind": "support_spike", "status": "firing", "incident_key": f"spike-{name}",
            "started_at": at.isoformat().replace("+00:00", "Z"), "count": 37, "baseline": 2}
    return body, {}, body["id"]


_BUILDERS = {"pagerduty": _pagerduty, "datadog": _datadog, "alertmanager": _alertmanager,
             "sentry": _sentry, "generic": _generic}


def http_request(source: str, body: bytes, headers: dict[str, str], host: str) -> bytes:
    lines = [f"POST /hooks/{source}/ HTTP/1.1", f"Host: {host}", "Content-Type: application/json",
             f"Content-Length: {len(body)}", "X-Forwarded-Proto: https", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def storm(*, alerts: int, services: int, retry_share: float, secret: str, host: str,
          seed: int = 7) -> list[Alert]:
    """The storm's requests in sending order: `alerts` distinct deliveries and, mixed in after their
    originals, identical retries of a `retry_share` of them."""
    rng = random.Random(seed)
    names = service_names(services)
    start = datetime.now(timezone.utc) - timedelta(minutes=2)
    originals: list[Alert] = []
    for i in range(alerts):
        source = VENDORS[i % len(VENDORS)]
        service = rng.randrange(services)
        at = start + timedelta(milliseconds=i)
        payload, headers, delivery = _BUILDERS[source](i, service, names[service], at)
        body = json.dumps(payload).encode()
        raw = http_request(source, body, {**headers, **sign(source, body, secret, timestamp=int(time.time()))}, host)
        originals.append(Alert(i, source, names[service], delivery, raw))
    keyed: list[tuple[float, Alert]] = [(float(a.index), a) for a in originals]
    for original in rng.sample(originals, int(alerts * retry_share)):
        # A vendor retries a little later, with the very same bytes.
        later = original.index + rng.randint(1, 400) + 0.5
        keyed.append((later, Alert(original.index, original.source, original.service, original.delivery,
                                   original.raw, retry_of=original.index)))
    keyed.sort(key=lambda pair: pair[0])
    return [alert for _, alert in keyed]
