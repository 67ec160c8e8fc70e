"""The embedded database (SQLite in a file) holds concurrent approve clicks: no 500, one action."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_concurrent_clicks_on_the_embedded_database_approve_and_run_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TEST_SQLITE_FILE"] = str(tmp_path / "clicks.sqlite3")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/approvals/test_exactly_once.py", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout and "skipped" not in result.stdout
