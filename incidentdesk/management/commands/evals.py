"""python manage.py evals [DIR...] [--min-pass PERCENT]: replay every scenario and score its packet."""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incidentdesk.evals.scorecard import Scorecard
from incidentdesk.replay import isolation
from incidentdesk.replay.scenario import ScenarioError, scenario_load


def default_dirs() -> list[Path]:
    dirs = [Path(settings.BASE_DIR) / "tests" / "scenarios", Path(settings.BASE_DIR).parent / "shared" / "scenarios"]
    return [d for d in dirs if d.is_dir()]


class Command(BaseCommand):
    help = "Replay every scenario in the directories, score each packet against its expectations."

    def add_arguments(self, parser):
        parser.add_argument("dirs", nargs="*", type=Path)
        parser.add_argument("--min-pass", type=float, default=100.0,
                            help="percentage of scenarios that must pass (default 100)")

    def handle(self, *args, dirs: list[Path], min_pass: float, **options):
        dirs = dirs or default_dirs()
        if not isolation.is_isolated():
            sys.exit(isolation.run_isolated(["evals", *map(str, dirs), "--min-pass", str(min_pass)]))
        files = sorted(p for d in dirs for p in Path(d).glob("*.json"))
        if not files:
            raise CommandError(f"no scenario files in {', '.join(map(str, dirs))}")
        isolation.prepare_database()
        card = Scorecard()
        for path in files:
            try:
                scenario = scenario_load(path)
            except ScenarioError as exc:
                card.add_error(path.name, str(exc))
                continue
            card.add(path.name, scenario)
        self.stdout.write(card.render())
        if card.pass_rate * 100 < min_pass:
            sys.stderr.write(f"evals: {card.pass_rate:.0%} passed, below the required {min_pass:g}%\n")
            sys.exit(1)
