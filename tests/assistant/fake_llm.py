"""A local OpenAI-compatible chat completions endpoint for tests and local runs.

`FakeLLM` serves POST /v1/chat/completions on 127.0.0.1 from a thread and records every request.
Its `reply` decides each answer; the default `cited_reply` reads the data block and writes a
cited summary, a verbatim runbook quote, a clearer next action, and a few statements the guard
must drop. Run it alone with `python -m tests.assistant.fake_llm --port 8765`.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from incidentdesk.assistant.prompt import data_in


@dataclass
class Reply:
    status: int = 200
    body: object = None  # dict, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def completion(content: str, *, model: str = "fake-model", usage: dict | None = None) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": usage or {"prompt_tokens": 900, "completion_tokens": 120, "total_tokens": 1020},
    }


def api_error(
    status: int, message: str, kind: str, code: str | None = None, headers: dict | None = None
) -> Reply:
    return Reply(status, {"error": {"message": message, "type": kind, "code": code}}, headers or {})


def cited_reply(request: dict) -> Reply:
    """A well-behaved answer built from the data block, plus statements that must not survive."""
    data = data_in(request["messages"])
    analysis = data["analysis"]
    summary, actions = [], []
    for signal in analysis["signals"][:2]:
        summary.append(f"{signal['text']} [{', '.join(signal['evidence'])}].")
    for action in analysis["next_actions"][:2]:
        actions.append(f"{action['text']} [{', '.join(action['evidence'])}].")
    any_id = (data["evidence"] or [{"id": "E1"}])[0]["id"]
    summary += [
        "The error rate went up after the change.",  # uncited
        f"The root cause is definitely known [{any_id}].",
        f"Roll back now [{any_id}].",
        "This rests on evidence [E999999].",
    ]
    runbook = []
    for book in data["runbooks"][:1]:
        for section in book["sections"]:
            sentence = section["text"].split("\n")[0].strip()
            if len(sentence) >= 20 and "[REDACTED" not in sentence:
                runbook.append(
                    {"heading": section["heading"], "quote": sentence, "evidence": [book["evidence"]]}
                )
                break
        runbook.append(
            {
                "heading": "Invented heading",
                "quote": "Always restart everything.",
                "evidence": [book["evidence"]],
            }
        )
    return Reply(
        body=completion(json.dumps({"summary": summary, "runbook": runbook, "next_actions": actions}))
    )


class FakeLLM:
    def __init__(self, reply: Callable[[dict], Reply] = cited_reply, port: int = 0) -> None:
        self.reply = reply
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    body = {"unreadable": raw.decode(errors="replace")}
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                if self.path.rstrip("/") != "/v1/chat/completions":
                    answer = api_error(404, f"no route {self.path}", "invalid_request_error")
                else:
                    answer = fake.reply(body)
                if answer.delay:
                    time.sleep(answer.delay)
                payload = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting, which is what a timeout test wants

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="a local fake chat completions endpoint")
    parser.add_argument("--port", type=int, default=8765)
    port = parser.parse_args().port
    with FakeLLM(port=port) as fake:
        print(f"LLM_BASE_URL={fake.base_url} LLM_MODEL=fake-model", flush=True)
        try:
            fake.thread.join()
        except KeyboardInterrupt:
            pass
