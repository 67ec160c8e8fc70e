"""The marker that stands in for a redacted value, and the kinds it can name."""

import re

KINDS: frozenset[str] = frozenset(
    {
        "email",
        "card",
        "phone",
        "national_id",
        "bearer_token",
        "aws_key",
        "github_token",
        "slack_token",
        "api_key",
        "url_password",
        "secret",  # a whole value under a secret-named key (redact_record)
    }
)

MARKER_PREFIX = "[REDACTED:"
MARKER_RE = re.compile(r"\[REDACTED:[a-z_]+\]")


def marker(kind: str) -> str:
    return f"{MARKER_PREFIX}{kind}]"


def is_marker(value: str) -> bool:
    return MARKER_RE.fullmatch(value) is not None


def marker_kinds(value) -> frozenset[str]:
    """The kinds named by markers already in `value` (strings inside dicts and lists too): text
    that arrives redacted, as an exported run's evidence does, still held those kinds of data."""
    if isinstance(value, str):
        if MARKER_PREFIX not in value:
            return frozenset()
        return frozenset(k for k in (m[len(MARKER_PREFIX):-1] for m in MARKER_RE.findall(value)) if k in KINDS)
    if isinstance(value, dict):
        return frozenset().union(*(marker_kinds(v) for v in value.values()))
    if isinstance(value, (list, tuple)):
        return frozenset().union(*(marker_kinds(v) for v in value))
    return frozenset()
