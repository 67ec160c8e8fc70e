"""A responder resolves a run with the packet's first hypothesis, sees it counted on the
scorecard, and downloads the postmortem draft; screenshots at 1440 and 390 px are kept under
test-artifacts/resolve-walk/, with the draft itself."""

import pytest
from django.contrib.auth import get_user_model

from incidentdesk import clock
from incidentdesk.models import Run
from tests.browser.conftest import shot
from tests.postmortem.builders import TICKET_URL, at, incident_with_actions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1440, 390)
VENDOR_CREDENTIALS = ("SLACK_BOT_TOKEN", "GITHUB_TOKEN", "JIRA_URL", "JIRA_TOKEN")


def test_a_responder_resolves_a_run_and_downloads_its_postmortem(users, sign_in, live_server, artifacts,
                                                                 monkeypatch):
    for name in VENDOR_CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    folder = artifacts / "resolve-walk"
    folder.mkdir(exist_ok=True)
    abe = get_user_model().objects.get(username="abe")
    run = incident_with_actions(approver=abe, responder=users["alice"])
    url = f"{live_server.url}{run.get_absolute_url()}"

    # The desk's clock (the live server's too) stands at 12:40, forty minutes after the trigger.
    with clock.frozen_at(at(40)):
        pages = {width: sign_in("alice", width=width, height=900) for width in WIDTHS}
        for width, page in pages.items():
            page.goto(url)
            assert page.locator("#run-status").inner_text() == "Open"
            shot(page, folder / f"1-open-{width}.png")

        page = pages[1440]
        page.click("#resolution a:has-text('Resolve with the cause')")
        form = page.locator("form.confirm-cause")
        form.wait_for()
        first = form.locator(".cause-picks li").first
        assert "the desk's first hypothesis" in first.inner_text()
        assert "Deploy d-77 broke the cart parser" in first.inner_text()
        form.locator("input[name=customer_impact][value=yes]").check()
        form.locator("input[name=impact_minutes]").fill("25")
        form.locator("textarea[name=note]").fill("Rolled back d-77; the parser fix follows in PR 4822.")
        shot(page, folder / "2-cause-form-1440.png")
        first.locator("button:has-text('This was it')").click()

        page.wait_for_selector("#resolution.judged-right")
        assert page.locator("#run-status").inner_text() == "Resolved"
        assert "Desk was right" in page.locator("#resolution").inner_text()
        assert Run.objects.get(pk=run.pk).status == Run.Status.RESOLVED
        for width, each in pages.items():
            if each is not page:
                each.reload()
            each.locator("#resolution a:has-text('Postmortem draft (Markdown)')").wait_for()
            shot(each, folder / f"3-resolved-{width}.png")

        for width, each in pages.items():
            each.goto(f"{live_server.url}/scorecard/")
            stats = each.locator("ul.stats")
            assert stats.locator("li").nth(0).inner_text().split() == ["1", "runs", "resolved"]
            assert "1 of 1 where the desk named a cause" in stats.inner_text()
            assert each.evaluate("document.documentElement.scrollWidth") <= width
            shot(each, folder / f"4-scorecard-{width}.png")

        page.goto(url)
        with page.expect_download() as download_info:
            page.click("text=Postmortem draft (Markdown)")
        download = download_info.value
        assert download.suggested_filename == f"run-{run.pk}-postmortem.md"
        saved = folder / "5-postmortem.md"
        download.save_as(saved)

    text = saved.read_text(encoding="utf-8")
    assert text.startswith("# Postmortem draft: checkout-api error rate above 5%\n")
    for line in [
        "- Customers affected: yes, for 25 min.",
        "**Deploy d-77**: Deploy d-77 broke the cart parser",
        "Confirmed by alice on 2030-01-10 12:40 UTC.",
        "Note: Rolled back d-77; the parser fix follows in PR 4822.",
        "- Desk was right: the first hypothesis of packet v2 was Deploy d-77 (high).",
        "- Sources missing from the packet: logs (timeout: timed out after 5 s).",
        f"- [ ] Incident ticket: [{TICKET_URL}]({TICKET_URL})",
        "- 2030-01-10 12:10 · Roll back d-77 approved by abe (1 of 1): roll it back",
        "- 2030-01-10 12:40 · Resolved by alice on the desk",
        "- 2030-01-10 12:40 · Cause confirmed by alice: Deploy d-77 (desk was right)",
    ]:
        assert line in text.splitlines(), line
