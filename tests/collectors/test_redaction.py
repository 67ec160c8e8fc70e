import base64
import copy
import json
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import domains

from collectors.redaction import KINDS, marker, redact_record, redact_text
from collectors.redaction.cards import luhn_valid

ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"

# Secrets sit in logs set off from their neighbours by spaces, punctuation or quotes.
SEPARATORS = st.sampled_from([" ", "\n", "\t", ", ", "; ", " (", ") ", ": ", "=", '"', " | ", "<", ">"])


# --- strategies for secrets -------------------------------------------------------------------


def _luhn_complete(partial: str) -> str:
    return next(partial + d for d in string.digits if luhn_valid(partial + d))


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["4", "51", "55", "2221", "2720", "34", "37", "6011", "65", "35"]))
    length = draw(st.integers(min_value=13, max_value=19))
    body = prefix + draw(
        st.text(string.digits, min_size=length - len(prefix) - 1, max_size=length - len(prefix) - 1)
    )
    digits = _luhn_complete(body)
    if draw(st.booleans()):
        return digits
    chunks = [digits[i : i + 4] for i in range(0, len(digits), 4)]
    out = chunks[0]
    for chunk in chunks[1:]:
        out += draw(st.sampled_from([" ", "-"])) + chunk
    return out


@st.composite
def emails(draw: st.DrawFn) -> str:
    atom = st.text(ALNUM + "_%+-!#$&*^~", min_size=1, max_size=12)
    local = ".".join(draw(st.lists(atom, min_size=1, max_size=3)))
    return f"{local}@{draw(domains())}"


aws_access_keys = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["AKIA", "ASIA"]),
    st.text(UPPER_ALNUM, min_size=16, max_size=16),
)

github_tokens = st.one_of(
    st.builds(
        lambda prefix, rest: prefix + rest,
        st.sampled_from(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
        st.text(ALNUM, min_size=36, max_size=36),
    ),
    st.builds(
        lambda a, b: f"github_pat_{a}_{b}",
        st.text(ALNUM, min_size=22, max_size=22),
        st.text(ALNUM, min_size=59, max_size=59),
    ),
)

slack_tokens = st.one_of(
    st.builds(
        lambda prefix, team, user, secret: f"{prefix}-{team}-{user}-{secret}",
        st.sampled_from(["xoxb", "xoxp", "xoxa", "xoxe"]),
        st.text(string.digits, min_size=10, max_size=13),
        st.text(string.digits, min_size=10, max_size=13),
        st.text(ALNUM, min_size=24, max_size=32),
    ),
    st.builds(
        lambda app, num, secret: f"xapp-1-{app}-{num}-{secret}",
        st.text(UPPER_ALNUM, min_size=11, max_size=11),
        st.text(string.digits, min_size=13, max_size=13),
        st.text(HEX, min_size=64, max_size=64),
    ),
)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


jwts = st.builds(
    lambda alg, claims, signature: ".".join(
        [
            _b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode()),
            _b64url(json.dumps(claims).encode()),
            _b64url(signature),
        ]
    ),
    st.sampled_from(["HS256", "RS256", "ES256"]),
    st.dictionaries(
        st.sampled_from(["sub", "scope", "exp", "iss", "email"]), st.text(max_size=20), min_size=1
    ),
    st.binary(min_size=16, max_size=64),
)


@st.composite
def urls_with_password(draw: st.DrawFn) -> tuple[str, str, str]:
    """(url, password, the url as it must read once redacted)"""
    scheme = draw(
        st.sampled_from(["postgres", "postgresql", "mysql", "redis", "amqp", "https", "mongodb+srv"])
    )
    user = draw(st.text(string.ascii_lowercase + string.digits + "_", min_size=1, max_size=12))
    password = draw(st.text(ALNUM + "-._~!$&*+,;=%", min_size=8, max_size=32))
    host = draw(st.sampled_from(["db.internal", "10.0.3.7", "redis-master.payments.svc", "mq.example.net"]))
    tail = draw(st.sampled_from(["", ":5432/billing", "/0", "/vhost?sslmode=require"]))
    assume(password not in f"{scheme}{user}{host}{tail}")
    url = f"{scheme}://{user}:{password}@{host}{tail}"
    return url, password, f"{scheme}://{user}:[REDACTED:url_password]@{host}{tail}"


def _embedded(kind: str, secrets: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[str, str, str]]:
    return secrets.map(lambda s: (kind, s, s))


SECRETS = st.one_of(
    _embedded("email", emails()),
    _embedded("card", card_numbers()),
    _embedded("aws_key", aws_access_keys),
    _embedded("github_token", github_tokens),
    _embedded("slack_token", slack_tokens),
    _embedded("bearer_token", jwts),
    urls_with_password().map(lambda u: ("url_password", u[1], u[0])),
)


