"""`manage.py seed_demo` as `bin/demo` runs it: runs that just happened, live proposals, a curl that works."""

import io
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command

from approvals.models import ActionProposal
from incidentdesk import clock
from incidentdesk.models import AuditEntry, Run
from incidentdesk.replay.demo import SEEDED, DemoState
from incidentdesk.services.intake import SOURCES

ROOT = Path(__file__).resolve().parent.parent
OURS = ROOT / "tests" / "scenarios"
WALK = "several-deploys-1-matchmaking-bucket-panic.json"


@pytest.fixture
def one_scenario(tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(OURS / WALK, folder / WALK)
    return folder


def test_bin_demo_gives_every_webhook_source_its_demo_secret():
    script = (ROOT / "bin" / "demo").read_text()
    listed = re.search(r"for source in ([a-z ]+); do", script).group(1).split()
    assert sorted(listed) == sorted(SOURCES)
    assert 'export "$name=demo-hook-$source"' in script


@pytest.mark.django_db(transaction=True)
def test_the_runs_happened_just_before_the_start_and_their_proposals_can_be_approved(
    settings, one_scenario, monkeypatch
):
    settings.DEBUG = True
    monkeypatch.setenv("HOOK_SECRET_GENERIC", "demo-hook-generic")
    printed = io.StringIO()
    call_command("seed_demo", dir=one_scenario, password="pw", addr="127.0.0.1:8021", stdout=printed)

    now = clock.now()
    run = Run.objects.get(service__name="matchmaking-api")
    assert now - timedelta(minutes=2) < run.created_at < now
    rollback = ActionProposal.objects.get(run=run, action="rollback")
    assert rollback.expires_at > now + timedelta(minutes=55)
    assert AuditEntry.objects.filter(action=SEEDED).count() == 1
    text = printed.getvalue()
    assert "Incident desk demo: http://127.0.0.1:8021/" in text
    assert "curl -sS http://127.0.0.1:8021/hooks/generic/ -H 'Authorization: Bearer demo-hook-generic'" in text

    again = io.StringIO()
    call_command("seed_demo", dir=one_scenario, password="pw", stdout=again)
    assert "Demo data already there: kept." in again.getvalue()
    assert Run.objects.count() == 1


def test_a_seeding_cut_short_is_stale_as_are_expired_proposals():
    now = clock.now()
    assert DemoState(seeded_at=now, open_until=now + timedelta(hours=1), complete=False).stale
    assert DemoState(seeded_at=now, open_until=now - timedelta(seconds=1), complete=True).stale
    assert not DemoState(seeded_at=now, open_until=now + timedelta(hours=1), complete=True).stale


def test_a_start_after_the_proposals_expired_seeds_afresh(tmp_path, one_scenario):
    database = tmp_path / "demo.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOOK_SECRET_", "DJANGO_SETTINGS"))}
    env.update({"DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{database}", "REDIS_URL": "",
                "DJANGO_SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING"})
    command = [sys.executable, "manage.py", "seed_demo", "--dir", str(one_scenario), "--password", "pw",
               "--start-over-when-stale"]

    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(database) as db:  # two hours pass
        db.execute("UPDATE incidentdesk_run SET created_at = datetime(created_at, '-2 hours')")

    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "Starting the demo over: its proposals expired at" in second.stdout
    assert "can be approved until" in second.stdout
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM incidentdesk_run WHERE created_at < datetime('now', '-1 hour')"
                          ).fetchone() == (0,)


@pytest.mark.django_db(transaction=True)
def test_a_few_runs_are_resolved_with_confirmed_causes_and_the_walks_run_is_not(settings, tmp_path, monkeypatch):
    from incidentdesk.models import ConfirmedCause

    settings.DEBUG = True
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for path in [OURS / WALK, *sorted(OURS.glob("real-*.json"))[:4]]:
        shutil.copy(path, folder / path.name)
    printed = io.StringIO()
    call_command("seed_demo", dir=folder, password="pw", stdout=printed)

    confirmed = list(ConfirmedCause.objects.select_related("run"))
    assert confirmed and all(c.run.status == Run.Status.RESOLVED for c in confirmed)
    assert not ActionProposal.objects.filter(run__in=[c.run for c in confirmed]).exists()
    assert Run.objects.get(service__name="matchmaking-api").status == Run.Status.OPEN
    assert re.search(r"\d+ runs resolved by their on-call with a confirmed cause \(\d+ the desk got wrong\)",
                     printed.getvalue())
