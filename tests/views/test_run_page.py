import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidentdesk.models import Evidence, Packet
from tests.views.builders import ONSET, collecting_run, collection_complete, finished_run, run_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(client, users):
    client.force_login(users["alice"])
    return client


def _page(client, run, **headers):
    return client.get(reverse("runs:detail", args=[run.pk]), headers=headers)


def test_the_packet_reads_in_the_order_of_its_text(alice_client, finished):
    body = _page(alice_client, finished).content.decode()
    headings = ["Service", "Severity", "First seen", "Signals", "Likely owner", "Next actions", "Requires approval"]
    positions = [body.index(f">{h}<") for h in headings]
    assert positions == sorted(positions)
    assert positions[-1] < body.index("Timeline") < body.index("Similar past incidents")


def test_a_signal_opens_onto_the_evidence_it_cites(alice_client, finished):
    packet = finished.packets.get()
    signal = packet.data["signals"][0]
    cited = {e["id"]: e for e in packet.data["evidence"]}
    body = _page(alice_client, finished).content.decode()
    block = body[body.index("<h3>Signals</h3>"):body.index("<h3>Likely owner</h3>")]
    details = re.findall(r'<details class="claim">(.*?)</details>', block, re.DOTALL)
    assert details, "each signal is a <details> element"
    first = details[0]
    for evidence_id in signal["evidence"]:
        assert f'href="#ev-{evidence_id}"' in first
        assert cited[evidence_id]["summary"].replace("'", "&#x27;") in first


def test_the_requires_approval_part_holds_the_approvals_forms(alice_client, finished, settings):
    body = _page(alice_client, finished).content.decode()
    # The include sits after the packet's own list and before the conflicts and gaps.
    assert body.index(">Requires approval<") < body.index("<h3>Gaps</h3>")


def test_a_failed_source_says_why(alice_client, finished):
    body = _page(alice_client, finished).content.decode()
    assert 'class="state-failed"' in body
    assert "timeout" in body and "timed out after 5 s" in body


def test_the_timeline_marks_deploys_and_flag_changes_on_the_curves(alice_client, finished):
    body = _page(alice_client, finished).content.decode()
    # Drawn twice: wide, and narrow for a phone (the stylesheet shows one of them).
    assert body.count('<svg class="timeline-chart"') == 2
    assert '<div class="chart-narrow"><svg class="timeline-chart" viewBox="0 0 340 ' in body
    assert body.count('class="curve"') == 2 * 2
    assert "baseline 0.3% → peak 8.7%" in body
    assert 'class="badge deploy"' in body and 'class="badge flag"' in body
    assert "Deploy d-77 of checkout-api" in body
    assert f"onset {ONSET:%H:%M}" in body


def test_a_run_still_collecting_polls_and_shows_each_source_waiting(alice_client, users):
    run = collecting_run()
    body = _page(alice_client, run).content.decode()
    assert 'hx-trigger="every 2s"' in body
    assert "0 of 10 sources answered" in body
    assert body.count('class="state-waiting"') == 10
    assert "No packet yet" in body

    partial = _page(alice_client, run, **{"HX-Request": "true"})
    assert partial.status_code == 200
    assert 'hx-trigger="every 2s"' in partial.content.decode()


def test_polling_stops_once_collection_is_done(alice_client, users):
    run = collecting_run()
    collection_complete(run)
    partial = _page(alice_client, run, **{"HX-Request": "true"})
    assert partial.status_code == 286
    body = partial.content.decode()
    assert 'hx-get="/runs/' not in body.split(">", 1)[0]  # the live region itself no longer polls
    assert 'hx-trigger="every 2s"' not in body
    assert "Signals" in body and "Error rate rose" in body


def test_text_from_vendors_is_shown_as_text(alice_client, users):
    run = run_create(title="<img src=x onerror=alert(1)> checkout down")
    Packet.objects.create(
        run=run, version=1, content_hash="x", text="Incident packet\n<script>alert(2)</script>", complete=True,
        data={"service": "checkout-api", "severity": "sev2", "first_seen": "2030-01-10T11:50:00Z",
              "signals": [{"text": "<b>bold</b> claim", "evidence": ["E1"]}],
              "evidence": [{"id": "E1", "source": "logs", "ref": "r", "summary": "<script>alert(3)</script>",
                            "url": "javascript:alert(4)", "observed_at": None}]},
    )
    body = _page(alice_client, run).content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body and "<b>bold</b>" not in body
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in body
    assert "javascript:alert(4)" not in body


