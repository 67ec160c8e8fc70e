"""A small load generator: pre-built HTTP/1.1 requests over raw asyncio sockets.

Raw sockets rather than an HTTP client library so that the generator spends as little as
possible of the machine's two cores: the server is what is measured. Closed loop: each of
`concurrency` connections sends its next request as soon as the previous answer is read,
reconnecting whenever the server closes the connection.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field


@dataclass
class Reply:
    index: int  # position in the sending order
    status: int
    latency: float  # seconds, connect included when the request needed a new connection
    body: dict = field(default_factory=dict)
    error: str = ""


async def _read_reply(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "connection" and value.strip().lower() == "close":
            close = True
    body = await reader.readexactly(length) if length else b""
    return status, close, body


async def _connection(host: str, port: int, requests: list[bytes], queue: asyncio.Queue,
                      replies: list[Reply], timeout: float) -> None:
    reader = writer = None
    while True:
        try:
            index = queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
            writer.write(requests[index])
            status, close, body = await asyncio.wait_for(_read_reply(reader), timeout)
            latency = time.perf_counter() - started
            try:
                parsed = json.loads(body) if body else {}
            except ValueError:
                parsed = {}
            replies[index] = Reply(index, status, latency, parsed)
            if close:
                writer.close()
                reader = writer = None
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            replies[index] = Reply(index, 0, time.perf_counter() - started, error=repr(exc))
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _send_all(host: str, port: int, requests: list[bytes], concurrency: int,
                    timeout: float) -> list[Reply]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(requests)):
        queue.put_nowait(index)
    replies: list[Reply] = [None] * len(requests)  # type: ignore[list-item]
    await asyncio.gather(*(_connection(host, port, requests, queue, replies, timeout)
                           for _ in range(concurrency)))
    return replies


def send_all(host: str, port: int, requests: list[bytes], *, concurrency: int = 32,
             timeout: float = 30.0) -> tuple[list[Reply], float, float]:
    """Send every request; the replies in sending order, and the wall-clock start and end."""
    started = time.time()
    replies = asyncio.run(_send_all(host, port, requests, concurrency, timeout))
    return replies, started, time.time()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
