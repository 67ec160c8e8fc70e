import pytest

from tests.views.conftest import users  # noqa: F401  (personas: alice, bob, charlie, olivia)


@pytest.fixture(autouse=True)
def _no_vendor_credentials(monkeypatch):
    """Without credentials the Slack post is recorded, not sent."""
    for name in ("SLACK_BOT_TOKEN", "GITHUB_TOKEN", "JIRA_URL", "JIRA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
