"""Slack: the ``/incident`` slash command (form-encoded) and the Events API (JSON).

``/incident <service> [sev1..sev4] <what is wrong>`` opens a run for the service. Events API
messages open or feed a run from the channels the app is a member of (Slack sends no others);
``settings.SLACK_WATCHED_CHANNELS`` narrows that to a list (channel ids; ``#names`` match only
payloads that carry the channel's name). The form
field ``token`` is a credential and is dropped.
"""

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl

from django.conf import settings

from incidentdesk.intake.events import Delivery, EventKind, PayloadError, TriggerEvent
from incidentdesk.intake.normalisers.fields import (
    MAX_TITLE_CHARS,
    clip,
    decode_text,
    load_object,
    lower_keys,
    parse_time,
    require_object,
    require_text,
    severity_in_text,
    started_in_text,
    text,
    title_from,
    unique,
)

SOURCE = "slack"
INCIDENT_COMMAND = "/incident"
USAGE = "Usage: /incident <service> [sev1-sev4] <what is wrong>"

_SEVERITY_WORD = re.compile(r"sev[-_]?[1-4]", re.IGNORECASE)
_MAX_FORM_FIELDS = 100
# Form fields kept as attributes; everything else (notably ``token``) is dropped.
_COMMAND_ATTRIBUTES = (
    "user_id",
    "user_name",
    "team_id",
    "team_domain",
    "channel_id",
    "channel_name",
    "command",
    "text",
    "response_url",
    "api_app_id",
)
_USER_SUBTYPES = frozenset({"thread_broadcast", "file_share", "me_message"})
_MESSAGE_EVENTS = frozenset({"message", "app_mention"})


def normalise(headers: Mapping[str, str], body: bytes) -> Delivery:
    content_type = lower_keys(headers).get("content-type", "").lower()
    if "json" in content_type or body.lstrip()[:1] == b"{":
        return _event_api(headers, load_object(body))
    return _form(headers, _parse_form(body))


def _parse_form(body: bytes) -> dict[str, str]:
    raw = decode_text(body)
    try:
        pairs = parse_qsl(
            raw, keep_blank_values=True, strict_parsing=True, max_num_fields=_MAX_FORM_FIELDS
        )
    except ValueError as error:
        raise PayloadError(f"body is not form-encoded: {error}") from None
    return dict(pairs)


def _form(headers: Mapping[str, str], form: dict[str, str]) -> Delivery:
    if "payload" in form and "command" not in form:
        # Interactivity (button clicks) carries no trigger.
        return Delivery(source=SOURCE, delivery_id=None, events=())
    command = require_text(form, "command", "command")
    delivery_id = text(form, "trigger_id")
    if command != INCIDENT_COMMAND:
        reply = {"response_type": "ephemeral", "text": f"The incident desk only handles {INCIDENT_COMMAND}."}
        return Delivery(source=SOURCE, delivery_id=delivery_id, events=(), reply=reply)

    request_text = plain_text(form.get("text") or "")
    words = request_text.split()
    service = next((word for word in words if not _SEVERITY_WORD.fullmatch(word)), None)
    if service is None:
        reply = {"response_type": "ephemeral", "text": USAGE}
        return Delivery(source=SOURCE, delivery_id=delivery_id, events=(), reply=reply)
    severity = severity_in_text(request_text)
    remaining = list(words)
    remaining.remove(service)
    description = " ".join(word for word in remaining if not _SEVERITY_WORD.fullmatch(word))
    who = text(form, "user_name") or text(form, "user_id")

    said_at = parse_time(lower_keys(headers).get("x-slack-request-timestamp"))
    event = TriggerEvent(
        source=SOURCE,
        kind="trigger",
        vendor_key=None,
        service_name=service,
        title=clip(description, MAX_TITLE_CHARS) if description else f"Incident declared for {service}",
        occurred_at=said_at,
        started_at=started_in_text(description, said_at),
        severity_hint=severity,
        symptoms=unique([clip(description)]),
        attributes={key: form[key].strip() for key in _COMMAND_ATTRIBUTES if form.get(key, "").strip()},
    )
    reply_text = f"Opening an incident run for {service}" + (f" ({severity})" if severity else "")
    reply_text += f", declared by {who}." if who else "."
    return Delivery(
        source=SOURCE,
        delivery_id=delivery_id,
        events=(event,),
        reply={"response_type": "ephemeral", "text": reply_text},
    )