def test_similar_past_incidents_show_their_cause_and_resolution(alice_client, finished):
    past = run_create(title="checkout-api error rate above 5% after deploy", cause="Connection pool exhausted",
                      resolution="Rolled back d-70", triggered_at=finished.triggered_at - timedelta(days=3))
    run_create("status-page", title="status page slow", triggered_at=finished.triggered_at - timedelta(days=2))
    body = _page(alice_client, finished).content.decode()
    similar = body[body.index("Similar past incidents"):]
    assert f"#{past.pk} " in similar
    assert "Connection pool exhausted" in similar and "Rolled back d-70" in similar
    assert "status page slow" not in similar


def _queries_for(client, run) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert _page(client, run).status_code == 200
    return len(queries)


def test_the_run_page_query_count_does_not_grow_with_evidence(alice_client, users, django_assert_max_num_queries):
    small = finished_run()
    large = finished_run()
    Evidence.objects.bulk_create(
        Evidence(run=large, source="logs", ref=f"extra/{i}", service="checkout-api", observed_at=ONSET,
                 data={"ts": "2030-01-10T11:50:00Z", "service": "checkout-api", "level": "info",
                       "message": f"line {i}", "attributes": {}})
        for i in range(2000)
    )
    assert _queries_for(alice_client, large) == _queries_for(alice_client, small)
    with django_assert_max_num_queries(14):
        _page(alice_client, large)


def test_a_hypothesis_shows_its_chain_link_by_link_and_what_speaks_against_it_in_words(alice_client, finished):
    packet = finished.packets.get()
    cited = [e["id"] for e in packet.data["evidence"]][:2]
    packet.data["hypotheses"] = [
        {"kind": "config_change", "ref": "CHG-7", "confidence": "medium", "summary": "Maintenance on the store",
         "evidence": cited[:1], "against": cited[1:], "against_reasons": ["the store itself looks healthy"],
         "chain": [{"text": "Change CHG-7 on store-db", "evidence": cited[:1]},
                   {"text": "checkout-api's errors name store-db", "evidence": cited[1:]}]},
    ]
    Packet.objects.filter(pk=packet.pk).update(data=packet.data)
    body = _page(alice_client, finished).content.decode()
    block = body[body.index("<h3>Likely cause</h3>"):body.index("<h3>Likely owner</h3>")]
    assert "How it fails, link by link:" in block
    assert block.index("Change CHG-7 on store-db") < block.index("checkout-api&#x27;s errors name store-db")
    assert "Against it: the store itself looks healthy" in block


def test_every_trigger_that_fed_the_run_is_listed_with_its_numbers_and_link(alice_client, finished):
    from incidentdesk.models import RunEvent, Trigger

    for n, facts in enumerate([
        {"source": "datadog", "link": "https://app.datadoghq.com/monitors/42", "severity": "sev2"},
        {"source": "generic", "people": True, "count": 37, "baseline": 2, "window_minutes": 30,
         "link": "javascript:alert(1)"},
    ]):
        trigger = Trigger.objects.create(source=facts["source"], http_status=202, body=b"{}")
        RunEvent.objects.create(run=finished, trigger=trigger, index=0, kind="trigger", title=f"report {n}",
                                occurred_at=ONSET + timedelta(minutes=n), facts=facts)
    body = _page(alice_client, finished).content.decode()
    block = body[body.index('id="triggers-title"'):body.index("</section>", body.index('id="triggers-title"'))]

    assert "2 events" in block
    assert '<a href="https://app.datadoghq.com/monitors/42" rel="noreferrer">report 0</a>' in block
    assert "sender said sev2" in block and "from people" in block
    assert "37 against a baseline of 2 over 30 min" in block
    assert "javascript:" not in block  # a link that is not a web link is shown as text only


def test_a_source_with_no_connector_is_a_grey_gap_with_how_to_set_it_up(alice_client, users):
    run = finished_run()
    run.collections.filter(source="feature_flags").update(
        state="failed", reason="not_configured", detail="LAUNCHDARKLY_API_TOKEN is not set")
    body = _page(alice_client, run).content.decode()
    assert '<li class="state-gap"><span class="src">feature_flags</span> <span>Not configured · a gap</span>' in body
    assert "LAUNCHDARKLY_API_TOKEN is not set" in body
    assert body.count('class="state-failed"') == 1  # logs timed out; the unconfigured one is not a failure


def test_paged_is_said_only_when_the_trigger_was_a_page(alice_client, users):
    run = finished_run()
    assert "· on call: Checkout eng" in _page(alice_client, run).content.decode()  # a Datadog monitor
    run.trigger_source = "pagerduty"
    run.save(update_fields=["trigger_source"])
    assert "· paged Checkout eng" in _page(alice_client, run).content.decode()
