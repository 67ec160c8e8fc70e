"""python manage.py seed_demo: demo runs from the desk's replay scenarios, replayed into this database.

For a first look only: it loads each scenario's catalog and pushes its trigger through the
webhook view with the scenario answering every source, then sets a password for every
catalog user so the pages can be tried. Refuses to run unless DJANGO_DEBUG is on.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError

from incidentdesk.models import Run
from incidentdesk.replay.harness import replay_scenario
from incidentdesk.replay.scenario import ScenarioError, scenario_load

DEMO_DIR = Path(settings.BASE_DIR) / "tests" / "scenarios"


class Command(BaseCommand):
    help = "Fill a development database with demo runs (DJANGO_DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=DEMO_DIR)
        parser.add_argument("--password", required=True, help="password given to every demo user")

    def handle(self, *args, dir: Path, password: str, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DJANGO_DEBUG=1")
        if Run.objects.exists():
            self.stdout.write("demo data already there; nothing to do")
        else:
            for path in sorted(dir.glob("*.json")):
                try:
                    packet = replay_scenario(scenario_load(path))
                except ScenarioError as exc:
                    self.stderr.write(f"skipped {path.name}: {exc}")
                    continue
                self.stdout.write(f"run {packet['run_id']}: {packet['service']} {packet['severity']} ({path.name})")
        admin, _ = get_user_model().objects.get_or_create(username="admin", defaults={"is_staff": True, "is_superuser": True})
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
        # One hash for every demo user: hashing the same password once per user cost a minute.
        get_user_model().objects.update(password=make_password(password))
        names = ", ".join(sorted(u.username for u in get_user_model().objects.all()))
        self.stdout.write(f"demo users ({names}) sign in with the password given; 'admin' reaches /admin/")
