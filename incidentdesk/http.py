"""The one way connectors and executors talk HTTP: a client factory and one retry mechanism.

Every outbound call goes through `request()`, which maps what went wrong to an
HttpError: transient (timeout, connection error, 5xx, 429) or permanent
(401/403/404, other 4xx, a body that is not what was promised), and retries the
transient ones with backoff and jitter until the deadline.

Retrying is the caller's choice: reads and idempotent writes are resent; a write that is
not idempotent (`resend=False`) is sent again only when the vendor cannot have acted on it
(the connection never opened, or it answered 429/420 without doing anything).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Literal

import httpx

USER_AGENT = "incident-desk/1.0 (+read-only evidence collector)"
DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
MAX_BODY_BYTES = 5 * 1024 * 1024
# Failures before any byte of the request left: the vendor cannot have acted on it.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
HttpReason = Literal["timeout", "error", "rate_limited", "malformed", "not_found"]


class HttpError(Exception):
    """An outbound call gave no usable answer. `transient` ones are retried within the deadline;
    `outcome_unknown` means a write may have reached the vendor: look it up, never resend it."""

    def __init__(
        self,
        reason: str,
        detail: str = "",
        *,
        transient: bool = False,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
        status: int | None = None,
    ) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.transient = transient
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown
        self.status = status  # the HTTP status the vendor answered, when it answered


def make_client(
    *,
    base_url: str = "",
    headers: dict[str, str] | None = None,
    auth: httpx.Auth | tuple[str, str] | None = None,
    timeout: float | httpx.Timeout | None = None,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    merged = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    merged.update(headers or {})
    return httpx.Client(
        base_url=base_url,
        headers=merged,
        auth=auth,
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        limits=httpx.Limits(max_connections=10, max_keepalive_connections=5),
        follow_redirects=False,
        transport=transport,
    )


def retry_after_seconds(response: httpx.Response, *, now: float | None = None) -> float | None:
    """Seconds to wait from Retry-After (seconds or HTTP date), or a vendor's reset header."""
    value = response.headers.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError):
                return None
            return max(0.0, when - (now if now is not None else time.time()))
    return _reset_seconds(response.headers.get("x-ratelimit-reset"), now)


def _reset_seconds(value: str | None, now: float | None) -> float | None:
    """X-RateLimit-Reset: epoch seconds (GitHub), epoch milliseconds (LaunchDarkly) or a delta (Datadog)."""
    if not value:
        return None
    try:
        stamp = float(value.strip())
    except ValueError:
        return None
    if stamp > 1e11:
        stamp /= 1000.0
    if stamp > 1e9:
        return max(0.0, stamp - (now if now is not None else time.time()))
    return max(0.0, stamp)


