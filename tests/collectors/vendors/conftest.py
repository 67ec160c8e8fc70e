import httpx
import pytest

from incidentdesk import http


@pytest.fixture
def transport(router):
    """The module's respx router as an httpx transport."""
    return httpx.MockTransport(router.handler)


@pytest.fixture
def waits(monkeypatch):
    """The waits request() asks for, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setitem(http.request.__kwdefaults__, "sleep", recorded.append)
    monkeypatch.setattr(http, "_backoff", lambda attempt: 0.001)
    return recorded


@pytest.fixture
def sleeps() -> list[float]:
    """Waits a connector's own `sleep` was asked for, recorded instead of slept."""
    return []
