import pytest
from django.contrib.auth import get_user_model

from incidentdesk.celery import app


@pytest.fixture(autouse=True)
def _no_vendor_credentials(monkeypatch):
    """Executors read credentials from the environment: none here, so anything not faked is a dry run."""
    for name in (
        "GITHUB_TOKEN",
        "ARGOCD_URL",
        "ARGOCD_TOKEN",
        "KUBE_API_URL",
        "KUBE_TOKEN",
        "STATUSPAGE_API_KEY",
        "STATUSPAGE_PAGE_ID",
        "LAUNCHDARKLY_API_TOKEN",
        "SLACK_BOT_TOKEN",
        "JIRA_URL",
        "JIRA_TOKEN",
        "ROLLBACK_WORKFLOW",
        "ROLLBACK_REF",
        "ROLLBACK_REQUEST_ID_INPUT",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def eager_tasks():
    """Tasks run in the calling thread, as in the embedded default."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def users(catalog):
    model = get_user_model()
    outsider = model.objects.create(username="olga")
    return {u.username: u for u in model.objects.all()} | {"olga": outsider}
