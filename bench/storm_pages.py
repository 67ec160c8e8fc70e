"""What a responder sees during a storm: the desk's pages fetched now and then while it rages.

The people paged by the storm open the desk at once; its pages must stay usable while the
webhooks pour in. A thread signs in as a desk user (a session made in the database, sent as a
proxy in front of the desk would send it, over HTTPS) and fetches the history page and the
first run's page in turn, recording each reply's status and latency.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from dataclasses import dataclass, field


def session_cookie(username: str) -> str:
    """A signed-in session for that user (the catalog made it a team member), as the cookie header value."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


@dataclass
class PageWatcher:
    base: str  # http://127.0.0.1:port
    cookie: str
    interval: float = 0.5
    samples: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _first_run_path(self) -> str | None:
        from django.db import connection

        from incidentdesk.models import Run

        try:
            run = Run.objects.order_by("pk").first()
            return run.get_absolute_url() if run else None
        finally:
            connection.close()

    def _watch(self) -> None:
        while not self._stop.is_set():
            for label, path in (("history", "/"), ("run page", self._first_run_path())):
                if path is not None:
                    self.samples.setdefault(label, []).append(self._get(path))
            self._stop.wait(self.interval)

    def _get(self, path: str) -> tuple[int, float]:
        request = urllib.request.Request(self.base + path, headers={
            "Cookie": self.cookie, "X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                # Redirected (to the sign-in page, say): not the page asked for.
                status = response.status if response.geturl() == self.base + path else 302
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        return status, time.perf_counter() - started
