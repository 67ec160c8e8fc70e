"""python manage.py load_catalog FILE...: load teams and services from JSON or Backstage YAML."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incidentdesk.services.catalog import CatalogError, catalog_load
from incidentdesk.services.catalog_files import catalog_from_backstage


class Command(BaseCommand):
    help = "Load the service catalog from a JSON file (a scenario's `catalog` shape) or Backstage catalog-info.yaml files."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, files: list[Path], **options):
        yaml_files = [f for f in files if f.suffix in (".yaml", ".yml")]
        json_files = [f for f in files if f not in yaml_files]
        catalogs = []
        for path in json_files:
            try:
                data = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise CommandError(f"{path}: {exc}") from exc
            catalogs.append(data.get("catalog", data) if isinstance(data, dict) else data)
        if yaml_files:
            try:
                catalog, problems = catalog_from_backstage([p.read_text() for p in yaml_files])
            except OSError as exc:
                raise CommandError(str(exc)) from exc
            for problem in problems:
                self.stderr.write(f"skipped: {problem}")
            catalogs.append(catalog)
        for catalog in catalogs:
            try:
                changes = catalog_load(catalog=catalog)
            except CatalogError as exc:
                raise CommandError(str(exc)) from exc
            for problem in changes.problems:
                self.stderr.write(f"warning: {problem}")
            if changes.changed:
                self.stdout.write(f"created {len(changes.created)}, updated {len(changes.updated)}")
                for line in changes.created + changes.updated:
                    self.stdout.write(f"  {line}")
            else:
                self.stdout.write("no changes")
