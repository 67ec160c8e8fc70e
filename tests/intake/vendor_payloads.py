"""Recorded vendor deliveries under fixtures/: ``{"headers": {...}, "body": <JSON or form string>}``."""

import hashlib
import hmac
import json
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from incidentdesk import clock
from incidentdesk.intake.normalisers import normalise

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> tuple[dict[str, str], bytes]:
    """Headers and raw body bytes of a fixture, e.g. ``load("pagerduty/incident_triggered")``."""
    headers, body = load_parsed(name)
    return headers, encode(body)


def load_parsed(name: str) -> tuple[dict[str, str], object]:
    recorded = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return dict(recorded["headers"]), recorded["body"]


def encode(body: object) -> bytes:
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


def as_sent(source: str, headers: dict[str, str], body: bytes) -> AbstractContextManager:
    """The desk's clock at the moment a recorded delivery was made, as if it arrived as sent:
    a signed delivery older than its vendor's replay horizon is refused."""
    signed_at = normalise(source, headers, body).signed_at
    return clock.frozen_at(signed_at) if signed_at else nullcontext()


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
