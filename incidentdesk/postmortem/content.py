"""What a postmortem draft holds, as plain data: every string is the text as found, unescaped."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from incidentdesk.causes import Verdict


@dataclass(frozen=True)
class Link:
    label: str
    url: str  # shown as a link only when it is a plain web link


@dataclass(frozen=True)
class Entry:
    """One line: its text, then its links; `at` places it on the timeline."""

    text: str
    at: datetime | None = None
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class AuditRecord:
    """What the draft reads of one audit entry."""

    at: datetime
    actor: str
    action: str
    detail: dict


@dataclass(frozen=True)
class Impact:
    customers_affected: bool | None  # None while no cause is confirmed
    minutes: int | None
    severity: str
    severity_basis: str
    data_risk: str  # the reason, when the packet flagged customer data
    signals: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class CauseFindings:
    """The confirmed cause, and the packet's hypothesis for it when the packet had one."""

    label: str
    summary: str
    note: str
    confirmed_by: str
    confirmed_at: datetime
    packet_version: int | None
    hypothesis: Entry | None = None
    chain: tuple[Entry, ...] = ()
    citations: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class DeskReview:
    """How the packet fared against the confirmed cause."""

    verdict: Verdict | None  # None while no cause is confirmed
    first: str = ""  # the first hypothesis the verdict is judged on, as a label
    first_confidence: str = ""
    packet_version: int | None = None
    cause_rank: int | None = None  # the confirmed cause's place among the hypotheses, 1 for the first
    cause_rank_confidence: str = ""
    to_complete_packet: timedelta | None = None
    failed_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Postmortem:
    run_id: int
    title: str
    service: str
    team: str
    run_url: str
    trigger_source: str
    triggered_at: datetime
    onset: datetime | None
    resolved_at: datetime | None
    impact: Impact
    timeline: tuple[Entry, ...]
    cause: CauseFindings | None
    desk: DeskReview
    follow_ups: tuple[Entry, ...]