@dataclass
class Deadline:
    """An absolute monotonic deadline shared by every request of one collection."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0


def classify(response: httpx.Response) -> HttpError | None:
    """None for a success; otherwise the HttpError this status means."""
    status = response.status_code
    if status < 400:
        return None
    # Statuspage rate-limits with 420; GitHub with 403 and x-ratelimit-remaining: 0.
    limited = status in (429, 420) or (
        status in (401, 403)
        and (response.headers.get("x-ratelimit-remaining") == "0" or "retry-after" in response.headers)
    )
    if limited:
        return HttpError(
            "rate_limited", f"HTTP {status}", transient=True, retry_after=retry_after_seconds(response), status=status
        )
    if status == 404:
        return HttpError("not_found", f"HTTP 404 {response.request.url.path}", status=status)
    if status in (401, 403):
        return HttpError("error", f"HTTP {status}: credentials refused", status=status)
    if status >= 500:
        return HttpError("error", f"HTTP {status}", transient=True, status=status)
    return HttpError("error", f"HTTP {status}", status=status)


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    deadline: Deadline,
    max_attempts: int = 4,
    max_bytes: int = MAX_BODY_BYTES,
    sleep=time.sleep,
    resend: bool = True,
    **kwargs,
) -> httpx.Response:
    """Send a request, retrying transient failures with backoff until the deadline.

    Raises HttpError. The body is read up to max_bytes; a larger answer is refused as
    `malformed` (callers that can use a partial answer ask for less instead). With
    resend=False, a failure after the request may have arrived (a read timeout, a reset,
    a 5xx) is raised at once with `outcome_unknown` set.
    """
    attempt = 0
    while True:
        attempt += 1
        remaining = deadline.remaining()
        if remaining <= 0:
            raise HttpError("timeout", "deadline passed before the source answered")
        timeout = httpx.Timeout(min(remaining, 10.0), connect=min(remaining, 2.0))
        try:
            with client.stream(method, url, timeout=timeout, **kwargs) as response:
                error = classify(response)
                if error is None:
                    body = _read_capped(response, max_bytes)
                    # The body is already decoded: drop the headers that describe the wire form.
                    headers = [
                        (k, v)
                        for k, v in response.headers.multi_items()
                        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
                    ]
                    return httpx.Response(
                        response.status_code,
                        headers=headers,
                        content=body,
                        request=response.request,
                    )
        except httpx.TimeoutException as exc:
            error = HttpError("timeout", str(exc) or "timed out", transient=True)
            arrived = not isinstance(exc, NEVER_SENT)
        except httpx.TransportError as exc:
            error = HttpError("error", f"connection failed: {exc}", transient=True)
            arrived = not isinstance(exc, NEVER_SENT)
        else:
            arrived = error.reason != "rate_limited"
        if error.transient and arrived and not resend:
            raise HttpError(error.reason, _unanswered(error), outcome_unknown=True, status=error.status)
        if not error.transient or attempt >= max_attempts:
            raise error
        wait = error.retry_after if error.retry_after is not None else _backoff(attempt)
        if wait >= deadline.remaining():
            raise error
        sleep(wait)


def _unanswered(error: HttpError) -> str:
    if error.reason == "timeout":
        return f"no answer after the request was sent ({error.detail})"
    return f"{error.detail} after the request was sent"


def _backoff(attempt: int) -> float:
    base = min(2.0, 0.1 * (2 ** (attempt - 1)))
    return base + random.uniform(0, base / 2)


def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise HttpError("malformed", f"answer of {declared} bytes exceeds the {max_bytes}-byte cap")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise HttpError("malformed", f"answer exceeds the {max_bytes}-byte cap")
        chunks.append(chunk)
    return b"".join(chunks)


def json_body(response: httpx.Response):
    """The decoded JSON body, or HttpError('malformed')."""
    try:
        return json.loads(response.content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HttpError("malformed", f"body is not JSON: {exc}") from exc


def next_link(response: httpx.Response) -> str | None:
    """The rel="next" URL of an RFC 8288 Link header (GitHub, Sentry), honouring Sentry's results="false"."""
    header = response.headers.get("link")
    if not header:
        return None
    for part in header.split(","):
        segments = [s.strip() for s in part.split(";")]
        if not segments or not segments[0].startswith("<"):
            continue
        params = {}
        for seg in segments[1:]:
            if "=" in seg:
                key, _, value = seg.partition("=")
                params[key.strip().lower()] = value.strip().strip('"')
        if params.get("rel") == "next" and params.get("results", "true") != "false":
            return segments[0][1:-1]
    return None


def link_pages(
    client: httpx.Client,
    path: str,
    params: dict | None,
    *,
    deadline: Deadline,
    max_pages: int,
    **request_kwargs,
) -> Iterator[list]:
    """Each page of a list endpoint paged by Link rel="next" (GitHub, Sentry).

    A next link that leaves the API host is refused: the credentials must never travel with it.
    """
    url: str | None = path
    query = params
    for _ in range(max_pages):
        response = request(client, "GET", url, deadline=deadline, params=query, **request_kwargs)
        body = json_body(response)
        if not isinstance(body, list):
            raise HttpError("malformed", f"{path}: expected a JSON list")
        yield body
        url, query = next_link(response), None
        if url is None:
            return
        if httpx.URL(url).host != client.base_url.host:
            raise HttpError("malformed", f"{path}: next page link leaves the API host")
