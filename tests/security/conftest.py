from tests.views.conftest import users  # noqa: F401  (personas: alice, bob, charlie, olivia)
