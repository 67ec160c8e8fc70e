"""What fed a run, as its page lists it: every trigger event, with its numbers and its link."""

from dataclasses import dataclass
from datetime import datetime

from incidentdesk.intake.events import volume_text
from incidentdesk.links import safe_href
from incidentdesk.models import Run


@dataclass(frozen=True)
class TriggerView:
    at: datetime
    source: str
    kind: str
    title: str
    link: str
    numbers: str  # "37 against a baseline of 2 over 30 min"
    severity: str  # what the sender said
    from_people: bool


def _numbers(facts: dict) -> str:
    if facts.get("count") is None:
        return ""
    return volume_text(facts["count"], facts.get("baseline"), facts.get("window_minutes"))


def run_triggers(run: Run) -> list[TriggerView]:
    return [
        TriggerView(
            at=event.occurred_at,
            source=str(event.facts.get("source") or ""),
            kind=event.kind,
            title=event.title,
            link=safe_href(event.facts.get("link")),
            numbers=_numbers(event.facts),
            severity=str(event.facts.get("severity") or ""),
            from_people=bool(event.facts.get("people")),
        )
        for event in run.events.order_by("occurred_at", "pk")
    ]