# --- strategies for ordinary operational text -------------------------------------------------

WORDS = st.sampled_from(
    [
        "GET",
        "POST",
        "/v1/invoices",
        "200",
        "503",
        "timeout",
        "retrying",
        "upstream",
        "customers-api",
        "deploy-bot",
        "@alice",
        "@ben",
        "ok",
        "ERROR",
        "INFO",
        "rollback",
        "token",
        "session",
        "password",
        "reset",
        "key",
        "cache",
        "miss",
        "SELECT",
        "id,",
        "amount",
        "FROM",
        "invoices",
        "WHERE",
        "LIMIT",
        "after",
        "Traceback",
        "(most",
        "recent",
        "call",
        "last)",
        "KeyError",
        "'customer_id'",
        "$1,234.56",
        "€12.50",
        "ORD-4821",
        "INV-2026-0042",
        "order #88231",
        "HTTP/1.1",
        "p99",
        "lag",
        "billing-webhooks-813993c2d-sfbpc",
        "accounts-api-6b0c0e6e8-lf29n",
        "secret_name=billing-env",
        "token_count=512",
        "max_tokens=4096",
    ]
)
NUMBERS = st.one_of(
    st.integers(0, 999).map(str),
    st.integers(0, 10**6).map(lambda n: f"{n}ms"),
    st.floats(0, 120, allow_nan=False).map(lambda x: f"after {x:.1f}s"),
    st.floats(0, 100, allow_nan=False).map(lambda x: f"{x:.1f}%"),
    st.integers(0, 10**9).map(lambda n: f"count={n}"),
    st.integers(1024, 65535).map(lambda p: f"port {p}"),
    st.integers(1_600_000_000, 1_999_999_999).map(str),  # epoch seconds
    st.integers(1_600_000_000_000, 1_999_999_999_999).map(str),  # epoch milliseconds
    st.tuples(st.integers(0, 30), st.integers(0, 99), st.integers(0, 999)).map(
        lambda v: "v{}.{}.{}".format(*v)
    ),
)
SHAS = st.one_of(
    st.integers(0, 2**160 - 1).map(lambda n: f"{n:040x}"),
    st.integers(0, 2**48 - 1).map(lambda n: f"{n:012x}"),
    st.integers(0, 2**28 - 1).map(lambda n: f"{n:07x}"),
    st.integers(0, 2**128 - 1).map(lambda n: f"event {n:032x}"),  # Sentry event id
)
TIMESTAMPS = st.datetimes().map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S") + f".{d.microsecond // 1000:03d}Z"
) | st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S,%f")[:-3] + " +00:00")
IPS = st.ip_addresses().map(lambda ip: f"from {ip}")
PATHS = st.builds(
    lambda mod, func, line: f'File "/app/{mod}.py", line {line}, in {func}',
    st.sampled_from(["billing/webhooks/parser", "accounts/invoices/cache", "auth/token_store"]),
    st.sampled_from(["parse_event", "get_rendered_invoice", "refresh"]),
    st.integers(1, 4000),
) | st.builds(
    lambda p, n: f"{p}:{n}", st.sampled_from(["src/app.ts", "pkg/queue/worker.go"]), st.integers(1, 999)
)

ORDINARY_TOKENS = st.one_of(WORDS, NUMBERS, SHAS, st.uuids().map(str), TIMESTAMPS, IPS, PATHS)
ORDINARY_TEXT = st.lists(ORDINARY_TOKENS, min_size=1, max_size=25).flatmap(
    lambda tokens: st.lists(
        st.sampled_from([" ", ", ", " | ", "\n"]), min_size=len(tokens), max_size=len(tokens)
    ).map(lambda seps: "".join(t + s for t, s in zip(tokens, seps, strict=True)))
)


# --- property tests ---------------------------------------------------------------------------


@settings(max_examples=400)
@given(
    secret=SECRETS,
    prefix=st.text(max_size=40),
    suffix=st.text(max_size=40),
    left=SEPARATORS,
    right=SEPARATORS,
)
def test_no_generated_secret_survives_in_surrounding_text(
    secret: tuple[str, str, str], prefix: str, suffix: str, left: str, right: str
) -> None:
    kind, value, embedded = secret
    assume(value not in prefix + suffix)
    assume(not any(value in marker(k) for k in KINDS))

    redacted, kinds = redact_text(f"{prefix}{left}{embedded}{right}{suffix}")

    assert value not in redacted
    assert kind in kinds


