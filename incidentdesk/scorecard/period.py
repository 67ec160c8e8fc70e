"""The period a scorecard covers: whole UTC days, both ends included, chosen by ?from=&to=."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.http import QueryDict

DEFAULT_DAYS = 90
PRESETS = (30, 90, 365)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @classmethod
    def last_days(cls, days: int, *, today: date) -> "Period":
        return cls(today - timedelta(days=days - 1), today)

    @classmethod
    def from_query(cls, params: QueryDict, *, today: date) -> tuple["Period", str]:
        """The period asked for, and a problem to show when it could not be used as asked."""
        default = cls.last_days(DEFAULT_DAYS, today=today)
        raw_first, raw_last = params.get("from"), params.get("to")
        first, last = _date(raw_first), _date(raw_last)
        if (raw_first and first is None) or (raw_last and last is None):
            return default, "Dates are written YYYY-MM-DD; showing the last 90 days."
        first, last = first or (last or today) - timedelta(days=DEFAULT_DAYS - 1), last or today
        if first > last:
            return default, "The period starts after it ends; showing the last 90 days."
        return cls(first, last), ""

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def months(self) -> list[date]:
        """The first day of each calendar month the period touches."""
        months, month = [], self.first.replace(day=1)
        while month <= self.last:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return months

    def query_string(self) -> str:
        params = QueryDict(mutable=True)
        params["from"], params["to"] = self.first.isoformat(), self.last.isoformat()
        return params.urlencode()
