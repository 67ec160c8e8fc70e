"""The postmortem draft of a resolved run: what it says, who may download it, and when."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidentdesk import clock
from incidentdesk.models import Evidence, Run
from tests.postmortem.builders import PR_URL, TICKET_URL, at, resolved_incident, trigger_add
from tests.resolution.builders import confirm, hypothesis, resolved_run
from tests.views.builders import ONSET, finished_run

pytestmark = pytest.mark.django_db


def _url(run: Run) -> str:
    return reverse("runs:postmortem", args=[run.pk])


def sections(text: str) -> dict[str, list[str]]:
    """Each `## ` section's lines, blank ones left out; the lines before the first under ''."""
    found: dict[str, list[str]] = {"": []}
    name = ""
    for line in text.splitlines():
        if line.startswith("## "):
            name = line[3:]
            found[name] = []
        elif line:
            found[name].append(line)
    return found


def _eid(run: Run, source: str, ref: str) -> str:
    return Evidence.objects.get(run=run, source=source, ref=ref).public_id


@pytest.fixture
def incident(users):
    abe = get_user_model().objects.get(username="abe")
    return resolved_incident(approver=abe, responder=users["alice"])


def test_the_draft_of_a_resolved_run_tells_its_story(client, users, incident):
    client.force_login(users["olivia"])  # anyone who may see the run, not only its team
    response = client.get(_url(incident))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="run-{incident.pk}-postmortem.md"'
    text = response.content.decode()
    deploy, pr = _eid(incident, "deploys", "d-77"), _eid(incident, "pull_requests", "4821")
    errors = _eid(incident, "metrics", "checkout-api/error_rate/datadog")
    parts = sections(text)
    assert list(parts) == ["", "Impact", "Cause", "What the desk got right or wrong", "Follow-up",
                           "Timeline (UTC)"]
    assert parts[""][:2] == [
        "# Postmortem draft: checkout-api error rate above 5%",
        f"[Run #{incident.pk}](http://localhost:8000/runs/{incident.pk}/) on checkout-api, team Checkout eng."
        " Triggered 2030-01-10 12:00 UTC from datadog, resolved 2030-01-10 12:40 UTC.",
    ]
    assert parts["Impact"] == [
        "- Customers affected: yes, for 25 min.",
        "- Onset to resolution: 50 min (2030-01-10 11:50 to 2030-01-10 12:40 UTC).",
        r"- Severity, as the desk read it: sev2: tier-1 service error rate 8.7% \>= 5% (baseline 0.3%).",
        "- What the evidence showed:",
        f"  - Error rate rose from 0.3% to 8.7% ({errors})",
    ]
    assert parts["Cause"] == [
        "**Deploy d-77**: Deploy d-77 of checkout-api",
        "Confirmed by alice on 2030-01-10 12:40 UTC.",
        "Note: Rolled back d-77; the parser fix follows in PR 4822.",
        f"The desk's hypothesis for it, in packet v2: Deploy d-77 broke the cart parser (high) ({deploy}, {pr})",
        "How it failed, link by link:",
        f"1. Deploy d-77 shipped PR 4821, which rewrote cart/parse.py ({deploy}, {pr})",
        f"2. checkout-api errors rose a minute after it finished ({errors})",
        "Evidence cited:",
        f"- {deploy} deploys: Deploy d-77 of checkout-api (success)"
        " [source](https://github.com/acme/checkout/deployments/77)",
        f"- {pr} pull requests: PR 4821 Faster cart parser: cart/parse.py [source]({PR_URL})",
        f"- {errors} metrics: checkout-api error\\_rate (datadog, 70 points)",
    ]
    assert parts["What the desk got right or wrong"] == [
        "- Desk was right: the first hypothesis of packet v2 was Deploy d-77 (high).",
        "- First complete packet: 3 min after the trigger.",
        "- Sources missing from the packet: logs (timeout: timed out after 5 s).",
    ]
    assert parts["Follow-up"] == [
        f"- [ ] Incident ticket: [{TICKET_URL}]({TICKET_URL})",
        f"- [ ] [PR 4821 Faster cart parser: cart/parse.py]({PR_URL})",
    ]
    assert parts["Timeline (UTC)"] == [
        f"- 2030-01-10 11:49 · Change: Deploy d-77 of checkout-api (success) ({deploy})",
        "- 2030-01-10 11:50 · Onset: first seen in the evidence",
        "- 2030-01-10 12:00 · Trigger from datadog: checkout-api error rate above 5% (sender said sev2)"
        " [link](https://app.datadoghq.com/monitors/42)",
        "- 2030-01-10 12:00 · Evidence collection started: 10 sources",
        "- 2030-01-10 12:01 · Packet v1, sources still answering: severity sev2; first hypothesis Not known (low)",
        "- 2030-01-10 12:02 · Source failed: logs (timeout: timed out after 5 s)",
        "- 2030-01-10 12:03 · Evidence collected: 9 of 10 sources answered, 9 records; 1 failed",
        "- 2030-01-10 12:03 · Packet v2, the first complete: severity sev2; first hypothesis Deploy d-77 (high)",
        "- 2030-01-10 12:03 · Roll back d-77 proposed by the desk",
        "- 2030-01-10 12:04 · Packet v2 posted to #checkout (dry run: recorded, not sent)",
        "- 2030-01-10 12:10 · Roll back d-77 approved by abe (1 of 1): roll it back",
        "- 2030-01-10 12:11 · Roll back d-77 carried out by the desk: done",
        f"- 2030-01-10 12:12 · Incident ticket opened by alice [{TICKET_URL}]({TICKET_URL})",
        "- 2030-01-10 12:40 · Resolved by alice on the desk",
        "- 2030-01-10 12:40 · Cause confirmed by alice: Deploy d-77 (desk was right)",
    ]


