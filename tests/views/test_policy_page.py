import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_policy_page_shows_every_rule_in_force_by_name(client, users):
    client.force_login(users["olivia"])
    page = client.get(reverse("desk:policy")).content.decode()
    for rule in ("reads-inside-service-scope", "posting-the-summary-is-allowed", "tickets-carry-source-links",
                 "production-changes-need-an-owner", "customer-communication-needs-an-owner"):
        assert rule in page
    assert "Needs an owner&#x27;s approval" in page or "Needs an owner's approval" in page
    assert "approvals at sev1: 2" in page


def test_the_policy_page_follows_the_policy_file(client, users, settings, tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("actions:\n  scale:\n    decision: deny\n    rule: no-scaling-during-the-migration\n")
    settings.DESK_POLICY_FILE = path
    client.force_login(users["olivia"])
    page = client.get(reverse("desk:policy")).content.decode()
    assert "no-scaling-during-the-migration" in page
    assert "production-changes-need-an-owner" not in page
