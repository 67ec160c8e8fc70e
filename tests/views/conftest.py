import pytest
from django.contrib.auth import get_user_model

from tests.views.builders import finished_run


@pytest.fixture
def users(catalog):
    """alice owns checkout-api (checkout-eng), bob is on another team, olivia is on none."""
    model = get_user_model()
    people = {name: model.objects.get(username=name) for name in ("alice", "bob", "charlie")}
    people["olivia"] = model.objects.create_user("olivia", password="x-pass-123456")
    for user in people.values():
        user.set_password("x-pass-123456")
        user.save()
    return people


@pytest.fixture
def finished(users):
    return finished_run()
