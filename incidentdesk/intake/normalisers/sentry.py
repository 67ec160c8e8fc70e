"""Sentry integration-platform webhooks: the ``issue`` and ``event_alert`` resources.

The envelope is ``{action, installation, data, actor}``; ``Sentry-Hook-Resource`` says which
resource ``data`` holds. ``data.issue`` is camelCase, ``data.event`` is snake_case. Other
resources (installation, comment, metric_alert...) are accepted and carry no event.
"""

import re
from collections.abc import Mapping

from incidentdesk.intake.events import Delivery, EventKind, PayloadError, TriggerEvent
from incidentdesk.intake.normalisers.fields import (
    MAX_TITLE_CHARS,
    array,
    clip,
    load_object,
    lower_keys,
    obj,
    parse_time,
    require_object,
    require_text,
    scalar_text,
    text,
    unique,
)

SOURCE = "sentry"
MAX_FRAMES = 50

_ISSUE_KINDS: dict[str, EventKind] = {
    "created": "trigger",
    "unresolved": "trigger",
    "resolved": "resolve",
}
# The API URL of an event names its project: /api/0/projects/{org}/{project}/events/{id}/
_PROJECT_IN_URL = re.compile(r"/projects/[^/]+/([^/]+)/events/")


def normalise(headers: Mapping[str, str], body: bytes) -> Delivery:
    payload = load_object(body)
    action = require_text(payload, "action", "action")
    data = require_object(payload, "data", "data")
    resource = lower_keys(headers).get("sentry-hook-resource", "").strip() or _guess_resource(data)
    if resource == "issue":
        return _issue(action, data)
    if resource == "event_alert":
        return _event_alert(action, data)
    return Delivery(source=SOURCE, delivery_id=None, events=())


def _guess_resource(data: dict) -> str:
    if isinstance(data.get("issue"), dict):
        return "issue"
    if isinstance(data.get("event"), dict):
        return "event_alert"
    raise PayloadError("missing Sentry-Hook-Resource header and data holds neither issue nor event")


def _issue(action: str, data: dict) -> Delivery:
    issue = require_object(data, "issue", "data.issue")
    issue_id = require_text(issue, "id", "data.issue.id")
    project = obj(issue, "project")
    metadata = obj(issue, "metadata")
    title = text(issue, "title") or f"Sentry issue {issue_id}"
    exception = _exception_line(text(metadata, "type"), text(metadata, "value"))
    attributes = {
        "issue_id": issue_id,
        "short_id": text(issue, "shortId"),
        "action": action,
        "level": text(issue, "level"),
        "status": text(issue, "status"),
        "substatus": text(issue, "substatus"),
        "count": text(issue, "count"),
        "user_count": text(issue, "userCount"),
        "platform": text(issue, "platform"),
        "culprit": text(issue, "culprit"),
        "project_id": text(project, "id"),
        "filename": text(metadata, "filename"),
        "last_seen": text(issue, "lastSeen"),
    }
    event = TriggerEvent(
        source=SOURCE,
        kind=_ISSUE_KINDS.get(action, "update"),
        vendor_key=f"sentry:{issue_id}",
        service_name=text(project, "slug") or text(project, "name"),
        title=clip(title, MAX_TITLE_CHARS),
        occurred_at=parse_time(issue.get("lastSeen")) or parse_time(issue.get("firstSeen")),
        started_at=parse_time(issue.get("firstSeen")),
        symptoms=unique([clip(exception) if exception else clip(title), text(issue, "culprit")]),
        links=unique([text(issue, "web_url"), text(issue, "permalink")]),
        attributes=_present(attributes),
    )
    return Delivery(source=SOURCE, delivery_id=f"issue:{issue_id}:{action}", events=(event,))


def _event_alert(action: str, data: dict) -> Delivery:
    event = require_object(data, "event", "data.event")
    event_id = require_text(event, "event_id", "data.event.event_id")
    rule = text(data, "triggered_rule") or ""
    issue_id = text(event, "issue_id")
    tags = _tags(event)
    exceptions = [value for value in array(obj(event, "exception"), "values") if isinstance(value, dict)]
    # Sentry lists chained exceptions innermost first; the last one is what was raised.
    raised = exceptions[-1] if exceptions else {}
    exception = _exception_line(text(raised, "type"), text(raised, "value"))
    title = text(event, "title") or exception or f"Sentry event {event_id}"
    release = text(event, "release") or tags.get("release")
    attributes = {
        "event_id": event_id,
        "issue_id": issue_id,
        "triggered_rule": rule or None,
        "release": release,
        "environment": tags.get("environment") or text(event, "environment"),
        "level": text(event, "level"),
        "platform": text(event, "platform"),
        "culprit": text(event, "culprit"),
        "transaction": tags.get("transaction"),
        "handled": tags.get("handled"),
        "frames": _frames(raised),
    }
    trigger = TriggerEvent(
        source=SOURCE,
        kind="trigger" if action == "triggered" else "update",
        vendor_key=f"sentry:{issue_id}" if issue_id else None,
        service_name=tags.get("service") or tags.get("project") or _project_from_url(text(event, "url")),
        title=clip(title, MAX_TITLE_CHARS),
        occurred_at=parse_time(event.get("datetime")) or parse_time(event.get("timestamp")),
        symptoms=unique([clip(exception) if exception else clip(title), text(event, "culprit")]),
        links=unique([text(event, "web_url")]),
        attributes=_present(attributes),
    )
    return Delivery(source=SOURCE, delivery_id=f"event_alert:{event_id}:{rule}", events=(trigger,))


def _exception_line(kind: str | None, value: str | None) -> str | None:
    if kind and value:
        return f"{kind}: {value}"
    return kind or value


def _tags(event: dict) -> dict[str, str]:
    """Event tags arrive as ``[key, value]`` pairs; some SDKs send ``{key, value}`` objects."""
    tags: dict[str, str] = {}
    for entry in array(event, "tags"):
        if isinstance(entry, list) and len(entry) == 2:
            key, value = scalar_text(entry[0]), scalar_text(entry[1])
        elif isinstance(entry, dict):
            key, value = text(entry, "key"), text(entry, "value")
        else:
            continue
        if key and value:
            tags.setdefault(key, value)
    return tags


def _frames(exception: dict) -> list[dict]:
    frames = []
    for frame in array(obj(exception, "stacktrace"), "frames")[-MAX_FRAMES:]:
        if not isinstance(frame, dict):
            continue
        lineno = frame.get("lineno")
        frames.append(
            {
                "filename": text(frame, "filename") or text(frame, "abs_path"),
                "function": text(frame, "function"),
                "lineno": lineno if isinstance(lineno, int) and not isinstance(lineno, bool) else None,
                "in_app": frame.get("in_app") is True,
            }
        )
    return frames


def _project_from_url(url: str | None) -> str | None:
    match = _PROJECT_IN_URL.search(url or "")
    return match.group(1) if match else None


def _present(attributes: dict) -> dict:
    return {key: value for key, value in attributes.items() if value not in (None, [], "")}
