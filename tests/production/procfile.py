"""The desk's processes: the Procfile's commands, and a process started in its own process group
with its output in a log file, waited for and stopped (by bin/smoke and the benchmarks)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class ProcessFailed(RuntimeError):
    """A process exited, or did not become ready in time; the message ends with its output's tail."""


def procfile_commands(path: Path = ROOT / "Procfile") -> dict[str, str]:
    commands = {}
    for line in path.read_text().splitlines():
        name, colon, command = line.partition(":")
        if colon and name.strip() and not name.startswith("#"):
            commands[name.strip()] = command.strip()
    return commands


def worker_command(*, pool: str, concurrency: int, name: str) -> list[str]:
    """A Celery worker of this interpreter's venv, named, without the chatter between workers."""
    return [sys.executable, "-m", "celery", "-A", "incidentdesk", "worker", "--loglevel=INFO",
            f"--pool={pool}", f"--concurrency={concurrency}", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "-n", f"{name}@%h"]


class DeskProcess:
    """A command (a list, or a Procfile line run by the shell) whose children stop with it."""

    def __init__(self, name: str, command: list[str] | str, *, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.args = ["sh", "-c", f"exec {command}"] if isinstance(command, str) else command
        self.env = env
        self.log = log
        self.log_start = 0
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> DeskProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log_start = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def output(self, since: int | None = None) -> str:
        """What it logged since it started (the log file may be shared with earlier processes)."""
        with open(self.log, "rb") as log:
            log.seek(self.log_start if since is None else since)
            return log.read().decode(errors="replace")

    def tail(self, chars: int = 3000) -> str:
        return self.output()[-chars:]

    def check_running(self) -> None:
        if self.process.poll() is not None:
            raise ProcessFailed(f"{self.name} exited with status {self.process.returncode}; "
                                f"its output ({self.log}) ends:\n{self.tail()}")

    def wait_for_output(self, pattern: str, timeout: float = 30) -> None:
        """Until its output matches the regular expression `pattern`."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.output()):
            self.check_running()
            if time.monotonic() > deadline:
                raise ProcessFailed(f"{self.name} did not log {pattern!r} in {timeout:.0f} s; "
                                    f"its output ({self.log}) ends:\n{self.tail()}")
            time.sleep(0.2)

    def wait_http(self, url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.check_running()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ProcessFailed(f"{self.name} did not answer {url} in {timeout:.0f} s; "
                                    f"its output ({self.log}) ends:\n{self.tail()}")
            time.sleep(0.2)

    def stop(self, timeout: float = 20) -> None:
        stop_all([self], timeout)


def stop_all(processes: Iterable[DeskProcess], timeout: float = 20) -> None:
    """SIGTERM to every process group at once; SIGKILL to a group whose leader has not exited after
    `timeout`, and to whatever of a group outlived its leader."""
    started = [p for p in processes if p.process is not None]
    for p in started:
        _signal_group(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for p in started:
        try:
            p.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        _signal_group(p.pid, signal.SIGKILL)
        p.process.wait()


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass
