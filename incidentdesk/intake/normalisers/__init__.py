"""Turns a verified webhook body into a Delivery, one module per vendor.

``normalise`` raises PayloadError for anything it cannot read and nothing else, whatever
the bytes: the view answers 400 with the error's message.
"""

import dataclasses
import hashlib
from collections.abc import Callable, Mapping

from collectors.redaction import redact_text
from incidentdesk.intake.events import Delivery, PayloadError, TriggerEvent
from incidentdesk.intake.normalisers import alertmanager, datadog, generic, github, pagerduty, sentry, slack
from incidentdesk.intake.normalisers.fields import storable

# Ids and names come from the sender; longer ones are hashed (ids) or cut (names) so that
# they fit the columns they are stored in without colliding.
MAX_ID_CHARS = 200
MAX_NAME_CHARS = 150

Normaliser = Callable[[Mapping[str, str], bytes], Delivery]

NORMALISERS: dict[str, Normaliser] = {
    "pagerduty": pagerduty.normalise,
    "datadog": datadog.normalise,
    "sentry": sentry.normalise,
    "slack": slack.normalise,
    "github": github.normalise,
    "alertmanager": alertmanager.normalise,
    "generic": generic.normalise,
}


def normalise(source: str, headers: Mapping[str, str], body: bytes) -> Delivery:
    normaliser = NORMALISERS.get(source)
    if normaliser is None:
        raise PayloadError(f"unknown source {source!r}")
    try:
        delivery = normaliser(headers, body)
    except RecursionError:
        raise PayloadError("body is nested too deeply") from None
    except OverflowError:
        raise PayloadError("a number in the body is out of range") from None
    return dataclasses.replace(
        delivery,
        delivery_id=_bounded_id(storable(delivery.delivery_id)),
        events=tuple(_bounded_event(_storable_event(event)) for event in delivery.events),
        reply=storable(delivery.reply),
    )


def _storable_event(event: TriggerEvent) -> TriggerEvent:
    """Every text the sender chose, made storable (one bad character never fails the batch it is in)
    and redacted like evidence before anything stores it: an email or a key in an alert's title
    must not reach the run page, the audit trail or a Slack post. Only the raw body keeps it."""
    found: set[str] = set()

    def clean(value):
        value = storable(value)
        if isinstance(value, str):
            text, kinds = redact_text(value)
            found.update(kinds)
            return text
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(clean(v) for v in value)
        return value

    attributes = clean(event.attributes)
    cleaned = dataclasses.replace(
        event,
        vendor_key=storable(event.vendor_key),
        service_name=storable(event.service_name),
        title=clean(event.title),
        symptoms=clean(event.symptoms),
        links=clean(event.links),
    )
    if found:
        attributes["redacted"] = sorted(found)
    return dataclasses.replace(cleaned, attributes=attributes)


def _bounded_id(value: str | None) -> str | None:
    if value is None or len(value) <= MAX_ID_CHARS:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _bounded_event(event: TriggerEvent) -> TriggerEvent:
    service_name = event.service_name[:MAX_NAME_CHARS] if event.service_name else event.service_name
    return dataclasses.replace(event, vendor_key=_bounded_id(event.vendor_key), service_name=service_name)
