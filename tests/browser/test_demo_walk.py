"""The README's demo walk in a real Chromium, at a phone's width and a desktop's.

The demo is seeded as `bin/demo` seeds it (two of its scenarios, for time), then: the owner signs
in and approves the live rollback, which runs as a dry run; a member of another team finds the
buttons disabled and is told who can approve; the `curl` the demo printed posts a generic webhook,
and its run is there with its packet.
"""

import io
import json
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from approvals.models import ActionProposal
from incidentdesk.management.commands.seed_demo import DEMO_DIR
from incidentdesk.models import Run
from tests.browser.conftest import PASSWORD, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCENARIOS = ("several-deploys-1-matchmaking-bucket-panic.json", "data-exposure-1-kyc-payload-debug-logging.json")
DEMO_SECRET = "demo-hook-generic"  # what bin/demo sets HOOK_SECRET_GENERIC to


@pytest.fixture
def demo(settings, live_server, tmp_path, monkeypatch) -> str:
    """What seed_demo prints, after seeding the live server's database."""
    settings.DEBUG = True
    monkeypatch.setenv("HOOK_SECRET_GENERIC", DEMO_SECRET)
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    for name in SCENARIOS:
        shutil.copy(DEMO_DIR / name, scenarios / name)
    printed = io.StringIO()
    call_command("seed_demo", dir=scenarios, password=PASSWORD, addr=urlsplit(live_server.url).netloc, stdout=printed)
    return printed.getvalue()


def printed_curl(printed: str) -> str:
    return next(line.strip() for line in printed.splitlines() if line.strip().startswith("curl "))


@pytest.mark.parametrize("width", [390, 1440])
def test_a_newcomer_walks_the_demo_as_the_readme_tells(width, demo, sign_in, live_server, artifacts):
    assert f"{live_server.url}/" in demo
    assert "ruth" in demo and "camille" in demo and "can be approved until" in demo
    run = Run.objects.get(service__name="matchmaking-api")
    rollback = ActionProposal.objects.get(run=run, action="rollback")
    assert rollback.is_open_for_decision

    # The owner approves the live rollback and sees it run: a dry run, since there is no token.
    page = sign_in("ruth", width=width)
    page.goto(f"{live_server.url}/?service=matchmaking-api")
    page.locator("table a[href^='/runs/']").first.click()
    form = page.locator(f"#proposal-{rollback.pk}")
    form.wait_for()
    assert "Safe to roll back" in form.inner_text()
    form.locator("button:has-text('Approve')").click()
    page.wait_for_selector(f"#proposal-{rollback.pk}.state-succeeded")
    text = page.locator(f"#proposal-{rollback.pk}").inner_text()
    assert "approved by ruth" in text and "dry run" in text
    shot(page, artifacts / f"demo-walk-{width}-1-owner-approved-rollback.png")
    page.context.close()

    # Someone of another team may not: the status update still waits, and its buttons are disabled.
    status_update = ActionProposal.objects.get(run=run, action="status_update")
    page = sign_in("camille", width=width)
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    form = page.locator(f"#proposal-{status_update.pk}")
    form.wait_for()
    assert form.locator("button:has-text('Approve')").is_disabled()
    assert "Who can approve:" in form.inner_text() and "ruth" in form.inner_text()
    shot(page, artifacts / f"demo-walk-{width}-2-other-team-refused.png")
    page.context.close()

    # The printed curl, as it is: a generic webhook opens a run of its own, and its packet is built.
    posted = subprocess.run(["bash", "-c", printed_curl(demo)], capture_output=True, text=True, timeout=60)
    assert json.loads(posted.stdout)["status"] == "accepted", posted.stdout + posted.stderr
    page = sign_in("ruth", width=width)
    newest = page.locator("table a[href^='/runs/']").first
    newest.click()
    page.wait_for_selector("text=are piling up")
    page.wait_for_selector("text=sev3 candidate")
    assert "not configured" in page.inner_text("body")
    shot(page, artifacts / f"demo-walk-{width}-3-webhook-run.png")
    page.context.close()
