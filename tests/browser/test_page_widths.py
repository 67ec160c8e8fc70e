"""Every page at a phone's 390 px and a laptop's 1440 px: nothing scrolls sideways, the timeline's
labels stay legible on the phone, and a screenshot of each is kept under test-artifacts/pages/."""

import pytest
from django.urls import reverse

from incidentdesk.audit import audit_append
from tests.browser.conftest import shot
from tests.views.builders import finished_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1440)
LONG_TOKEN = "SecurityTokenSignatureKeyNotFoundException:IDX10501:" + "kid" * 30
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 1 && el.getClientRects().length)
    .slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + el.className);
}"""
SMALLEST_CHART_TEXT = """() => {
  const svg = [...document.querySelectorAll('svg.timeline-chart')].find(s => s.getBoundingClientRect().width > 0);
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return Math.min(...[...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale));
}"""


def _pages(run) -> dict[str, str]:
    return {
        "history": reverse("runs:history"),
        "history-search": reverse("runs:history") + "?q=checkout",
        "run": run.get_absolute_url(),
        "run-audit": reverse("runs:audit", args=[run.pk]),
        "audit": reverse("desk:audit"),
        "policy": reverse("desk:policy"),
        "services": reverse("services:index"),
        "service": reverse("services:detail", args=[run.service.name]),
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(users, sign_in, live_server, artifacts, width):
    run = finished_run(title=f"checkout-api failing: {LONG_TOKEN}")
    audit_append(actor="desk", action="test.long_detail", run_id=run.pk, service="checkout-api",
                 detail={"token": LONG_TOKEN, "sha": "b" * 40, "scope": ["checkout-api"] * 20})
    folder = artifacts / "pages"
    folder.mkdir(exist_ok=True)
    page = sign_in("alice", width=width)
    for name, path in _pages(run).items():
        page.goto(f"{live_server.url}{path}")
        shot(page, folder / f"{name}-{width}.png")
        assert page.evaluate(OVERFLOWING) == [], f"{name} at {width} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} at {width} px"

    sign_in_page = page.context.browser.new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in_page.goto(f"{live_server.url}/login/")
    shot(sign_in_page, folder / f"sign-in-{width}.png")
    assert sign_in_page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_timeline_reads_on_a_phone(users, sign_in, live_server, artifacts):
    run = finished_run()
    page = sign_in("alice", width=390, height=844)
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    page.wait_for_selector(".chart-narrow svg.timeline-chart")
    assert page.locator(".chart-wide").is_hidden() and page.locator(".chart-narrow").is_visible()
    assert page.evaluate(SMALLEST_CHART_TEXT) >= 11
    page.locator("section.timeline").screenshot(path=str(artifacts / "timeline-phone.png"))
