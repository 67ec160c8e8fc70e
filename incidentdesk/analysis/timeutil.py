"""Time parsing and formatting for evidence timestamps (ISO 8601, UTC)."""

from datetime import UTC, datetime, timedelta

# Clock skew between sources, and the resolution of metric onsets.
SKEW = timedelta(minutes=1)


def parse_time(value: str | datetime | None) -> datetime | None:
    """Read an ISO 8601 string (with `Z` or an offset) as an aware UTC datetime; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso_z(value: datetime | None) -> str | None:
    """`2026-03-04T14:08:00Z`, to the second."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def hhmm(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%H:%M") if value else "unknown"


def human_gap(seconds: float) -> str:
    """A duration as a reader says it: `45 s`, `11 min`, `3 h`, `2 days`."""
    seconds = abs(seconds)
    if seconds < 90:
        return f"{int(round(seconds))} s"
    minutes = seconds / 60
    if minutes < 120:
        return f"{int(round(minutes))} min"
    hours = minutes / 60
    if hours < 48:
        return f"{int(round(hours))} h"
    return f"{int(round(hours / 24))} days"
