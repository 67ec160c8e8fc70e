"""Sources that misbehave: one that never answers, one that answers 10 MB, one that answers bytes
that are not UTF-8. Each is a real connector (Prometheus) pointed at a local server; the deadline
holds, the answer is capped, and the run gets a gap instead of a crash."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from incidentdesk import clock
from incidentdesk.http import MAX_BODY_BYTES
from incidentdesk.models import Evidence, Run, Service, SourceCollection
from incidentdesk.services.collection import collection_maybe_complete, collection_start, source_collect

pytestmark = pytest.mark.django_db


@contextmanager
def raw_server(answer) -> Iterator[tuple[str, list[socket.socket]]]:
    """A TCP server on 127.0.0.1; `answer(conn)` is called for each connection, in its own thread."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            accepted.append(conn)
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join(2)
        for conn in accepted:
            conn.close()
        listener.close()


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk


def never_answers(conn: socket.socket) -> None:
    _read_request(conn)
    time.sleep(3600)  # holds the connection open: no status line, ever


def answers_with(body: bytes, *, declare_length: bool = True):
    def answer(conn: socket.socket) -> None:
        try:
            _read_request(conn)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            head += f"Content-Length: {len(body)}\r\n".encode() if declare_length else b"Connection: close\r\n"
            conn.sendall(head + b"\r\n" + body)
        except OSError:
            pass  # the client gave up reading, as it should
        finally:
            conn.close()

    return answer


@pytest.fixture
def prometheus_at(monkeypatch, settings, catalog):
    """Point the metrics source at `url`, then open a run collecting from it.

    Which sources are configured is decided when the run's collection starts.
    """
    settings.COLLECT_SOURCE_DEADLINE_SECONDS = 2.0

    def point(url: str) -> Run:
        monkeypatch.setenv("PROMETHEUS_URL", url)
        now = clock.now()
        run = Run.objects.create(
            title="checkout-api 5xx > 5%", service=Service.objects.get(name="checkout-api"),
            trigger_source="generic", triggered_at=now, first_seen_at=now, last_event_at=now,
        )
        collection_start(run=run)  # inside the test's transaction: nothing is enqueued
        return run

    return point


def test_a_source_that_never_answers_is_cut_at_its_deadline_and_recorded_as_a_gap(prometheus_at):
    with raw_server(never_answers) as (url, accepted):
        collecting_run = prometheus_at(url)
        started = time.monotonic()
        outcome = source_collect(run_id=collecting_run.pk, source="metrics")
        elapsed = time.monotonic() - started
    assert accepted, "the connector never reached the hanging server"
    assert elapsed < 2.0 + 1.5, f"the 2 s deadline did not hold: {elapsed:.1f} s"
    assert outcome == "gap: timeout"
    metrics = SourceCollection.objects.get(run=collecting_run, source="metrics")
    assert metrics.state == SourceCollection.State.FAILED and metrics.reason == "timeout"
    assert not Evidence.objects.filter(run=collecting_run, source="metrics").exists()


def test_a_run_with_a_hanging_source_still_gets_a_packet_that_names_the_gap(prometheus_at):
    with raw_server(never_answers) as (url, _):
        collecting_run = prometheus_at(url)
        for source in ("metrics", "logs", "deploys"):
            source_collect(run_id=collecting_run.pk, source=source)
    collection_maybe_complete(run_id=collecting_run.pk, deadline_passed=True)
    packet = collecting_run.packets.order_by("-version").first()
    gaps = {g["source"]: g["reason"] for g in packet.data["gaps"]}
    assert gaps["metrics"] == "timeout"
    assert Run.objects.get(pk=collecting_run.pk).collection == Run.Collection.DONE


@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "streamed"])
def test_a_ten_megabyte_answer_is_refused_at_the_cap_without_reading_it_all(prometheus_at,
                                                                             declare_length):
    huge = b'{"status":"success","data":{"resultType":"matrix","result":[' + b" " * (10 * 1024 * 1024) + b"]}}"
    with raw_server(answers_with(huge, declare_length=declare_length)) as (url, _):
        collecting_run = prometheus_at(url)
        outcome = source_collect(run_id=collecting_run.pk, source="metrics")
    metrics = SourceCollection.objects.get(run=collecting_run, source="metrics")
    assert outcome == "gap: malformed"
    assert metrics.state == SourceCollection.State.FAILED
    assert f"{MAX_BODY_BYTES}-byte cap" in metrics.detail
    assert not Evidence.objects.filter(run=collecting_run, source="metrics").exists()


def test_an_answer_that_is_not_utf8_becomes_a_malformed_gap(prometheus_at):
    garbage = b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"service":"\xff\xfe\xc3"}}]}}'
    with raw_server(answers_with(garbage)) as (url, _):
        collecting_run = prometheus_at(url)
        outcome = source_collect(run_id=collecting_run.pk, source="metrics")
    metrics = SourceCollection.objects.get(run=collecting_run, source="metrics")
    assert outcome == "gap: malformed"
    assert metrics.reason == "malformed" and "not JSON" in metrics.detail
