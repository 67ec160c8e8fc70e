"""An owner signs in, watches a packet fill in by itself, and finds a past incident in history."""

from datetime import timedelta

import pytest

from incidentdesk import clock
from incidentdesk.models import SourceCollection
from tests.browser.conftest import shot
from tests.views.builders import collecting_run, collection_complete, run_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_watches_the_packet_fill_in_without_reloading(users, sign_in, live_server, artifacts):
    run = collecting_run(title="checkout-api error rate above 5%")
    page = sign_in("alice")
    assert "alice" in page.inner_text("header.top") and "Checkout eng" in page.inner_text("header.top")

    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    page.wait_for_selector("text=0 of 10 sources answered")
    assert page.locator(".state-waiting").count() == 10
    page.evaluate("window.stillTheSamePage = true")

    run.collections.filter(source__in=["deploys", "metrics", "errors"]).update(
        state=SourceCollection.State.DONE, item_count=2)
    run.collections.filter(source="logs").update(state=SourceCollection.State.FAILED, reason="timeout",
                                                 detail="no answer within 5 s")
    page.wait_for_selector("text=4 of 10 sources answered")
    assert "no answer within 5 s" in page.inner_text(".sources")

    collection_complete(run)
    page.wait_for_selector("#live h3:has-text('Signals')")
    page.wait_for_selector(".timeline-chart")
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.locator("text=sources answered").count() == 0
    assert page.locator("#live[hx-trigger]").count() == 0  # polling stopped

    signal = page.locator("#live details.claim").first
    signal.locator("summary").click()
    assert signal.locator("ul.ev li").count() >= 1
    shot(page, artifacts / "run-page-laptop.png")

    phone = sign_in("alice", width=390, height=844)
    phone.goto(f"{live_server.url}{run.get_absolute_url()}")
    phone.wait_for_selector("#live h3:has-text('Signals')")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, artifacts / "run-page-phone.png")


def test_an_owner_searches_history_and_opens_a_past_run(users, sign_in, live_server, artifacts):
    now = clock.now()
    past = run_create(title="checkout-api 502s from payments", triggered_at=now - timedelta(days=30),
                      cause="TLS certificate expired on payments-gateway", resolution="Renewed the certificate")
    for i in range(12):
        run_create(title=f"checkout-api latency blip {i}", triggered_at=now - timedelta(hours=i + 1))

    page = sign_in("alice")
    assert page.locator("table.history tbody tr").count() == 13
    page.fill("input[name=q]", "certificate")
    page.wait_for_selector("text=1 run match")
    assert "q=certificate" in page.url  # the search is in the address, so it can be shared
    rows = page.locator("table.history tbody tr")
    assert rows.count() == 1 and "TLS certificate expired" in rows.first.inner_text()
    shot(page, artifacts / "history-page-laptop.png")

    page.click(f"text={past.title}")
    page.wait_for_url(f"**{past.get_absolute_url()}")
    assert page.locator("h1").inner_text() == past.title

    phone = sign_in("alice", width=390, height=844)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, artifacts / "history-page-phone.png")
