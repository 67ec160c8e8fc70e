import os

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


def test_the_policy_page_follows_the_policy_file(client, users, edit_policy):
    edit_policy(
        ("production-changes-need-an-owner", "production-changes-wait-for-the-migration"),
        ("error_rate: {1: 0.05, 2: 0.25}", "error_rate: {1: 0.02, 2: 0.25}"),
    )
    client.force_login(users["olivia"])
    page = client.get(reverse("desk:policy")).content.decode()
    assert "production-changes-wait-for-the-migration" in page
    assert "production-changes-need-an-owner" not in page
    assert "error rate at or above 2% (tier 1), 25% (tier 2)" in page


def test_an_edit_that_does_not_validate_is_shown_and_the_last_good_policy_stays(client, users, edit_policy):
    path = edit_policy(("production-changes-need-an-owner", "production-changes-wait-for-the-migration"))
    client.force_login(users["olivia"])
    assert "production-changes-wait-for-the-migration" in client.get(reverse("desk:policy")).content.decode()
    text = path.read_text().replace("    approvals_at_sev1: 2", "    aprovals_at_sev1: 2")
    path.write_text(text)
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))

    page = client.get(reverse("desk:policy")).content.decode()

    assert "The latest edit of the policy file was not taken" in page
    assert "actions.rollback.aprovals_at_sev1: unknown key" in page
    assert "production-changes-wait-for-the-migration" in page
