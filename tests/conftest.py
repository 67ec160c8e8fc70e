import json
import time

import pytest
from django.test import Client

from incidentdesk.replay.signing import sign
from incidentdesk.services.catalog import catalog_load
from tests.workers import celery_worker, celery_worker_env  # noqa: F401  (fixtures)

SECRET = "test-hook-secret"

CATALOG = {
    "teams": [
        {"name": "checkout-eng", "members": ["alice", "abe"], "oncall": "alice", "slack_channel": "#checkout"},
        {"name": "payments-core", "members": ["bob"], "oncall": "bob", "slack_channel": "#payments"},
        {"name": "platform", "members": ["charlie"], "oncall": "charlie", "slack_channel": "#platform"},
    ],
    "services": [
        {"name": "checkout-api", "team": "checkout-eng", "tier": 1, "repo": "acme/checkout",
         "depends_on": ["payments-gateway"], "runbook": "checkout-api.md", "aliases": ["checkout", "PCHKOUT"]},
        {"name": "payments-gateway", "team": "payments-core", "tier": 1, "repo": "acme/payments-gateway",
         "depends_on": ["ledger-db"], "runbook": None, "aliases": []},
        {"name": "ledger-db", "team": "platform", "tier": 2, "repo": None, "depends_on": [], "runbook": None,
         "aliases": []},
        {"name": "status-page", "team": "platform", "tier": 3, "repo": "acme/status", "depends_on": [],
         "runbook": None, "aliases": []},
    ],
}


LOOPBACK = ("127.0.0.1", "localhost", "::1")


@pytest.fixture(autouse=True)
def _no_real_network(monkeypatch):
    """No test reaches past this machine: sockets refuse anything but loopback."""
    import socket

    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6) and host not in LOOPBACK:
            raise ConnectionRefusedError(f"tests may not reach {host}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def hook_secrets(monkeypatch):
    for source in ("pagerduty", "datadog", "sentry", "slack", "github", "alertmanager", "generic"):
        monkeypatch.setenv(f"HOOK_SECRET_{source.upper()}", SECRET)
    return SECRET


@pytest.fixture
def catalog(db):
    catalog_load(catalog=CATALOG)
    return CATALOG


def signed_headers(source: str, body: bytes, secret: str = SECRET, *, timestamp: int | None = None) -> dict:
    return sign(source, body, secret, timestamp=timestamp if timestamp is not None else int(time.time()))


class Hooks:
    """Posts webhooks the way vendors do: raw bytes, signed."""

    def __init__(self) -> None:
        self.client = Client(HTTP_HOST="localhost")

    def post(self, source: str, payload, *, headers: dict | None = None, sign: bool = True,
             content_type: str | None = None):
        body = payload if isinstance(payload, bytes) else (
            payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        )
        all_headers = dict(signed_headers(source, body)) if sign else {}
        all_headers.update(headers or {})
        if content_type is None:
            content_type = "application/x-www-form-urlencoded" if isinstance(payload, str) else "application/json"
        return self.client.post(f"/hooks/{source}/", data=body, content_type=content_type, headers=all_headers)


@pytest.fixture
def hooks(hook_secrets):
    return Hooks()


@pytest.fixture
def eager_on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (enqueues) when the test ends, as a committed request would."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        yield callbacks




@pytest.fixture
def edit_policy(tmp_path, settings):
    """Put in force a copy of the shipped policy file with `old` text replaced by `new`."""
    from incidentdesk.policy import SHIPPED

    def edit(*replacements: tuple[str, str]):
        text = SHIPPED.read_text()
        for old, new in replacements:
            assert old in text, old
            text = text.replace(old, new)
        path = tmp_path / f"policy-{len(list(tmp_path.glob('policy-*.yaml')))}.yaml"
        path.write_text(text)
        settings.DESK_POLICY_FILE = path
        return path

    return edit
