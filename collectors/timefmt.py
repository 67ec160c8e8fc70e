"""Times as the normalised records carry them: UTC, ISO 8601 with a Z."""

from datetime import datetime, timezone


def utc(moment: datetime) -> datetime:
    """A naive time is taken to be UTC; an aware one is converted to UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def iso_z(moment: datetime) -> str:
    """`2026-03-04T14:03:00Z`, with milliseconds when the time has them."""
    moment = utc(moment)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime. Raises ValueError."""
    return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