def _event_api(headers: Mapping[str, str], payload: dict) -> Delivery:
    payload_type = require_text(payload, "type", "type")
    if payload_type == "url_verification":
        challenge = require_text(payload, "challenge", "challenge")
        return Delivery(source=SOURCE, delivery_id=None, events=(), reply={"challenge": challenge})
    if payload_type != "event_callback":
        return Delivery(source=SOURCE, delivery_id=None, events=())
    event = require_object(payload, "event", "event")
    delivery_id = text(payload, "event_id")
    if text(event, "type") not in _MESSAGE_EVENTS:
        return Delivery(source=SOURCE, delivery_id=delivery_id, events=())
    return Delivery(source=SOURCE, delivery_id=delivery_id, events=(_message(payload, event),))


def _message(payload: dict, event: dict) -> TriggerEvent:
    channel = text(event, "channel")
    ts = text(event, "ts")
    thread_ts = text(event, "thread_ts")
    message_text = plain_text(text(event, "text") or "")
    subtype = text(event, "subtype")
    from_bot = subtype == "bot_message" or text(event, "bot_id") is not None
    if from_bot or (subtype is not None and subtype not in _USER_SUBTYPES):
        kind: EventKind = "ignore"  # bot posts, edits, deletions, joins...
    elif not _is_watched(channel, text(event, "channel_name")):
        kind = "ignore"
    elif thread_ts and thread_ts != ts:
        kind = "update"
    else:
        kind = "trigger"
    attributes = {
        "user": text(event, "user"),
        "channel": channel,
        "channel_type": text(event, "channel_type"),
        "team": text(event, "team") or text(payload, "team_id"),
        "ts": ts,
        "thread_ts": thread_ts,
        "subtype": subtype,
        "text": clip(message_text) if message_text else None,
    }
    said_at = parse_time(ts) or parse_time(payload.get("event_time"))
    return TriggerEvent(
        source=SOURCE,
        kind=kind,
        vendor_key=f"slack:{channel}:{thread_ts or ts}" if channel and (thread_ts or ts) else None,
        service_name=None,
        title=title_from(message_text) or "Slack message",
        occurred_at=said_at,
        started_at=started_in_text(message_text, said_at),
        severity_hint=severity_in_text(message_text),
        symptoms=unique([clip(message_text)]),
        attributes={key: value for key, value in attributes.items() if value is not None},
    )


_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]+))?>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^>]+)>|<#([A-Z0-9]+)>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_EMOJI = re.compile(r"(?<![\w:]):[a-z0-9_+-]+:(?![\w:])")


def plain_text(text: str) -> str:
    """Slack's markup as a person reads it: `<@U07|maria>` as @maria (a bare user id is dropped),
    `<#C01|payments>` as #payments, links as their label, `:rotating_light:` dropped."""
    text = _MENTION.sub(lambda m: f"@{m.group(2)}" if m.group(2) else "", text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(1) or m.group(2)}", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _SPECIAL.sub(lambda m: f"@{m.group(1)}", text)
    text = _EMOJI.sub("", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _is_watched(channel_id: str | None, channel_name: str | None) -> bool:
    watched = {str(entry).strip() for entry in getattr(settings, "SLACK_WATCHED_CHANNELS", ()) or ()}
    if not watched:
        return True
    if channel_id and channel_id in watched:
        return True
    return bool(channel_name) and f"#{channel_name.lstrip('#')}" in watched
