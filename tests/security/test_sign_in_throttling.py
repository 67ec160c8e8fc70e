"""Guessing passwords: after LOGIN_FAILURE_LIMIT failures the account is paused from that address
(and the address for every account), with a clear page; the right password does not get in then."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice", password="correct horse battery staple")


def sign_in(client: Client, username: str, password: str, ip: str = "10.1.2.3"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_thirty_wrong_passwords_pause_the_account_and_then_the_right_one_does_not_get_in(alice, settings):
    client = Client()
    answers = [sign_in(client, "alice", f"guess-{n}").status_code for n in range(30)]
    right = sign_in(client, "alice", "correct horse battery staple")

    limit = settings.AXES_FAILURE_LIMIT
    assert answers[: limit - 1] == [200] * (limit - 1)  # the form again, with its error
    assert set(answers[limit:]) == {429}
    assert right.status_code == 429
    page = right.content.decode()
    assert "Sign-in paused" in page and "Try again in 15 minutes" in page and "for alice" in page
    assert "_auth_user_id" not in client.session


def test_another_address_is_not_paused_and_a_success_clears_the_count(alice, settings):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "alice", f"guess-{n}")
    assert sign_in(client, "alice", "correct horse battery staple").status_code == 302
    other = Client()
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(other, "alice", f"guess-{n}", ip="10.9.9.9")
    assert sign_in(other, "alice", "correct horse battery staple", ip="10.9.9.9").status_code == 302
