"""What every executor shares: the request it would send, dry runs, and how failures are told apart.

Executors are the only code that changes anything outside the desk. Each one builds plain
`OutboundRequest`s from a proposal's bound parameters and hands them to `Executor.send`,
which either records them (dry run) or sends them through incidentdesk.http (one client
factory, one retry mechanism).

Every send says whether the request may be resent. A write that is not idempotent is sent
once; when its outcome is unknown (no answer, a reset, a 5xx after it was sent), the
executor looks for the vendor's record of it (`settle`) and otherwise reports the outcome
as unknown with the place a human checks.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from django.conf import settings

from incidentdesk.http import Deadline, HttpError, json_body, make_client, request

USER_AGENT = "incident-desk/1.0 (+approved action executor)"
MASK = "****"
LOOKUP_SECONDS = 15.0  # a fresh budget to find a write whose answer never came
CLOCK_SKEW = timedelta(minutes=1)


class ExecutorError(Exception):
    """The action did not happen, or (`unknown`) nobody can tell whether it did.

    `refused` means the vendor's state forbids it (no point retrying); `unknown` means the
    request may have been acted on and was not found at the vendor: a human checks `detail`.
    """

    def __init__(
        self,
        reason: str,
        detail: str,
        *,
        transient: bool = False,
        refused: bool = False,
        status: int | None = None,
        requests: list[dict] | None = None,
        unknown: bool = False,
    ) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.transient = transient
        self.refused = refused
        self.status = status
        self.requests = requests or []
        self.unknown = unknown


@dataclass(frozen=True)
class OutboundRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: Any = None
    secrets: tuple[str, ...] = ()

    def shown(self) -> dict:
        """The request as it is recorded and displayed: every secret value masked."""
        headers = {}
        for name, value in self.headers.items():
            for secret in self.secrets:
                if secret:
                    value = value.replace(secret, MASK)
            headers[name] = value
        body = json.loads(_mask_text(json.dumps(self.body), self.secrets)) if self.body is not None else None
        return {
            "method": self.method,
            "url": _mask_text(self.url, self.secrets),
            "headers": headers,
            "body": body,
        }


def _mask_text(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


@dataclass
class ExecutionResult:
    ok: bool
    dry_run: bool
    summary: str
    requests: list[dict] = field(default_factory=list)
    response: dict = field(default_factory=dict)
    external_id: str = ""
    url: str = ""
    extra: dict = field(default_factory=dict)

    def as_record(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "summary": self.summary,
            "requests": self.requests,
            "response": self.response,
            "external_id": self.external_id,
            "url": self.url,
            **self.extra,
        }


def dry_run_wanted(configured: bool) -> bool:
    """ACTIONS_DRY_RUN: True always records, False always sends; unset records when credentials are absent."""
    setting = settings.ACTIONS_DRY_RUN
    if setting is None:
        return not configured
    return bool(setting)


def placeholder(name: str) -> str:
    return f"${{{name}}}"


class Executor:
    """One vendor's client for one kind of change. Subclasses set vendor, action and credentials."""

    vendor = ""
    credentials: tuple[str, ...] = ()  # every variable needed to send
    secret_names: tuple[str, ...] = ()  # those whose values are masked wherever a request is shown
    idempotency = "none"  # how a repeated request is made harmless at the vendor

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        dry_run: bool | None = None,
        deadline_seconds: float | None = None,
    ) -> None:
        self.environ = dict(os.environ if environ is None else environ)
        self.transport = transport
        self.sleep = sleep
        self.dry_run = dry_run_wanted(self.configured) if dry_run is None else dry_run
        if not self.dry_run and not self.configured:
            missing = ", ".join(n for n in self.credentials if not self.env(n))
            raise ExecutorError("not_configured", f"{missing} not set and ACTIONS_DRY_RUN is off")
        seconds = deadline_seconds or settings.ACTIONS_DEADLINE_SECONDS
        self.deadline = Deadline.after(float(seconds))
        self.sent: list[dict] = []
        self.started = datetime.now(UTC)

    @property
    def configured(self) -> bool:
        return all(self.env(name) for name in self.credentials)

    @classmethod
    def has_credentials(cls, environ: Mapping[str, str] | None = None) -> bool:
        environ = os.environ if environ is None else environ
        return all((environ.get(name) or "").strip() for name in cls.credentials)

    def env(self, name: str, default: str = "") -> str:
        return (self.environ.get(name) or "").strip() or default

    def secret(self, name: str) -> str:
        """The credential, or a visible placeholder in a dry run without credentials."""
        return self.env(name) or placeholder(name)

    def secrets(self) -> tuple[str, ...]:
        return tuple(v for v in (self.env(n) for n in self.secret_names) if v)

    def send(
        self, outbound: OutboundRequest, *, resend: bool, expect: tuple[int, ...] = (200, 201, 204)
    ) -> httpx.Response | None:
        """Send one request, or record it in a dry run (returns None). Raises ExecutorError.

        resend: whether sending it twice is harmless. When it is not, a failure after the
        request may have arrived raises ExecutorError with `unknown` set and no retry.
        """
        self.sent.append(outbound.shown())
        if self.dry_run:
            return None
        content = None
        if outbound.body is not None:
            content = json.dumps(outbound.body).encode()
        client = make_client(headers={"User-Agent": USER_AGENT}, transport=self.transport)
        try:
            with client:
                response = request(
                    client,
                    outbound.method,
                    outbound.url,
                    deadline=self.deadline,
                    sleep=self.sleep,
                    headers=outbound.headers,
                    content=content,
                    resend=resend,
                )
        except HttpError as exc:
            raise ExecutorError(
                "unknown" if exc.outcome_unknown else exc.reason,
                exc.detail or str(exc),
                transient=exc.transient,
                status=exc.status,
                requests=list(self.sent),
                unknown=exc.outcome_unknown,
            ) from exc
        if response.status_code not in expect:
            raise ExecutorError(
                "error",
                f"unexpected HTTP {response.status_code} from {self.vendor}",
                status=response.status_code,
                requests=list(self.sent),
            )
        return response

    def read(self, url: str, headers: dict[str, str]) -> Any:
        """GET a JSON document (resent freely: a read changes nothing)."""
        read = OutboundRequest("GET", url, headers, None, self.secrets())
        response = self.send(read, resend=True, expect=(200,))
        return None if response is None else self.json(response)

    def settle(
        self, failure: ExecutorError, *, find: Callable[[], ExecutionResult | None], check: str
    ) -> ExecutionResult:
        """After a write whose answer never came: the vendor's record of it, found by `find`,
        or ExecutorError(unknown) that says where a human checks. Never sends the write again."""
        if not failure.unknown:
            raise failure
        self.deadline = Deadline.after(LOOKUP_SECONDS)
        why = "no record of it was found"
        try:
            found = find()
        except ExecutorError as exc:
            found, why = None, f"looking it up failed ({exc.reason}: {exc.detail})"
        if found is not None:
            found.summary += f" (found at {self.vendor} after the request went unanswered: {failure.detail})"
            return found
        raise ExecutorError(
            "unknown",
            f"outcome unknown: {failure.detail}; {why}. Check {check} before acting again",
            requests=list(self.sent),
            unknown=True,
        )

    def since_start(self, stamp: Any) -> bool:
        """Whether a vendor timestamp is at or after this executor began (a minute's clock skew allowed)."""
        try:
            when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        except ValueError:
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when >= self.started - CLOCK_SKEW

    def json(self, response: httpx.Response) -> Any:
        try:
            return json_body(response)
        except HttpError as exc:
            raise ExecutorError("malformed", exc.detail, requests=list(self.sent)) from exc

    def recorded(self, summary: str, **kwargs: Any) -> ExecutionResult:
        return ExecutionResult(
            ok=True, dry_run=True, summary=f"dry run: {summary}", requests=list(self.sent), **kwargs
        )

    def done(
        self, summary: str, http: httpx.Response | None = None, *, answer: dict | None = None, **kwargs: Any
    ) -> ExecutionResult:
        response = {"status": http.status_code} if http is not None else {}
        response.update(answer or {})
        return ExecutionResult(
            ok=True, dry_run=False, summary=summary, requests=list(self.sent), response=response, **kwargs
        )