@given(url=urls_with_password())
def test_a_url_keeps_its_user_and_host_when_its_password_is_redacted(url: tuple[str, str, str]) -> None:
    original, _, expected = url

    assert redact_text(f"connecting to {original} failed") == (
        f"connecting to {expected} failed",
        frozenset({"url_password"}),
    )


@settings(max_examples=400)
@given(text=ORDINARY_TEXT)
def test_ordinary_operational_text_is_returned_unchanged(text: str) -> None:
    assert redact_text(text) == (text, frozenset())


@given(parts=st.lists(st.one_of(ORDINARY_TOKENS, SECRETS.map(lambda s: s[2])), min_size=1, max_size=10))
def test_redacting_twice_gives_the_same_result_and_finds_nothing_new(parts: list[str]) -> None:
    once, _ = redact_text(" ".join(parts))

    assert redact_text(once) == (once, frozenset())


# --- examples per kind ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("requester maria.keller@example.com", "requester [REDACTED:email]", "email"),
        ("to='j.okafor+billing@example.net'", "to='[REDACTED:email]'", "email"),
        ("visa 4111 1111 1111 1111", "visa [REDACTED:card]", "card"),
        ("card=5555-5555-5555-4444;", "card=[REDACTED:card];", "card"),
        ("amex 378282246310005 exp 04/29", "amex [REDACTED:card] exp 04/29", "card"),
        ("amex 3782 822463 10005", "amex [REDACTED:card]", "card"),
        ("call (415) 555-0132 now", "call [REDACTED:phone] now", "phone"),
        ("sms to 415-555-0132 failed", "sms to [REDACTED:phone] failed", "phone"),
        ("phone: +44 20 7946 0958", "phone: [REDACTED:phone]", "phone"),
        ("phone=+14155550132", "phone=[REDACTED:phone]", "phone"),
        ("office 020 7946 0958", "office [REDACTED:phone]", "phone"),
        (
            "Authorization: Bearer 9f8e7d6c5b4a3f2e1d0c",
            "Authorization: Bearer [REDACTED:bearer_token]",
            "bearer_token",
        ),
        (
            "jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.Sfl-KxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
            "jwt=[REDACTED:bearer_token]",
            "bearer_token",
        ),
        ("key AKIAIOSFODNN7EXAMPLE used", "key [REDACTED:aws_key] used", "aws_key"),
        (
            "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key=[REDACTED:aws_key]",
            "aws_key",
        ),
        (
            "git push https://ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/acme/x",
            "git push https://[REDACTED:github_token]@github.com/acme/x",
            "github_token",
        ),
        (
            "token github_pat_11ABCDEFG0123456789abc_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW",
            "token [REDACTED:github_token]",
            "github_token",
        ),
        (
            "slack xoxb-2048-1024-aBcDeFgHiJkLmNoPqRsTuVwX rejected",
            "slack [REDACTED:slack_token] rejected",
            "slack_token",
        ),
        (
            "posting to https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX",
            "posting to [REDACTED:slack_token]",
            "slack_token",
        ),
        ("stripe key sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe key [REDACTED:api_key]", "api_key"),
        ("maps AIzaSyA-1234567890abcdefghijklmnopqrstu ok", "maps [REDACTED:api_key] ok", "api_key"),
        ("glpat-xxxxxxxxxxxxxxxxxxxx1 expired", "[REDACTED:api_key] expired", "api_key"),
        (
            "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",
            "[REDACTED:api_key]",
            "api_key",
        ),
        ('{"api_key": "a8f3k2m9q7x1"}', '{"api_key": "[REDACTED:api_key]"}', "api_key"),
        ("DB_PASSWORD=hunter22 loaded", "DB_PASSWORD=[REDACTED:api_key] loaded", "api_key"),
        ("client_secret: 'Zx81kQ-pL0'", "client_secret: '[REDACTED:api_key]'", "api_key"),
        (
            "token=9f1c2ab3d4e5f60718293a4b5c6d7e8f90a1b2c3",
            "token=[REDACTED:api_key]",
            "api_key",
        ),
        (
            "DATABASE_URL=postgres://app:s3cr3t@db.internal:5432/billing",
            "DATABASE_URL=postgres://app:[REDACTED:url_password]@db.internal:5432/billing",
            "url_password",
        ),
        ("redis://:p@ssw0rd@cache:6379/0", "redis://:[REDACTED:url_password]@cache:6379/0", "url_password"),
    ],
)
def test_each_kind_is_redacted_and_reported(text: str, expected: str, kind: str) -> None:
    assert redact_text(text) == (expected, frozenset({kind}))


