"""python manage.py export_scenario RUN [--out FILE]: a stored run as a replay scenario."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incidentdesk.models import Run
from incidentdesk.replay.export import ExportError, scenario_export


class Command(BaseCommand):
    help = "Write a run as an incidentdesk.scenario/v1 file (stdout unless --out is given)."

    def add_arguments(self, parser):
        parser.add_argument("run", type=int, help="the run's number")
        parser.add_argument("--out", type=Path, help="file to write")

    def handle(self, *args, run: int, out: Path | None = None, **options):
        found = Run.objects.select_related("service", "service__team", "current_owner_team").filter(pk=run).first()
        if found is None:
            raise CommandError(f"no run {run}")
        try:
            scenario = scenario_export(found)
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        text = json.dumps(scenario, indent=1, ensure_ascii=False) + "\n"
        if out is None:
            self.stdout.write(text, ending="")
            return
        out.write_text(text)
        self.stderr.write(f"run {run} written to {out}")
