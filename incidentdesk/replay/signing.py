"""Signing a scenario's trigger the way its vendor would, with the secret the desk is configured with."""

import hashlib
import hmac
import json
import secrets


def body_bytes(source: str, body) -> bytes:
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def sign(source: str, body: bytes, secret: str, *, timestamp: int) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if source == "pagerduty":
        return {"X-PagerDuty-Signature": f"v1={digest}"}
    if source == "sentry":
        return {"Sentry-Hook-Signature": digest}
    if source == "github":
        return {"X-Hub-Signature-256": f"sha256={digest}"}
    if source == "slack":
        base = f"v0:{timestamp}:".encode() + body
        return {
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest(),
        }
    return {"Authorization": f"Bearer {secret}"}


def new_secret() -> str:
    return secrets.token_hex(24)
