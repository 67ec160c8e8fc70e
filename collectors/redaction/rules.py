"""The text rules, in the order they run, each with a cheap gate tried before its regex.

Order matters: vendor tokens run before `Bearer <token>` and `url_password` (so a token is named
for what it is wherever it sits), `url_password` runs before `email` (`user:pw@host.tld` looks like an
address), and the generic `key=value` rule runs last so specific kinds win.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from collectors.redaction.markers import MARKER_PREFIX, marker

# Returns the replacement for a match, or None to leave it as it is.
Replacer = Callable[[re.Match[str]], str | None]


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    replace: Replacer
    # Substrings of which at least one must occur (in the lowercased text when `lowered`).
    hints: tuple[str, ...] = ()
    lowered: bool = False
    hint_re: re.Pattern[str] | None = None

    def may_match(self, text: str, lower: str) -> bool:
        if self.hint_re is not None:
            return self.hint_re.search(text) is not None
        haystack = lower if self.lowered else text
        return any(hint in haystack for hint in self.hints)


def _whole(kind: str) -> Replacer:
    return lambda match: marker(kind)


def _group(kind: str, check: Callable[[str], bool] | None = None) -> Replacer:
    """Redact only the `secret` group, keeping key names, schemes and separators."""

    def replace(match: re.Match[str]) -> str | None:
        value = match.group("secret")
        if value.startswith(MARKER_PREFIX) or (check is not None and not check(value)):
            return None
        start, end = match.span("secret")
        offset = match.start()
        whole = match.group(0)
        return whole[: start - offset] + marker(kind) + whole[end - offset :]

    return replace


def _bearer_token(value: str) -> bool:
    # "Bearer authentication" is prose; opaque tokens carry digits or are long. Digits alone are
    # left to the card and phone rules, which name them better.
    if not any(c.isalpha() for c in value):
        return False
    return len(value) >= 20 or (len(value) >= 8 and any(c.isdigit() for c in value))


_PLACEHOLDERS = frozenset(
    {
        *("null", "none", "nil", "true", "false", "undefined", "empty", "unset", "missing"),
        *("redacted", "hidden", "masked", "invalid", "expired", "required", "present", "changeme"),
        *("bearer", "basic", "digest"),  # auth scheme names, whose credential follows them
    }
)


def looks_like_secret(value: str) -> bool:
    """A value under a secret-named key that is worth hiding, not a placeholder or a word."""
    # A word ending a clause ("Credential: UNAVAILABLE: ...") keeps its punctuation.
    value = value.rstrip(".:;!?")
    if len(value) < 6 or value.lower() in _PLACEHOLDERS or len(set(value)) <= 2:
        return False
    classes = (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() and c not in "_-." for c in value)
    )
    if classes >= 2:
        return True
    # One character class: random only when long and not words joined by _ - or .
    return len(value) >= 16 and not any(c in "_-." for c in value)


def _phone(match: re.Match[str]) -> str | None:
    digits = sum(c.isdigit() for c in match.group(0))
    return marker("phone") if 9 <= digits <= 15 else None


def _email(match: re.Match[str]) -> str:
    # A quote opening a quoted address is kept so the quoting stays balanced.
    text = match.group(0)
    kept = len(text) - len(text.lstrip("'"))
    return text[:kept] + marker("email")


# ":" but not "::", which is a scope in code ("Session::on_reject"), not a key and its value.
_SEP = r"""(?P<sep>\\?["']?[ \t]*(?:=|:(?!:))[ \t]*\\?["']?)"""

_SECRET_KEY_WORDS = (
    r"(?:api[_-]?key|apikey|secret|token|password|passwd|private[_-]?key|access[_-]?key"
    r"|credentials?|session(?:[_-]?id)?|sessionid|authorization|cookie)"
)

SLACK_WEBHOOK = Rule(
    "slack_token",
    re.compile(r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]+"),
    _whole("slack_token"),
    hints=("hooks.slack.com",),
)
JWT = Rule(
    "bearer_token",
    re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"),
    _whole("bearer_token"),
    hints=("eyJ",),
)
BEARER = Rule(
    "bearer_token",
    re.compile(r"\bbearer(?P<sep>[ \t]+)(?P<secret>[A-Za-z0-9._~+/-]+=*)", re.IGNORECASE),
    _group("bearer_token", _bearer_token),
    hints=("bearer",),
    lowered=True,
)
AWS_ACCESS_KEY = Rule(
    "aws_key",
    re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    _whole("aws_key"),
    hints=("AKIA", "ASIA"),
)
AWS_SECRET_KEY = Rule(
    "aws_key",
    re.compile(
        r"(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)"
        + _SEP
        + r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        re.IGNORECASE,
    ),
    _group("aws_key"),
    hints=("secret",),
    lowered=True,
)
GITHUB_TOKEN = Rule(
    "github_token",
    re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255})"),
    _whole("github_token"),
    hints=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
)
SLACK_TOKEN = Rule(
    "slack_token",
    re.compile(r"(?<![A-Za-z0-9_-])(?:xox[abeoprs](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]{8,}"),
    _whole("slack_token"),
    hints=("xox", "xapp-"),
)
VENDOR_API_KEY = Rule(
    "api_key",
    re.compile(
        r"(?<![A-Za-z0-9_-])(?:"
        r"[sr]k_(?:live|test)_[A-Za-z0-9]{10,}"  # Stripe secret and restricted keys
        r"|AIza[0-9A-Za-z_-]{35}"  # Google
        r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab
        r"|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"  # SendGrid
        r"|sk-(?:proj|ant|svcacct)-[A-Za-z0-9_-]{20,}"  # OpenAI, Anthropic
        r"|npm_[A-Za-z0-9]{36}"
        r"|pypi-[A-Za-z0-9_-]{50,}"
        r")"
    ),
    _whole("api_key"),
    hints=("sk_", "rk_", "AIza", "glpat-", "SG.", "sk-", "npm_", "pypi-"),
)
URL_PASSWORD = Rule(
    "url_password",
    re.compile(
        r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@\[\]]*:(?P<secret>[^\s/?#]+)@(?=[A-Za-z0-9\[])"
    ),
    _group("url_password"),
    hints=("://",),
)
_ATEXT = r"A-Za-z0-9.!#$%&'*+^_~-"
EMAIL = Rule(
    "email",
    re.compile(
        rf"(?<![{_ATEXT}])[{_ATEXT}]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+"
        r"(?:[Xx][Nn]--[A-Za-z0-9-]{1,59}|[A-Za-z]{2,63})"
    ),
    _email,
    hints=("@",),
)
PHONE = Rule(
    "phone",
    re.compile(
        r"(?<![\w+])\+[1-9][0-9]{0,3}(?:[ .-]?\([0-9]{1,4}\)|[ .-]?[0-9]{1,6}){1,6}(?![\w])"  # +44 20 7946 0958
        r"|(?<![\w(])\([2-9][0-9]{2}\)[ .-]?[2-9][0-9]{2}[ .-][0-9]{4}(?![\w]|[.-][0-9])"  # (415) 555-0132
        r"|(?<![\w.+-])[2-9][0-9]{2}([-.])[2-9][0-9]{2}\1[0-9]{4}(?![\w]|[.-][0-9])"  # 415-555-0132
        r"|(?<![\w.+-])0[0-9]{2,4}[ -][0-9]{3,4}[ -][0-9]{3,4}(?![\w]|[.-][0-9])"  # 020 7946 0958
    ),
    _phone,
    hint_re=re.compile(r"\+[1-9]|\([2-9][0-9]{2}\)|[0-9]{3}[-.][0-9]{3}|0[0-9]{2,4}[ -][0-9]{3}"),
)
# US social security numbers, as they are written (123-45-6789), without the ranges never issued.
NATIONAL_ID = Rule(
    "national_id",
    re.compile(r"(?<![\w.+-])(?!000|666|9[0-9]{2})[0-9]{3}-(?!00)[0-9]{2}-(?!0000)[0-9]{4}(?![\w]|[.-][0-9])"),
    _whole("national_id"),
    hint_re=re.compile(r"[0-9]{3}-[0-9]{2}-[0-9]{4}"),
)
SECRET_KEY_VALUE = Rule(
    "api_key",
    re.compile(
        _SECRET_KEY_WORDS
        + _SEP
        + r"(?:(?P<scheme>basic|bearer|digest|token)[ \t]+)?"
        + r"""(?P<secret>[^\s"'`,;&<>\[\]{}()\\]+)""",
        re.IGNORECASE,
    ),
    _group("api_key", looks_like_secret),
    hints=("key", "secret", "token", "pass", "credential", "session", "authorization", "cookie"),
    lowered=True,
)

# Cards run between EMAIL and PHONE (see text.py); they need more than a regex.
BEFORE_CARDS: tuple[Rule, ...] = (
    SLACK_WEBHOOK,
    JWT,
    AWS_ACCESS_KEY,
    AWS_SECRET_KEY,
    GITHUB_TOKEN,
    SLACK_TOKEN,
    VENDOR_API_KEY,
    BEARER,
    URL_PASSWORD,
    EMAIL,
)
AFTER_CARDS: tuple[Rule, ...] = (NATIONAL_ID, PHONE, SECRET_KEY_VALUE)
