from tests.views.conftest import finished, users  # noqa: F401  (personas: alice, bob, charlie, olivia)
