"""The contract every source connector keeps: plain data in, normalised records out."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, get_args

from incidentdesk.http import Deadline, HttpError

SourceName = Literal[
    "deploys",
    "pull_requests",
    "metrics",
    "monitors",
    "logs",
    "errors",
    "feature_flags",
    "incidents",
    "runbooks",
    "change_calendar",
]
SOURCES: tuple[str, ...] = get_args(SourceName)
GapReason = Literal["timeout", "error", "rate_limited", "malformed", "not_found", "not_configured"]


class SourceError(HttpError):
    """A source could not answer (the HTTP client's errors are HttpError, the parent)."""

    def __init__(self, reason: GapReason, detail: str = "", **kwargs) -> None:
        super().__init__(reason, detail, **kwargs)


class NotConfigured(SourceError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("not_configured", detail)


@dataclass(frozen=True)
class ServiceRef:
    """What a connector may know of a catalog service."""

    name: str
    team: str | None = None
    repo: str | None = None
    aliases: tuple[str, ...] = ()
    runbook: str | None = None
    annotations: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Scope:
    """What a collection may read: the run's service and what it depends on, in a time window."""

    run_id: int
    service: str
    services: tuple[ServiceRef, ...]  # the run's service first, then its dependencies
    start: datetime
    end: datetime

    @property
    def names(self) -> frozenset[str]:
        return frozenset(s.name for s in self.services)

    def service_ref(self, name: str) -> ServiceRef | None:
        return next((s for s in self.services if s.name == name), None)


@dataclass(frozen=True)
class Record:
    """One normalised record (SCENARIO.md `sources`), keyed by the source's own id."""

    ref: str
    service: str | None
    data: dict
    observed_at: datetime | None = None
    url: str | None = None


@dataclass
class Fetched:
    records: list[Record]
    truncated: bool = False  # a cap cut what the source returned
    note: str = ""


class Connector(Protocol):
    source: str  # one of SOURCES
    vendor: str  # github, sentry, datadog, prometheus, loki, launchdarkly, pagerduty, desk, files, ical, replay

    def fetch(self, scope: Scope, *, deadline: "Deadline") -> Fetched:
        """Read this source for the scope, within the deadline. Raises SourceError (or NotConfigured)."""
        ...
