"""A client for any OpenAI-compatible chat completions endpoint, through incidentdesk/http.py.

`chat_complete` sends one non-streaming request and returns the answer's text and token usage,
or raises ChatError with a short code the packet can show (timeout, rate_limited, ...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import httpx

from collectors.redaction import redact_text
from incidentdesk.http import Deadline, HttpError, make_client, request

# One retry at most: the packet is waiting, and a second failure says enough.
MAX_ATTEMPTS = 2


@dataclass(frozen=True)
class ChatConfig:
    base_url: str
    model: str
    api_key: str
    timeout_seconds: float


@dataclass(frozen=True)
class ChatAnswer:
    content: str
    usage: dict[str, int]
    model: str


@dataclass
class ChatError(Exception):
    """The endpoint did not give a usable answer. `code` goes into the packet; `detail` only to audit."""

    code: str
    detail: str = ""
    usage: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}" if self.detail else self.code


def chat_complete(
    *,
    config: ChatConfig,
    messages: list[dict[str, str]],
    max_tokens: int,
    temperature: float = 0.0,
    transport: httpx.BaseTransport | None = None,
) -> ChatAnswer:
    """POST {base}/chat/completions once (one retry for transient failures). Raises ChatError."""
    headers = {"Content-Type": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    payload = {
        "model": config.model,
        "messages": messages,
        "temperature": temperature,
        "max_tokens": max_tokens,
        "stream": False,
    }
    refused: dict[str, object] = {}

    def keep_error_body(response: httpx.Response) -> None:
        # request() does not read refused answers; the endpoint's {"error": {...}} says why.
        if response.status_code >= 400:
            response.read()
            refused["status"] = response.status_code
            refused["message"] = _error_message(response.content)

    client = make_client(
        base_url=config.base_url.rstrip("/") + "/",
        headers=headers,
        timeout=config.timeout_seconds,
        transport=transport,
    )
    client.event_hooks["response"] = [keep_error_body]
    try:
        response = request(
            client,
            "POST",
            "chat/completions",
            deadline=Deadline.after(config.timeout_seconds),
            max_attempts=MAX_ATTEMPTS,
            content=json.dumps(payload).encode(),
        )
    except HttpError as exc:
        raise ChatError(_code(exc, refused.get("status")), _detail(exc, refused, config.api_key)) from exc
    finally:
        client.close()
    return _answer(response.content, config.model, messages)


def _code(exc: HttpError, status: object) -> str:
    if exc.reason in ("timeout", "rate_limited", "malformed"):
        return exc.reason
    if status in (401, 403):
        return "unauthorized"
    if isinstance(status, int) and status >= 500:
        return "server_error"
    if isinstance(status, int):
        return "rejected"
    return "unreachable"


def _detail(exc: HttpError, refused: dict, api_key: str) -> str:
    # Providers echo a refused key in their messages; neither it nor anything else sensitive is kept.
    text = f"{exc.detail} {refused.get('message') or ''}".strip()
    if api_key:
        text = text.replace(api_key, "[REDACTED:api_key]")
    return redact_text(text[:500])[0]


def _error_message(body: bytes) -> str:
    try:
        error = json.loads(body.decode("utf-8")).get("error")
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return ""
    if isinstance(error, dict):
        return " ".join(str(error.get(k)) for k in ("type", "code", "message") if error.get(k))
    return str(error or "")


def _answer(body: bytes, model: str, messages: list[dict[str, str]]) -> ChatAnswer:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ChatError("malformed", f"body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ChatError("malformed", "body is not a JSON object")
    usage = _usage(data.get("usage"), messages, "")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise ChatError("empty", "no choices in the answer", usage=usage)
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str) or not content.strip():
        raise ChatError("empty", "the first choice has no content", usage=usage)
    return ChatAnswer(
        content=content,
        usage=_usage(data.get("usage"), messages, content),
        model=str(data.get("model") or model),
    )


def _usage(usage: object, messages: list[dict[str, str]], content: str) -> dict[str, int]:
    """The endpoint's token counts; an estimate (4 characters a token) when it sends none."""
    if isinstance(usage, dict):
        try:
            prompt = int(usage.get("prompt_tokens") or 0)
            completion = int(usage.get("completion_tokens") or 0)
            total = int(usage.get("total_tokens") or prompt + completion)
            if total > 0:
                return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}
        except (TypeError, ValueError):
            pass
    prompt = sum(len(m.get("content") or "") for m in messages) // 4 + 1
    completion = len(content) // 4
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "estimated": 1,
    }
