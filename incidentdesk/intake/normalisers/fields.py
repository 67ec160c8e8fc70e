"""Reading untrusted webhook bodies: decoding, typed field access, lenient times.

Every getter returns an empty value of the expected type rather than raising, so a
normaliser only raises PayloadError where it decides a field is required.
"""

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from itertools import accumulate
from urllib.parse import unquote

from incidentdesk.intake.events import PayloadError

MAX_SYMPTOM_CHARS = 500
MAX_TITLE_CHARS = 200
# Vendor payloads nest a dozen levels. How deep the JSON parser itself can go depends on the stack
# it is called from, so without a fixed limit the web process could take a body that the worker,
# deeper in its own stack, then fails to read.
MAX_NESTING = 100
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_CHANGE = {"[": 1, "{": 1, "]": -1, "}": -1}

_SEVERITY = re.compile(r"\bsev[-_ ]?([1-4])\b", re.IGNORECASE)
_EXPLICIT_SEVERITY = re.compile(r"sev[-_ ]?([1-4])", re.IGNORECASE)
# Times before this are placeholders such as Alertmanager's "0001-01-01T00:00:00Z".
_EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)
# Epoch values above this are taken to be milliseconds (it is 5138 AD in seconds).
_MILLISECONDS_ABOVE = 1e11


_BIGGEST_INT = 2**63 - 1


def storable(value):
    """A copy any database column takes: NUL and lone surrogates become U+FFFD, infinite floats
    None, integers past 64 bits their digits as text. Dicts, lists and tuples are walked."""
    if isinstance(value, str):
        if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
            value = value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -_BIGGEST_INT <= value <= _BIGGEST_INT else str(value)
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(storable(v) for v in value)
    return value


