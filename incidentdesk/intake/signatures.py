"""Checks that a webhook really comes from the vendor it claims, against the raw body bytes.

PagerDuty, Sentry, Slack and GitHub sign their bodies with an HMAC; Datadog, Alertmanager
and generic senders do not, so they must present the secret itself in an ``Authorization``
header (Bearer, or HTTP Basic with the secret as password). Every comparison is constant-time.
"""

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping

from incidentdesk.intake.events import SignatureError

DEFAULT_MAX_SKEW = 300

Verifier = Callable[[Mapping[str, str], bytes, list[bytes], float, int], None]

_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(key).lower(): str(value) for key, value in headers.items()}


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower(), "").strip()
    if not value:
        raise SignatureError(f"missing {name} header")
    return value


def _hmac_hex(secret: bytes, message: bytes) -> bytes:
    return hmac.new(secret, message, hashlib.sha256).hexdigest().encode("ascii")


def _matches_any(candidates: list[str], secrets: list[bytes], message: bytes) -> bool:
    """True when any well-formed hex candidate equals the HMAC of message under any secret."""
    wanted = [c.lower().encode("ascii") for c in candidates if _HEX_DIGEST.fullmatch(c)]
    matched = False
    for secret in secrets:
        expected = _hmac_hex(secret, message)
        for candidate in wanted:
            # No early exit: the time taken does not depend on which secret matched.
            matched |= hmac.compare_digest(expected, candidate)
    return matched


def _verify_pagerduty(
    headers: Mapping[str, str], body: bytes, secrets: list[bytes], now: float, max_skew: int
) -> None:
    value = _header(headers, "X-PagerDuty-Signature")
    # Several v1 entries arrive while PagerDuty rotates the subscription's secret.
    candidates = [part.strip()[3:] for part in value.split(",") if part.strip().startswith("v1=")]
    if not candidates:
        raise SignatureError("X-PagerDuty-Signature has no v1= signature")
    if not _matches_any(candidates, secrets, body):
        raise SignatureError("signature does not match")


def _verify_sentry(
    headers: Mapping[str, str], body: bytes, secrets: list[bytes], now: float, max_skew: int
) -> None:
    value = _header(headers, "Sentry-Hook-Signature")
    if not _matches_any([value], secrets, body):
        raise SignatureError("signature does not match")


def _verify_github(
    headers: Mapping[str, str], body: bytes, secrets: list[bytes], now: float, max_skew: int
) -> None:
    value = _header(headers, "X-Hub-Signature-256")
    if not value.startswith("sha256="):
        raise SignatureError("X-Hub-Signature-256 must start with sha256=")
    if not _matches_any([value[len("sha256=") :]], secrets, body):
        raise SignatureError("signature does not match")


def _verify_slack(
    headers: Mapping[str, str], body: bytes, secrets: list[bytes], now: float, max_skew: int
) -> None:
    signature = _header(headers, "X-Slack-Signature")
    timestamp = _header(headers, "X-Slack-Request-Timestamp")
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise SignatureError("X-Slack-Request-Timestamp is not a Unix timestamp")
    # Checked before the signature, as Slack's own verifier does: an old, validly signed
    # request is a replay.
    if abs(now - int(timestamp)) > max_skew:
        raise SignatureError(f"timestamp outside the {max_skew} s window")
    if not signature.startswith("v0="):
        raise SignatureError("X-Slack-Signature must start with v0=")
    message = b"v0:" + timestamp.encode("ascii") + b":" + body
    if not _matches_any([signature[len("v0=") :]], secrets, message):
        raise SignatureError("signature does not match")


def _presented_secret(headers: Mapping[str, str]) -> bytes:
    value = _header(headers, "Authorization")
    scheme, _, credentials = value.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return credentials.encode("utf-8", "backslashreplace")
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("Authorization Basic credentials are not valid base64") from None
        username, colon, password = decoded.partition(b":")
        if not colon:
            raise SignatureError("Authorization Basic credentials have no password")
        return password
    raise SignatureError("Authorization must be Bearer <secret> or Basic credentials")


def _verify_shared_secret(
    headers: Mapping[str, str], body: bytes, secrets: list[bytes], now: float, max_skew: int
) -> None:
    presented = _presented_secret(headers)
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(presented, secret)
    if not matched:
        raise SignatureError("credential does not match")


VERIFIERS: dict[str, Verifier] = {
    "pagerduty": _verify_pagerduty,
    "sentry": _verify_sentry,
    "slack": _verify_slack,
    "github": _verify_github,
    "datadog": _verify_shared_secret,
    "alertmanager": _verify_shared_secret,
    "generic": _verify_shared_secret,
}

# Sources whose body carries an HMAC signature; the others present the secret itself.
SIGNED_SOURCES: frozenset[str] = frozenset({"pagerduty", "sentry", "slack", "github"})


def verify(
    source: str,
    headers: Mapping[str, str],
    body: bytes,
    secrets: list[str],
    *,
    now: float,
    max_skew: int = DEFAULT_MAX_SKEW,
) -> None:
    """Accept the request or raise SignatureError with the reason.

    ``secrets`` holds the current secret and any rotated-out ones still accepted; a request
    passes if any of them matches. ``now`` is Unix seconds (Slack's replay window).
    """
    verifier = VERIFIERS.get(source)
    if verifier is None:
        raise SignatureError(f"unknown source {source!r}")
    usable = [secret.encode("utf-8") for secret in secrets if secret]
    if not usable:
        # Refuse unsigned intake rather than accept everything.
        raise SignatureError(f"no secret configured for {source}")
    verifier(_lower_keys(headers), body, usable, now, max_skew)
