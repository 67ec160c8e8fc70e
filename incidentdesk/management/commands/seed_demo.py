"""python manage.py seed_demo: demo runs from the desk's replay scenarios, replayed into this database.

For a first look only: it makes the database's tables, replays each scenario (its catalog, its
trigger through the webhook view, every source answered from the scenario) moved in time so that
the runs happened just before now, sets one password for every catalog user, and says how to use
the demo: where, as whom, and a `curl` for a generic webhook. Refuses to run unless DJANGO_DEBUG is on.
"""

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from incidentdesk import clock
from incidentdesk.causes import Verdict
from incidentdesk.envsecret import env_secrets
from incidentdesk.models import Team
from incidentdesk.replay.demo import (
    demo_replay,
    demo_resolved_runs,
    demo_seeded_mark,
    demo_state,
    generic_hook_curl,
    webhook_service,
)
from incidentdesk.services.intake import hook_secret_name
from incidentdesk.services.resolution import causes_confirm_for_demo

DEMO_DIR = Path(settings.BASE_DIR) / "tests" / "scenarios"
# The people of the README's walk: an owner who may approve a rollback, and someone who may not.
WALK_USERS = ("ruth", "camille")


class Command(BaseCommand):
    help = "Fill a development database with demo runs that have just happened (DJANGO_DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=DEMO_DIR)
        parser.add_argument("--password", required=True, help="password given to every demo user")
        parser.add_argument("--addr", default="127.0.0.1:8000", help="where the demo is served, as runserver takes it")
        parser.add_argument(
            "--start-over-when-stale", action="store_true",
            help="when the seeded proposals have expired, or the seeding was cut short, delete this "
                 "SQLite database and seed it afresh",
        )

    def handle(self, *args, dir: Path, password: str, addr: str, start_over_when_stale: bool, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DJANGO_DEBUG=1")
        call_command("migrate", interactive=False, verbosity=0)
        state = demo_state()
        if state is not None and state.stale and start_over_when_stale:
            why = (f"its proposals expired at {_hhmm(state.open_until)}" if state.complete
                   else "its seeding was cut short")
            self.stdout.write(f"Starting the demo over: {why}.")
            _sqlite_delete()
            call_command("migrate", interactive=False, verbosity=0)
            state = None
        if state is None:
            self._seed(sorted(dir.glob("*.json")))
        else:
            self.stdout.write("Demo data already there: kept.")
        admin, _ = get_user_model().objects.get_or_create(username="admin", defaults={"is_staff": True, "is_superuser": True})
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
        # One hash for every demo user: hashing the same password once per user cost a minute.
        get_user_model().objects.update(password=make_password(password))
        self._explain(url=_url(addr), password=password)

    def _seed(self, paths: list[Path]) -> None:
        self.stdout.write(f"Seeding the demo: {len(paths)} scenarios, each moved to end just before now ", ending="")
        self.stdout.flush()
        if connection.vendor == "sqlite":
            # Not synced at every commit: a seeding cut short is started over anyway.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous = OFF")
        runs = 0
        for replayed in demo_replay(paths, start=clock.now()):
            if replayed.error:
                self.stderr.write(f"\nskipped {replayed.path.name}: {replayed.error}")
            else:
                runs += 1
            self.stdout.write(".", ending="")
            self.stdout.flush()
        self.stdout.write(" done.")
        confirmed = causes_confirm_for_demo(demo_resolved_runs())
        wrong = sum(1 for c in confirmed if c.verdict == Verdict.WRONG)
        self.stdout.write(f"{len(confirmed)} runs resolved by their on-call with a confirmed cause ({wrong} the desk got wrong).")
        demo_seeded_mark(scenarios=len(paths), runs=runs)

    def _explain(self, *, url: str, password: str) -> None:
        state = demo_state()
        lines = ["", f"Incident desk demo: {url}/", f"Sign in with the password {password!r} as:"]
        for name in WALK_USERS:
            teams = Team.objects.filter(group__user__username=name).order_by("name").values_list("name", flat=True)
            if teams:
                lines.append(f"  {name:<8} member of {', '.join(teams)}")
        lines.append(f"  {'admin':<8} staff: the admin too, at {url}/admin/")
        lines.append(f"  or any of the {get_user_model().objects.count()} users (their names are on the run pages).")
        if state:
            until = "expired at" if state.open_until <= clock.now() else "can be approved until"
            lines.append(
                f"The demo's incidents happened at {_hhmm(state.seeded_at)}; "
                f"their proposals {until} {_hhmm(state.open_until)}."
            )
            if not state.complete:
                lines.append("Its seeding was cut short: --start-over-when-stale seeds it afresh (bin/demo does).")
        secrets = env_secrets(hook_secret_name("generic"))
        service = webhook_service()
        if not secrets:
            lines.append(f"Webhooks: {hook_secret_name('generic')} is not set, so /hooks/generic/ refuses everything.")
        elif service:
            lines += [
                f"Post a generic webhook (a support spike on {service.name}, which has no run yet):",
                "  " + generic_hook_curl(base_url=url, secret=secrets[0], service=service.name),
            ]
        self.stdout.write("\n".join(lines) + "\n")


def _hhmm(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def _url(addr: str) -> str:
    host, _, port = addr.rpartition(":")
    if host in ("", "0.0.0.0", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def _sqlite_delete() -> None:
    database = settings.DATABASES["default"]
    name = str(database.get("NAME") or "")
    if database["ENGINE"] != "django.db.backends.sqlite3" or not name or name.startswith((":memory:", "file:")):
        raise CommandError("only a SQLite file can be started over: empty the database by hand")
    connections.close_all()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(name + suffix).unlink(missing_ok=True)
