"""Every page: anonymous → sign-in, any signed-in person → the page, a missing object → 404,
HX-Request → the refreshing region only, and nothing but GET."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PERSONAS = ["olivia", "bob", "charlie", "alice"]  # no team, two other teams, the owning team


def _url(name: str, run) -> str:
    return {
        "history": reverse("runs:history"),
        "run": reverse("runs:detail", args=[run.pk]),
        "run_audit": reverse("runs:audit", args=[run.pk]),
        "audit": reverse("desk:audit"),
        "policy": reverse("desk:policy"),
        "services": reverse("services:index"),
        "service": reverse("services:detail", args=[run.service.name]),
    }[name]


PAGES = ["history", "run", "run_audit", "audit", "policy", "services", "service"]
MISSING = {
    "run": lambda: reverse("runs:detail", args=[999_999]),
    "run_audit": lambda: reverse("runs:audit", args=[999_999]),
    "service": lambda: reverse("services:detail", args=["no-such-service"]),
}
# The region each page refreshes under htmx: (id of the region, text only the full page has).
PARTIALS = {
    "history": ('id="results"', 'role="search"'),
    "run": ('id="live"', "Similar past incidents"),
    "run_audit": ('id="entries"', "Chain verified"),
    "audit": ('id="entries"', "Chain verified"),
}


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, finished, page):
    url = _url(page, finished)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", PAGES)
def test_every_signed_in_person_reads_every_page(client, users, finished, page, persona):
    client.force_login(users[persona])
    response = client.get(_url(page, finished))
    assert response.status_code == 200
    assert b"<html" in response.content
    assert persona.encode() in response.content  # the header names who is signed in


@pytest.mark.parametrize("page", sorted(MISSING))
def test_a_missing_object_is_a_404(client, users, page):
    client.force_login(users["alice"])
    assert client.get(MISSING[page]()).status_code == 404


@pytest.mark.parametrize("page", sorted(PARTIALS))
def test_htmx_requests_get_the_region_only(client, users, finished, page):
    client.force_login(users["alice"])
    response = client.get(_url(page, finished), headers={"HX-Request": "true"})
    region, full_page_only = PARTIALS[page]
    assert response.status_code in (200, 286)
    body = response.content.decode()
    assert region in body
    assert "<html" not in body and full_page_only not in body


@pytest.mark.parametrize("page", PAGES)
def test_pages_answer_only_get(client, users, finished, page):
    client.force_login(users["alice"])
    assert client.post(_url(page, finished)).status_code == 405
