import pytest
from django.contrib.auth import get_user_model

from incidentdesk.models import Service, Team
from incidentdesk.services.catalog import CatalogError, catalog_load
from tests.conftest import CATALOG

pytestmark = pytest.mark.django_db


def test_loading_the_same_catalog_twice_changes_nothing():
    first = catalog_load(catalog=CATALOG)
    second = catalog_load(catalog=CATALOG)
    assert first.changed
    assert not second.changed, second.updated
    assert Service.objects.count() == 4 and Team.objects.count() == 3


def test_it_grants_approval_to_the_owning_team_only_and_moves_it_with_the_owner():
    catalog_load(catalog=CATALOG)
    users = get_user_model().objects
    service = Service.objects.get(name="checkout-api")
    assert users.get(username="alice").has_perm("incidentdesk.approve_action", service)
    assert not users.get(username="bob").has_perm("incidentdesk.approve_action", service)
    moved = {**CATALOG, "services": [dict(s, team="payments-core") if s["name"] == "checkout-api" else s
                                     for s in CATALOG["services"]]}
    catalog_load(catalog=moved)
    service.refresh_from_db()
    alice, bob = users.get(username="alice"), users.get(username="bob")
    assert bob.has_perm("incidentdesk.approve_action", service)
    assert not alice.has_perm("incidentdesk.approve_action", service)


def test_aliases_and_repos_name_the_service():
    catalog_load(catalog=CATALOG)
    names = set(Service.objects.get(name="checkout-api").alias_set.values_list("name", flat=True))
    assert {"checkout-api", "checkout", "pchkout", "acme/checkout"} <= names


def test_a_service_of_an_unknown_team_is_refused():
    with pytest.raises(CatalogError, match="not in the catalog"):
        catalog_load(catalog={"teams": [], "services": [{"name": "x", "team": "ghosts"}]})
