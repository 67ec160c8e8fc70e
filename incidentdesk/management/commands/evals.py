"""python manage.py evals [DIR...] [--min-pass PERCENT] [--with-model]: replay and score every scenario."""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incidentdesk.evals.scorecard import Scorecard, regressions
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
        parser.add_argument("--with-model", action="store_true",
                            help="also replay with the language-model step on (LLM_BASE_URL) and fail if it "
                                 "turns any passing scenario into a failing one")

    def handle(self, *args, dirs: list[Path], min_pass: float, with_model: bool = False, **options):
        dirs = dirs or default_dirs()
        if with_model and not settings.LLM_BASE_URL:
            raise CommandError("--with-model needs LLM_BASE_URL (and LLM_MODEL): a chat completions endpoint")
        if not isolation.is_isolated():
            flags = ["--with-model"] if with_model else []
            sys.exit(isolation.run_isolated(["evals", *map(str, dirs), "--min-pass", str(min_pass), *flags]))
        files = sorted(p for d in dirs for p in Path(d).glob("*.json"))
        if not files:
            raise CommandError(f"no scenario files in {', '.join(map(str, dirs))}")
        isolation.prepare_database()
        card = Scorecard()
        card_model = Scorecard(with_model=True) if with_model else None
        for path in files:
            try:
                scenario = scenario_load(path)
            except ScenarioError as exc:
                card.add_error(path.name, str(exc))
                if card_model:
                    card_model.add_error(path.name, str(exc))
                continue
            card.add(path.name, scenario)
            if card_model:
                card_model.add(path.name, scenario)
        self.stdout.write(card.render())
        if card_model:
            self._compare(card, card_model)
        if card.pass_rate * 100 < min_pass:
            sys.stderr.write(f"evals: {card.pass_rate:.0%} passed, below the required {min_pass:g}%\n")
            sys.exit(1)

    def _compare(self, card: Scorecard, card_model: Scorecard) -> None:
        worse = regressions(card, card_model)
        total = len(card.results)
        self.stdout.write(f"With the model ({settings.LLM_MODEL}):\n{card_model.render()}")
        self.stdout.write(f"Without the model: {sum(r.passed for r in card.results)}/{total} passed")
        self.stdout.write(f"With the model:    {sum(r.passed for r in card_model.results)}/{total} passed")
        if worse:
            self.stdout.write(f"Worse with the model: {', '.join(worse)}")
            sys.stderr.write(f"evals: the model turned {len(worse)} passing scenario(s) into failures\n")
            sys.exit(1)
        self.stdout.write("Worse with the model: none")
