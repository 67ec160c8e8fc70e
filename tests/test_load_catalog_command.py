import json

import pytest
from django.core.management import call_command

from incidentdesk.models import Service, Team
from tests.conftest import CATALOG

pytestmark = pytest.mark.django_db

BACKSTAGE = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: checkout-eng
  annotations:
    incidentdesk/oncall: alice
spec:
  type: team
  members: [alice, user:default/abe]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-api
  annotations:
    github.com/project-slug: acme/checkout
    pagerduty.com/service-id: PCHKOUT
    incidentdesk/tier: "1"
spec:
  type: service
  lifecycle: production
  owner: group:default/checkout-eng
  dependsOn: [resource:default/checkout-db]
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: checkout-db
spec:
  type: database
  owner: checkout-eng
---
kind: Component
metadata: {}
"""


def test_load_catalog_reads_json_and_a_second_load_changes_nothing(tmp_path, capsys):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(CATALOG))
    call_command("load_catalog", str(path))
    call_command("load_catalog", str(path))
    out = capsys.readouterr().out
    assert out.strip().endswith("no changes")
    assert Service.objects.count() == 4


def test_load_catalog_reads_backstage_entities(tmp_path, capsys):
    path = tmp_path / "catalog-info.yaml"
    path.write_text(BACKSTAGE)
    call_command("load_catalog", str(path))
    captured = capsys.readouterr()
    service = Service.objects.get(name="checkout-api")
    assert service.team.name == "checkout-eng" and service.tier == 1 and service.repo == "acme/checkout"
    assert list(service.depends_on.values_list("name", flat=True)) == ["checkout-db"]
    assert "pchkout" in service.aliases
    team = Team.objects.get(name="checkout-eng")
    assert team.oncall == "alice"
    assert set(team.group.user_set.values_list("username", flat=True)) == {"alice", "abe"}
    assert "without metadata.name" in captured.err
    call_command("load_catalog", str(path))
    assert capsys.readouterr().out.strip().endswith("no changes")
