"""Replays run in a throwaway database, never in the desk's own.

A replay loads the scenario's catalog and opens runs; doing that in the production
database would rewrite its catalog. The command re-runs itself in a child process
whose DATABASE_URL points at an in-memory SQLite database.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group

from incidentdesk.models import Run, Service, Team, Trigger

MARKER = "INCIDENTDESK_REPLAY_DB"


def is_isolated() -> bool:
    return os.environ.get(MARKER) == "1"


def run_isolated(argv: list[str]) -> int:
    """Run `manage.py <argv>` in a child with a throwaway database; return its exit status."""
    with tempfile.TemporaryDirectory(prefix="incidentdesk-replay-") as tmp:
        env = dict(os.environ)
        env.update(
            {
                MARKER: "1",
                # In memory: the replay is one process and one thread, and nothing of it is kept.
                "DATABASE_URL": "sqlite://:memory:",
                "TMPDIR": tmp,
                "REDIS_URL": "",
                "CELERY_TASK_ALWAYS_EAGER": "1",
                "DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY") or "replay-only-" + os.urandom(16).hex(),
                "DJANGO_SECURE_SSL_REDIRECT": "0",
                "LOG_LEVEL": env.get("LOG_LEVEL", "WARNING"),
            }
        )
        manage = Path(settings.BASE_DIR) / "manage.py"
        return subprocess.call([sys.executable, str(manage), *argv], env=env)


def prepare_database() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def reset_between_scenarios() -> None:
    """Forget the previous scenario's runs and catalog (only ever in the throwaway database)."""
    if not is_isolated():
        raise RuntimeError("refusing to reset a database that is not a replay's own")
    Trigger.objects.all().delete()
    Run.objects.all().delete()
    Service.objects.all().delete()
    teams = list(Team.objects.values_list("group_id", flat=True))
    Team.objects.all().delete()
    Group.objects.filter(pk__in=teams).delete()