def body_digest(body: bytes) -> str:
    """A delivery id for a body that carries none: the same bytes resent are the same delivery."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def decode_text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("body is not UTF-8") from None


def load_json(body: bytes) -> object:
    text = decode_text(body)
    try:
        value = json.loads(text)
    except RecursionError:
        raise PayloadError("body is nested too deeply") from None
    except ValueError as error:
        raise PayloadError(f"body is not JSON: {error}") from None
    _check_nesting(text)
    return value


def _check_nesting(text: str) -> None:
    """Refuse JSON nested more than MAX_NESTING levels. Only for text that parsed: in valid JSON
    every quote opens or closes a string, so blanking the strings leaves only real brackets."""
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    if max(accumulate(map(_DEPTH_CHANGE.__getitem__, brackets)), default=0) > MAX_NESTING:
        raise PayloadError(f"body is nested too deeply (more than {MAX_NESTING} levels)")


def load_object(body: bytes) -> dict:
    payload = load_json(body)
    if not isinstance(payload, dict):
        raise PayloadError(f"body must be a JSON object, not {type_name(payload)}")
    return payload


def type_name(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(key).lower(): str(value) for key, value in headers.items()}


def obj(mapping: Mapping, key: str) -> dict:
    value = mapping.get(key)
    return value if isinstance(value, dict) else {}


def array(mapping: Mapping, key: str) -> list:
    value = mapping.get(key)
    return value if isinstance(value, list) else []


def text(mapping: Mapping, key: str) -> str | None:
    """The field as a non-empty string; numbers (ids) are turned into strings."""
    return scalar_text(mapping.get(key))


def scalar_text(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return None


def first_text(mapping: Mapping, *keys: str) -> str | None:
    for key in keys:
        value = text(mapping, key)
        if value is not None:
            return value
    return None


def require_text(mapping: Mapping, key: str, where: str) -> str:
    value = text(mapping, key)
    if value is None:
        raise PayloadError(f"missing required field {where}")
    return value


def require_object(mapping: Mapping, key: str, where: str) -> dict:
    value = mapping.get(key)
    if not isinstance(value, dict):
        raise PayloadError(f"missing required field {where} (an object)")
    return value


def clip(value: str, limit: int = MAX_SYMPTOM_CHARS) -> str:
    value = value.strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def title_from(value: str) -> str:
    first_line = value.strip().splitlines()[0] if value.strip() else ""
    return clip(first_line, MAX_TITLE_CHARS)


def unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """Non-empty strings, in order, without repeats."""
    seen: dict[str, None] = {}
    for value in values:
        if value and value.strip():
            seen.setdefault(value.strip(), None)
    return tuple(seen)


def severity_in_text(value: str | None) -> str | None:
    """An explicit "sev1".."sev4" word somewhere in free text."""
    if not value:
        return None
    match = _SEVERITY.search(value)
    return f"sev{match.group(1)}" if match else None


_SINCE = re.compile(
    r"\b(?:since|from|started(?: at| around)?|beginning(?: at)?)\s+(?:about\s+|around\s+|roughly\s+|~\s*)?"
    r"([01]?\d|2[0-3]):([0-5]\d)\s*(?:UTC|GMT|Z)\b",
    re.IGNORECASE,
)


def started_in_text(value: str | None, said_at: datetime | None) -> datetime | None:
    """When a person's report says the trouble began ("143 tickets since about 19:52 UTC"),
    on the day the report was made; only times given in UTC are read."""
    if not value or said_at is None:
        return None
    match = _SINCE.search(value)
    if not match:
        return None
    moment = said_at.replace(hour=int(match.group(1)), minute=int(match.group(2)), second=0, microsecond=0)
    return moment - timedelta(days=1) if moment > said_at else moment


_UNITS = {"s": 1, "m": 60, "min": 60, "minute": 60, "minutes": 60, "h": 3600, "hour": 3600, "hours": 3600,
          "d": 86400}
_WINDOWS = (
    re.compile(r"\blast_(\d+)(m|h|d)\b"),  # Datadog monitor queries: avg(last_5m):...
    re.compile(r"\[(\d+)(s|m|h|d)\]"),  # PromQL range selectors: rate(x[5m])
    re.compile(r"\b(?:for|over|during)(?: the last)? (\d+) ?(m|min|minutes?|h|hours?)\b", re.IGNORECASE),
)
MAX_WINDOW = timedelta(hours=6)


def evaluation_window(*texts: str | None) -> timedelta | None:
    """How long a condition must hold before the monitor fires, as its query or rule text says
    (`last_5m`, `[5m]`, "for 10 minutes"): the alert comes that long after the condition began."""
    found = [
        timedelta(seconds=int(number) * _UNITS[unit.lower()])
        for text in texts
        if text
        for pattern in _WINDOWS
        for number, unit in pattern.findall(unquote(text))
    ]
    longest = max(found, default=None)
    return longest if longest and longest <= MAX_WINDOW else None


def explicit_severity(value: str | None) -> str | None:
    """The value itself when it is a severity like "sev2" or "SEV-2"; never guessed from other scales."""
    if not value:
        return None
    match = _EXPLICIT_SEVERITY.fullmatch(value.strip())
    return f"sev{match.group(1)}" if match else None


def parse_time(value: object) -> datetime | None:
    """An aware UTC datetime from ISO 8601, RFC 2822 or epoch seconds/milliseconds; None when unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    raw = value.strip()
    if not raw or len(raw) > 64:
        return None
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", raw):
        return _from_epoch(float(raw))
    for candidate in (raw, re.sub(r"\s*(UTC|GMT)$", "+00:00", raw)):
        try:
            return _checked(datetime.fromisoformat(candidate))
        except ValueError:
            pass
    try:
        return _checked(parsedate_to_datetime(raw))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _from_epoch(number: float) -> datetime | None:
    if number != number:
        return None
    try:
        seconds = number / 1000 if abs(number) > _MILLISECONDS_ABOVE else number
        return _checked(datetime.fromtimestamp(seconds, tz=UTC))
    except (ValueError, OverflowError, OSError):
        return None


def _checked(moment: datetime) -> datetime | None:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment if _EARLIEST <= moment < _LATEST else None