def test_a_sixteen_digit_number_that_fails_luhn_is_left_alone() -> None:
    assert not luhn_valid("4111111111111112")

    assert redact_text("visa 4111 1111 1111 1112 declined") == (
        "visa 4111 1111 1111 1112 declined",
        frozenset(),
    )
    assert redact_text("order 4111111111111112") == ("order 4111111111111112", frozenset())


@pytest.mark.parametrize(
    "number", ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117"]
)
def test_luhn_accepts_known_test_card_numbers(number: str) -> None:
    assert luhn_valid(number)


def test_a_card_beside_another_number_is_still_found() -> None:
    assert redact_text("qty 1234 4111 1111 1111 1111") == ("qty 1234 [REDACTED:card]", frozenset({"card"}))


@pytest.mark.parametrize(
    "text",
    [
        "deploy 9f1c2ab3d4e5f60718293a4b5c6d7e8f90a1b2c3 (9f1c2ab) finished",
        "request_id=123e4567-e89b-12d3-a456-426614174000 trace=4bf92f3577b34da6a3ce929d0e0e4736",
        "sentry event 8a2f1c90e4b34d7f9c6e5a1b2d3f4e5a",
        "2026-03-16T08:12:36Z 2026-03-16T08:12:36.123+00:00 2026-03-16 08:12:36,123",
        "ts=1773650000 ts_ms=1773650000123 ns=1773650000123456789",
        "from 10.2.3.4:8080 and [2001:db8::8a2e:370:7334]:443 ::ffff:192.0.2.128",
        "billing-webhooks v2.14.3 (1.0.0-rc.1+20130313144700) HTTP/1.1 503",
        "upstream timed out after 10s; retried in 2.4 s; p99 1830ms; 8.7% errors; 1,204 requests",
        "pod billing-webhooks-813993c2d-sfbpc restarted 3 times",
        'File "/app/billing/webhooks/parser.py", line 142, in parse_event',
        "SELECT id, amount FROM invoices WHERE customer_id = 4821 LIMIT 100",
        "@alice acked; deploy-bot rolled out PR 4821",
        "charged $1,299.00 (EUR 12.50) for ORD-2026-004211 invoice INV-2026-0042",
        "dd.trace_id=5234567890123456789 span_id=4111111111111111",
        "release accounts-api@8113f95c24ef built from pkg@1.2.3 by postgres@db-1",
        "password reset requested; token expired; session closed",
        "401: missing Bearer token (Bearer authentication required)",
        "token: expired  password: invalid  secret_name=billing-env  token_count=512",
        "listen 0.0.0.0:8443 pid 31337 uptime 86400s",
        "replicas +3, clock offset +3600s, error budget +0.5%, heap +86400000 bytes",
        "Authorization: Bearer [REDACTED:bearer_token]",
    ],
)
def test_ordinary_operational_text_is_not_touched(text: str) -> None:
    assert redact_text(text) == (text, frozenset())


def test_redaction_is_idempotent_on_markers() -> None:
    text = (
        "user maria.keller@example.com paid with 4111 1111 1111 1111 using "
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abcDEF123_-xyzabc from postgres://app:pw123456@db/x "
        "password=hunter22 AKIAIOSFODNN7EXAMPLE"
    )

    once, kinds = redact_text(text)

    assert kinds == {"email", "card", "bearer_token", "url_password", "api_key", "aws_key"}
    assert redact_text(once) == (once, frozenset())
    assert "[REDACTED:[REDACTED" not in once


# --- records ----------------------------------------------------------------------------------


def test_redact_record_walks_nested_structures_and_keeps_keys() -> None:
    record = {
        "message": "InvoiceOwnershipError for maria.keller@example.com",
        "context": {
            "requester_email": "maria.keller@example.com",
            "request_headers": {"Authorization": "Bearer abc.def.ghi", "User-Agent": "Mozilla/5.0"},
            "payment_method": "visa 4111 1111 1111 1111",
            "attempts": [{"phone": "+1 415 555 0132"}, ("retry", 2)],
        },
        "count": 3574,
        "release": "accounts-api@8113f95c24ef",
        "resolved": None,
    }

    redacted, kinds = redact_record(record)

    assert redacted == {
        "message": "InvoiceOwnershipError for [REDACTED:email]",
        "context": {
            "requester_email": "[REDACTED:email]",
            "request_headers": {"Authorization": "[REDACTED:secret]", "User-Agent": "Mozilla/5.0"},
            "payment_method": "visa [REDACTED:card]",
            "attempts": [{"phone": "[REDACTED:phone]"}, ("retry", 2)],
        },
        "count": 3574,
        "release": "accounts-api@8113f95c24ef",
        "resolved": None,
    }
    assert kinds == {"email", "secret", "card", "phone"}


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "Authorization",
        "access_key",
        "private_key",
        "client_secret",
        "session",
        "cookie",
        "X-Api-Key",
        "clientSecret",
        "Set-Cookie",
        "db_password",
        "refresh_token",
        "AWS_SECRET_ACCESS_KEY",
        "sessionId",
    ],
)
def test_a_value_under_a_secret_named_key_is_replaced_whole(key: str) -> None:
    value = "s3ss-9fQ2kLm0ZpX7vB4n" if key.lower().startswith("session") else "plain words"
    assert redact_record({key: value}) == ({key: "[REDACTED:secret]"}, frozenset({"secret"}))


