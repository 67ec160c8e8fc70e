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
