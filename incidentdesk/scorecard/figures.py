"""The scorecard's figures, from one query over the runs resolved in the period.

- resolved: runs whose status is resolved and whose resolution time falls in the period;
- confirmed: those with a confirmed cause ("unknown" included: responders said so);
- right: of the confirmed runs whose packet named a cause, those where it was the confirmed one;
- wrong high: confirmed runs where the packet's first hypothesis was `high` and wrong;
- unknown that stayed unknown: of the confirmed runs whose packet said "not known", those
  whose confirmed cause is "unknown" too;
- time to a complete packet: from the trigger to the first packet built after every source
  finished, median over the resolved runs that have one.
"""

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import OuterRef, QuerySet, Subquery

from incidentdesk.causes import Cause, Verdict, cause_verdict
from incidentdesk.models import Packet, Run
from incidentdesk.scorecard.period import Period

MAX_LISTED = 50
COLUMNS = (
    "pk", "title", "triggered_at", "resolved_at", "service__name", "packet_complete_at",
    "confirmed_cause__kind", "confirmed_cause__ref", "confirmed_cause__desk_kind",
    "confirmed_cause__desk_ref", "confirmed_cause__desk_confidence",
)


@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.part / self.whole) if self.whole else None


@dataclass(frozen=True)
class RunLine:
    """A run the scorecard lists by name: a wrong `high`, or one waiting for its cause."""

    pk: int
    title: str
    service: str
    resolved_at: datetime
    desk: Cause | None = None
    confirmed: Cause | None = None


@dataclass
class Tally:
    resolved: int = 0
    confirmed: int = 0
    named: int = 0
    right: int = 0
    wrong_high: int = 0
    desk_unknown: int = 0
    stayed_unknown: int = 0

    @property
    def unconfirmed(self) -> int:
        return self.resolved - self.confirmed

    @property
    def confirmed_share(self) -> Ratio:
        return Ratio(self.confirmed, self.resolved)

    @property
    def right_share(self) -> Ratio:
        return Ratio(self.right, self.named)

    @property
    def unknown_share(self) -> Ratio:
        return Ratio(self.stayed_unknown, self.desk_unknown)


@dataclass
class Month(Tally):
    first: date | None = None


@dataclass
class Scorecard:
    period: Period
    total: Tally
    months: list[Month]
    wrong_high: list[RunLine] = field(default_factory=list)
    unconfirmed: list[RunLine] = field(default_factory=list)
    to_packet: list[timedelta] = field(default_factory=list)

    @property
    def median_to_packet(self) -> timedelta | None:
        return timedelta(seconds=statistics.median(d.total_seconds() for d in self.to_packet)) if self.to_packet else None

    @property
    def median_to_packet_text(self) -> str:
        return duration_text(self.median_to_packet)


def duration_text(value: timedelta | None) -> str:
    """`3 min 20 s`, `1 h 5 min`, `45 s`; a dash for no value."""
    if value is None:
        return "–"
    hours, rest = divmod(round(value.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"


def _causes(row: dict) -> tuple[Cause | None, Cause | None]:
    """The packet's first hypothesis and the confirmed cause of a row; (None, None) unconfirmed."""
    if row["confirmed_cause__kind"] is None:
        return None, None
    kind = row["confirmed_cause__desk_kind"]
    desk = Cause(kind, row["confirmed_cause__desk_ref"]) if kind else None
    return desk, Cause(row["confirmed_cause__kind"], row["confirmed_cause__ref"])


def _count(tally: Tally, *, confirmed: Cause | None, verdict: Verdict | None, high: bool) -> None:
    tally.resolved += 1
    if confirmed is None:
        return
    tally.confirmed += 1
    if verdict == Verdict.DESK_UNKNOWN:
        tally.desk_unknown += 1
        tally.stayed_unknown += confirmed.is_unknown
    else:
        tally.named += 1
        tally.right += verdict == Verdict.RIGHT
        tally.wrong_high += verdict == Verdict.WRONG and high


def scorecard_build(*, runs: QuerySet[Run], period: Period) -> Scorecard:
    """The scorecard of `runs` (already narrowed to a team or a service) over `period`."""
    first_complete = (
        Packet.objects.filter(run=OuterRef("pk"), complete=True).order_by("created_at").values("created_at")[:1]
    )
    rows = (
        runs.filter(status=Run.Status.RESOLVED, resolved_at__gte=period.start, resolved_at__lt=period.end)
        .annotate(packet_complete_at=Subquery(first_complete))
        .order_by("resolved_at", "pk")
        .values(*COLUMNS)
    )
    card = Scorecard(period=period, total=Tally(), months=[Month(first=m) for m in period.months()])
    months = {m.first: m for m in card.months}
    for row in rows:
        desk, confirmed = _causes(row)
        verdict = cause_verdict(desk=desk, confirmed=confirmed) if confirmed else None
        high = row["confirmed_cause__desk_confidence"] == "high"
        month = months[row["resolved_at"].astimezone(UTC).date().replace(day=1)]
        for tally in (card.total, month):
            _count(tally, confirmed=confirmed, verdict=verdict, high=high)
        line = RunLine(pk=row["pk"], title=row["title"], service=row["service__name"] or "",
                       resolved_at=row["resolved_at"], desk=desk, confirmed=confirmed)
        if verdict == Verdict.WRONG and high:
            card.wrong_high.append(line)
        elif confirmed is None and len(card.unconfirmed) < MAX_LISTED:
            card.unconfirmed.append(line)
        if row["packet_complete_at"] is not None:
            card.to_packet.append(max(timedelta(0), row["packet_complete_at"] - row["triggered_at"]))
    return card
