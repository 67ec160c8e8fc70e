"""python manage.py replay FILE... [--json]: replay scenarios through the real pipeline."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from incidentdesk.replay import isolation
from incidentdesk.replay.harness import replay_scenario
from incidentdesk.replay.scenario import ScenarioError, scenario_load


class Command(BaseCommand):
    help = "Replay incident scenarios (incidentdesk.scenario/v1) and print their packets."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--json", action="store_true", help="print the packet JSON (else the plain text)")

    def handle(self, *args, files: list[Path], **options):
        as_json = options["json"]
        if not isolation.is_isolated():
            argv = ["replay", *map(str, files)] + (["--json"] if as_json else [])
            sys.exit(isolation.run_isolated(argv))
        try:
            scenarios = [scenario_load(path) for path in files]
            isolation.prepare_database()
            packets = []
            for scenario in scenarios:
                isolation.reset_between_scenarios()
                packets.append(replay_scenario(scenario))
        except ScenarioError as exc:
            sys.stderr.write(f"replay: {exc}\n")
            sys.exit(2)
        except Exception as exc:  # one line for the operator; the log above has the details
            sys.stderr.write(f"replay: failed: {type(exc).__name__}: {exc}\n")
            sys.exit(3)
        if as_json:
            document = packets[0] if len(packets) == 1 else packets
            self.stdout.write(_dumps(document))
        else:
            self.stdout.write("\n\n".join(p.get("text", "") for p in packets))


def _dumps(document) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)