@pytest.mark.parametrize("key", ["session", "sessionId", "session_id"])
def test_a_session_name_shorter_than_any_token_is_not_a_secret(key: str) -> None:
    """An exchange session "RTR8" or a session label is a name; a session token is long."""
    assert redact_record({key: "RTR8"}) == ({key: "RTR8"}, frozenset())
    assert redact_record({key: "morning batch"}) == ({key: "morning batch"}, frozenset())


@pytest.mark.parametrize(
    "key", ["token_count", "secret_name", "password_reset_at", "max_tokens", "keyboard", "author"]
)
def test_keys_that_only_mention_a_secret_word_are_not_secret_keys(key: str) -> None:
    assert redact_record({key: "plain words"}) == ({key: "plain words"}, frozenset())


def test_secret_named_keys_leave_empty_and_non_string_values_alone() -> None:
    record = {"password": "", "token": None, "session": {"id": 7, "user": "bob@example.com"}, "cookie": 0}

    redacted, kinds = redact_record(record)

    assert redacted == {
        "password": "",
        "token": None,
        "session": {"id": 7, "user": "[REDACTED:email]"},
        "cookie": 0,
    }
    assert kinds == {"email"}


def test_kinds_inside_a_secret_named_value_are_still_reported() -> None:
    _, kinds = redact_record(
        {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abcDEF123_-xyzabc"}
    )

    assert kinds == {"secret", "bearer_token"}


def test_redact_record_does_not_mutate_its_input() -> None:
    record = {"a": ["x maria.keller@example.com", {"token": "t0k3n-value"}], "b": ("4111111111111111",)}
    snapshot = copy.deepcopy(record)

    redacted, _ = redact_record(record)

    assert record == snapshot
    assert redacted is not record
    assert redacted["a"] is not record["a"]
    assert redacted["b"] == ("[REDACTED:card]",)


def test_redact_record_is_idempotent() -> None:
    record = {
        "headers": {"Cookie": "sid=abc"},
        "msg": "call +44 20 7946 0958",
        "items": ["sk_live_4eC39HqLyjWDarjtT1zdp7dc"],
    }

    once, _ = redact_record(record)

    assert redact_record(once) == (once, frozenset())


def test_redact_record_on_a_plain_string_or_scalar() -> None:
    assert redact_record("mail bob@example.com") == ("mail [REDACTED:email]", frozenset({"email"}))
    assert redact_record(42) == (42, frozenset())
    assert redact_record(None) == (None, frozenset())


@pytest.mark.parametrize("text", ["ssn=512-44-8190 user", "SSN 623-10-4471 on file", "id: 538-77-2093."])
def test_a_us_social_security_number_is_redacted(text):
    redacted, kinds = redact_text(text)
    assert kinds == {"national_id"}
    assert "[REDACTED:national_id]" in redacted
    assert not any(ch.isdigit() for ch in redacted)


@pytest.mark.parametrize("text", ["000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000",
                                  "part 512-44-8190x", "v1-512-44-8190", "2026-04-25"])
def test_numbers_that_are_not_issued_social_security_numbers_are_left_alone(text):
    assert redact_text(text) == (text, frozenset())


@pytest.mark.parametrize(
    "line",
    [
        "oauth token exchange failed: user-id IssueCredential: UNAVAILABLE: account data outdated",
        "cookie check failed: user-id CheckCookie: UNAVAILABLE: account data outdated",
    ],
)
def test_a_status_word_after_an_rpc_named_like_a_secret_is_not_a_secret(line: str) -> None:
    assert redact_text(line) == (line, frozenset())


@pytest.mark.parametrize("text", ["gateway/session.cpp in Session::on_reject", "at Token::refresh (auth.rs:88)"])
def test_a_scope_in_code_is_not_a_key_and_its_value(text: str) -> None:
    assert redact_text(text) == (text, frozenset())
