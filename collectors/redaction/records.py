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


def is_secret_key(key: object) -> bool:
    """Whether a key names a secret: `password`, `X-Api-Key`, `clientSecret`, `Set-Cookie`...

    The name has to end with the secret word, so `token_count` or `secret_name` do not count.
    """
    if not isinstance(key, str):
        return False
    lowered = key.lower()
    if not any(hint in lowered for hint in _KEY_HINTS):
        return False
    snake = _NON_ALNUM.sub("_", _CAMEL_BOUNDARY.sub(r"\1_\2", key).lower()).strip("_")
    return _SECRET_KEY.search(snake) is not None


def _walk(value: Any, found: set[str]) -> Any:
    if isinstance(value, str):
        redacted, kinds = redact_text(value)
        found.update(kinds)
        return redacted
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if is_secret_key(key) and isinstance(item, str) and item and not is_marker(item):
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
