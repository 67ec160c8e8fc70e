"""Redaction of structured records: the JSON a source answered, before it is stored."""

import re
from typing import Any

from collectors.redaction.markers import is_marker, marker
from collectors.redaction.text import redact_text

_CAMEL_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SECRET_KEY = re.compile(
    r"(?:^|_)(?:password|passwd|secret|token|api_key|apikey|authorization|access_key|private_key"
    r"|client_secret|secret_key|session|session_id|sessionid|cookie|credentials?)$"
)
_KEY_HINTS = ("pass", "secret", "token", "key", "auth", "session", "cookie", "credential")
# Keys that hold a session's token or only its name ("session": "RTR8" is an exchange session):
# a value counts as a secret only when it is as long as a token is.
_SESSION_KEY = re.compile(r"(?:^|_)(?:session|session_id|sessionid)$")
MIN_SESSION_TOKEN = 16


def is_secret_key(key: object) -> bool:
    """Whether a key names a secret: `password`, `X-Api-Key`, `clientSecret`, `Set-Cookie`...

    The name has to end with the secret word, so `token_count` or `secret_name` do not count.
    """
    if not isinstance(key, str):
        return False
    lowered = key.lower()
    if not any(hint in lowered for hint in _KEY_HINTS):
        return False
    return _SECRET_KEY.search(_snake(key)) is not None


def _snake(key: str) -> str:
    return _NON_ALNUM.sub("_", _CAMEL_BOUNDARY.sub(r"\1_\2", key).lower()).strip("_")


def _holds_secret(key: str, value: str) -> bool:
    if _SESSION_KEY.search(_snake(key)):
        return len(value) >= MIN_SESSION_TOKEN and not any(c.isspace() for c in value)
    return True


def _walk(value: Any, found: set[str]) -> Any:
    if isinstance(value, str):
        redacted, kinds = redact_text(value)
        found.update(kinds)
        return redacted
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if (
                is_secret_key(key)
                and isinstance(item, str)
                and item
                and not is_marker(item)
                and _holds_secret(key, item)
            ):
                # The kinds inside are still reported: a leaked JWT is a bearer token wherever it sits.
                found.add("secret")
                found.update(redact_text(item)[1])
                result[key] = marker("secret")
            else:
                result[key] = _walk(item, found)
        return result
    if isinstance(value, list):
        return [_walk(item, found) for item in value]
    if isinstance(value, tuple):
        return tuple(_walk(item, found) for item in value)
    return value


def redact_record(value: Any) -> tuple[Any, frozenset[str]]:
    """Return a redacted copy of dicts, lists, tuples and strings, and the kinds found.

    Dict keys are kept as they are; a non-empty string under a secret-named key is replaced
    whole by `[REDACTED:secret]`. Other values (numbers, None, booleans) are returned as they
    are. The input is not modified.
    """
    found: set[str] = set()
    return _walk(value, found), frozenset(found)
