"""What a vendor's webhook means to the desk, once parsed: plain data, no ORM."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

EventKind = Literal["trigger", "resolve", "update", "ignore"]


class PayloadError(Exception):
    """The body cannot be read as this vendor's payload; the reason goes back in a 400."""


class SignatureError(Exception):
    """The request does not carry a valid signature or credential; the reason goes back in a 401."""


HUMAN_CATEGORIES = frozenset({"support_spike", "security", "data_exposure", "privacy"})


@dataclass(frozen=True)
class TriggerEvent:
    """One thing a webhook says about one incident.

    A delivery may carry several (Alertmanager groups alerts); each is grouped on its own.
    """

    source: str
    kind: EventKind
    # Identifies the vendor's incident across all its events (trigger, ack, resolve),
    # e.g. "pagerduty:Q1WJX9068S6C68" or "alertmanager:1a30ba71cca2921f". None when the
    # vendor has no such id; grouping then falls back to service and time window.
    vendor_key: str | None
    # The vendor's own name for the service (resolved later through catalog names and aliases).
    service_name: str | None
    title: str
    occurred_at: datetime | None = None
    # When the vendor says the problem started, if it says (Alertmanager startsAt, Sentry firstSeen).
    started_at: datetime | None = None
    severity_hint: str | None = None  # sev1..sev4 when the vendor's payload says so
    symptoms: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    # The trigger itself reports customer data exposure (e.g. a generic security report).
    reports_data_exposure: bool = False
    attributes: dict = field(default_factory=dict)

    @property
    def from_people(self) -> bool:
        """Sent by people rather than a monitor: a Slack message or command, a support spike,
        a security report."""
        return self.source == "slack" or self.attributes.get("category") in HUMAN_CATEGORIES

    def facts(self) -> dict:
        """What the event says as evidence, kept on the run's timeline."""
        found = {
            "source": self.source,
            "title": self.title,
            "people": self.from_people,
            "link": self.links[0] if self.links else None,
            "severity": self.severity_hint,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "text": " ".join(self.symptoms)[:500] or None,
            **{key: self.attributes.get(key) for key in ("category", "count", "baseline", "window_minutes")},
        }
        return {key: value for key, value in found.items() if value not in (None, "", False)}


def volume_text(count, baseline=None, window_minutes=None) -> str:
    """`37 against a baseline of 2 over 30 min`: a report's numbers as people read them."""
    text = f"{count}"
    if baseline not in (None, ""):
        text += f" against a baseline of {baseline}"
    if window_minutes not in (None, ""):
        text += f" over {window_minutes} min"
    return text


@dataclass(frozen=True)
class Delivery:
    """A parsed, verified webhook delivery."""

    source: str
    # Stays the same across the vendor's retries of this delivery; None when the vendor gives none.
    delivery_id: str | None
    events: tuple[TriggerEvent, ...]
    # A reply body the vendor expects synchronously (Slack's url_verification challenge,
    # a slash command's ephemeral text). None means the standard 202 JSON.
    reply: dict | None = None
    # When the vendor made this body, as a time inside what its signature covers (PagerDuty's
    # event.occurred_at, GitHub's status or run updated_at). None when the signed body says no
    # such thing; the replay horizon is measured from it.
    signed_at: datetime | None = None
