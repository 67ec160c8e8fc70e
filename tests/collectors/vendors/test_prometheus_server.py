"""PrometheusMetrics against a real Prometheus holding backfilled history.

Needs Debian's `prometheus` package (which ships `prometheus` and `promtool`); skips without it.
"""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from collectors.base import Scope, ServiceRef
from collectors.vendors.prometheus import DEFAULT_QUERIES, PrometheusMetrics
from incidentdesk.http import Deadline

SAMPLE_EVERY = 15  # seconds between backfilled samples
TOTAL_RATE = 10.0  # requests per second, before and after the step
ERRORS_BEFORE = 0.01
ERRORS_AFTER = 0.20


def _binary(name: str) -> str | None:
    path = Path("/usr/bin") / name
    return str(path) if path.exists() else shutil.which(name)


PROMETHEUS = _binary("prometheus")
PROMTOOL = _binary("promtool")

pytestmark = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None,
    reason="needs a real Prometheus: apt-get install -y prometheus (for /usr/bin/prometheus and promtool)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _openmetrics(first: int, last: int, step_at: int) -> str:
    """Request counters for `checkout` whose 5xx share steps from 1% to 20% at `step_at`."""
    lines = ["# TYPE http_requests counter", "# HELP http_requests Requests served."]
    for code in ("200", "500"):
        total = 0.0
        for at in range(first, last + 1, SAMPLE_EVERY):
            share = ERRORS_BEFORE if at <= step_at else ERRORS_AFTER
            rate = TOTAL_RATE * (share if code == "500" else 1 - share)
            total += rate * SAMPLE_EVERY
            lines.append(f'http_requests_total{{service="checkout",code="{code}"}} {total:.1f} {at}')
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@pytest.fixture
def history(tmp_path: Path) -> dict:
    now = int(time.time())
    first = now - 2 * 3600
    first -= first % SAMPLE_EVERY
    step_at = now - 3600
    step_at -= step_at % SAMPLE_EVERY
    last = now - 30
    source = tmp_path / "history.om"
    source.write_text(_openmetrics(first, last, step_at))
    data_dir = tmp_path / "data"
    subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data_dir)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return {"first": first, "step_at": step_at, "last": last, "data_dir": data_dir}


@pytest.fixture
def prometheus(tmp_path: Path, history: dict) -> Iterator[str]:
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    port = _free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    server = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={history['data_dir']}",
            "--storage.tsdb.retention.time=10y",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, server, tmp_path / "prometheus.log")
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        log.close()


def _wait_ready(base: str, server: subprocess.Popen, log: Path) -> None:
    limit = time.monotonic() + 15
    while time.monotonic() < limit:
        if server.poll() is not None:
            pytest.fail(f"prometheus exited with {server.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/-/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"prometheus was not ready within 15 s:\n{log.read_text()[-2000:]}")


def test_the_default_error_rate_query_shows_the_backfilled_step_at_the_right_time(prometheus, history):
    start = datetime.fromtimestamp(history["first"] + 600, tz=timezone.utc)
    end = datetime.fromtimestamp(history["last"], tz=timezone.utc)
    scope = Scope(run_id=1, service="checkout", services=(ServiceRef(name="checkout"),), start=start, end=end)
    connector = PrometheusMetrics(
        prometheus,
        queries={
            "error_rate": DEFAULT_QUERIES["error_rate"],
            "requests_per_s": DEFAULT_QUERIES["requests_per_s"],
        },
    )

    # Backfilled blocks are loaded as the server opens its storage; poll in case they come late.
    limit = time.monotonic() + 10
    while True:
        fetched = connector.fetch(scope, deadline=Deadline.after(10))
        if all(r.data["points"] for r in fetched.records) and len(fetched.records) == 2:
            break
        assert time.monotonic() < limit, f"no backfilled points were served: {fetched}"
        time.sleep(0.5)

    by_name = {r.data["name"]: r for r in fetched.records}
    errors = by_name["error_rate"]
    assert errors.service == "checkout"
    assert errors.data["source"] == "prometheus"
    assert errors.data["step_seconds"] == 60

    step_at = history["step_at"]
    window = 5 * 60  # the default queries' rate() range
    points = [
        (datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp(), v) for t, v in errors.data["points"]
    ]
    before = [v for t, v in points if t <= step_at]
    after = [v for t, v in points if t >= step_at + window + SAMPLE_EVERY]
    assert len(before) > 30 and len(after) > 30
    assert all(v == pytest.approx(ERRORS_BEFORE, rel=1e-3) for v in before)
    assert all(v == pytest.approx(ERRORS_AFTER, rel=1e-3) for v in after)
    first_high = next(t for t, v in points if v > (ERRORS_BEFORE + ERRORS_AFTER) / 2)
    assert step_at < first_high <= step_at + window

    rates = [v for _, v in by_name["requests_per_s"].data["points"]]
    assert all(v == pytest.approx(TOTAL_RATE, rel=1e-3) for v in rates)