def test_a_wrong_packet_is_told_where_the_cause_stood(client, users):
    abe = get_user_model().objects.get(username="abe")
    run = resolved_incident(approver=abe, responder=users["alice"])
    with clock.frozen_at(at(50)):
        confirm(run, "feature_flag", "fast-cart")  # abe, of the owning team, changes the cause
    client.force_login(users["alice"])

    parts = sections(client.get(_url(run)).content.decode())

    assert parts["What the desk got right or wrong"][0] == (
        "- Desk was wrong: the first hypothesis of packet v2 was Deploy d-77 (high);"
        " the confirmed cause was its 2nd hypothesis (low).")
    assert parts["Cause"] == [
        "**Flag change fast-cart**: feature\\_flag fast-cart",
        "Confirmed by abe on 2030-01-10 12:50 UTC.",
        "The desk's hypothesis for it, in packet v2: Flag fast-cart switched 20 min before the onset (low)",
    ]
    assert parts["Timeline (UTC)"][-1] == (
        "- 2030-01-10 12:50 · Cause changed by abe: Flag change fast-cart (desk was wrong)")


def test_a_run_resolved_without_a_confirmed_cause_says_what_is_missing(client, users):
    run = resolved_run(resolved_at=ONSET + timedelta(hours=1),
                       hypotheses=(hypothesis("deploy", "d-1", "high"),))
    client.force_login(users["bob"])

    parts = sections(client.get(_url(run)).content.decode())

    assert parts["Impact"][0] == "- Customers affected: not recorded: the cause is not confirmed."
    assert parts["Cause"] == ["Not confirmed yet: confirm it on the run's page, then draft again."]
    assert parts["What the desk got right or wrong"][0] == "- Not judged: the cause is not confirmed."
    assert parts["Follow-up"] == ["None recorded on the desk."]
    assert parts["Timeline (UTC)"][-1].endswith("· Resolved")


def test_text_from_people_and_vendors_stays_text(client, users):
    abe = get_user_model().objects.get(username="abe")
    run = resolved_incident(
        approver=abe, responder=users["alice"],
        title="5xx <img src=x onerror=alert(1)> [click](javascript:alert(1))",
        trigger_link="javascript:alert(1)",
        comment="ok\n# Not a heading\n![pixel](https://tracker.example/p.png)",
        note="fixed\n\n## Lessons\n<script>alert(1)</script> `code` *bold* | cell",
    )
    trigger_add(run, title="- [x] done\n1. listed", link="https://ok.example/a b(c)", minutes=1)
    client.force_login(users["alice"])

    text = client.get(_url(run)).content.decode()

    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        r"# Postmortem draft: 5xx \<img src=x onerror=alert(1)\> \[click\](javascript:alert(1))",
        "## Impact", "## Cause", "## What the desk got right or wrong", "## Follow-up", "## Timeline (UTC)",
    ]
    links = set(re.findall(r"(?<!\\)\]\(([^)]*)\)", text))
    assert links == {f"http://localhost:8000/runs/{run.pk}/", "https://github.com/acme/checkout/deployments/77",
                     PR_URL, TICKET_URL, "https://ok.example/a%20b%28c%29"}
    assert re.search(r"(?<!\\)[<`*]", text.replace("**Deploy d-77**", "")) is None
    assert r"Note: fixed ## Lessons \<script\>alert(1)\</script\> \`code\` \*bold\* \| cell" in text
    assert r"approved by abe (1 of 1): ok # Not a heading !\[pixel\](https://tracker.example/p.png)" in text
    assert (r"Trigger from datadog: - \[x\] done 1. listed (sender said sev2)"
            " [link](https://ok.example/a%20b%28c%29)") in text
    assert "Trigger from datadog: 5xx" in text and "[link](javascript" not in text


def test_an_open_run_is_refused_with_a_reason(client, users):
    run = finished_run()
    client.force_login(users["alice"])

    response = client.get(_url(run))

    assert response.status_code == 409
    assert response.content.decode() == f"Run #{run.pk} is open: resolve it first, then draft its postmortem.\n"


def test_anonymous_visitors_are_sent_to_sign_in(client, incident):
    response = client.get(_url(incident))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["olivia", "bob", "charlie", "alice"])
def test_everyone_who_sees_the_run_may_download_its_draft(client, users, incident, persona):
    client.force_login(users[persona])

    assert client.get(_url(incident)).status_code == 200


def test_a_missing_run_is_404_and_only_get_is_served(client, users, incident):
    client.force_login(users["alice"])

    assert client.get(reverse("runs:postmortem", args=[999_999])).status_code == 404
    assert client.post(_url(incident)).status_code == 405


def test_the_queries_do_not_grow_with_the_triggers(client, users, incident):
    client.force_login(users["alice"])
    client.get(_url(incident))
    with CaptureQueriesContext(connection) as before:
        client.get(_url(incident))
    for minute in range(2, 30):
        trigger_add(incident, title=f"alert {minute}", link="https://app.datadoghq.com/monitors/42",
                    minutes=minute)
    with CaptureQueriesContext(connection) as after:
        text = client.get(_url(incident)).content.decode()

    assert len(after) == len(before)
    assert "· 23 more events from vendors; the last: Trigger from datadog: alert 29 (sender said sev2)" in text


def test_the_resolved_run_page_offers_the_draft_and_an_open_one_does_not(client, users, incident):
    client.force_login(users["olivia"])
    link = f'href="{_url(incident)}" download>Postmortem draft (Markdown)</a>'

    assert link in client.get(incident.get_absolute_url()).content.decode()
    open_run = finished_run()
    assert "Postmortem draft" not in client.get(open_run.get_absolute_url()).content.decode()
