"""The desk's own posts: the packet in the owning team's Slack channel, kept current; the packet build hook."""

import json

import httpx
import pytest
import respx
from django.conf import settings

from approvals.executors import SlackMessage
from approvals.models import ActionProposal, Outbound
from approvals.services import summary_post
from incidentdesk.audit import audit_verify
from incidentdesk.models import AuditEntry
from tests.approvals.builders import packet_add, rollback_item, run_create

pytestmark = pytest.mark.django_db
SLACK = "https://slack.com/api"


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(assert_all_mocked=True)


def slack(router, sleeps=None) -> SlackMessage:
    return SlackMessage(
        environ={"SLACK_BOT_TOKEN": "xoxb-secret"},
        transport=httpx.MockTransport(router.handler),
        sleep=(sleeps if sleeps is not None else []).append,
    )


def test_the_first_packet_is_posted_and_later_versions_update_the_same_message(catalog, router):
    run = run_create()
    packet_add(run, [rollback_item()])
    post = router.post(f"{SLACK}/chat.postMessage").respond(
        200, json={"ok": True, "channel": "C0CHECKOUT", "ts": "1741083400.000200"}
    )
    update = router.post(f"{SLACK}/chat.update").respond(
        200, json={"ok": True, "channel": "C0CHECKOUT", "ts": "1741083400.000200"}
    )

    first = summary_post(run=run, messenger=slack(router))
    again = summary_post(run=run, messenger=slack(router))  # a retried task: same version, nothing sent
    packet_add(run, [rollback_item(safe=False, reason="freeze")])
    later = summary_post(run=run, messenger=slack(router))

    assert post.call_count == 1 and update.call_count == 1
    sent = json.loads(post.calls.last.request.content)
    assert sent["channel"] == "#checkout"
    assert sent["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": f"#{run.pk} checkout-api: checkout errors"},
    }
    run_link = settings.DESK_BASE_URL + run.get_absolute_url()
    assert run_link in sent["text"]
    assert sent["blocks"][3]["elements"][0]["url"] == run_link
    updated = json.loads(update.calls.last.request.content)
    assert updated["ts"] == "1741083400.000200" and updated["channel"] == "C0CHECKOUT"
    assert (
        first.pk == again.pk == later.pk and later.packet_version == 2 and later.state == Outbound.State.SENT
    )
    assert AuditEntry.objects.filter(action="summary.posted").count() == 2
    assert audit_verify().ok


def test_a_refused_post_is_recorded_and_audited_not_raised(catalog, router):
    run = run_create()
    packet_add(run, [])
    router.post(f"{SLACK}/chat.postMessage").respond(200, json={"ok": False, "error": "not_in_channel"})

    outbound = summary_post(run=run, messenger=slack(router))

    assert outbound.state == Outbound.State.FAILED and "not_in_channel" in outbound.outcome
    assert outbound.result["transient"] is False
    assert AuditEntry.objects.get(action="summary.failed").detail["channel"] == "#checkout"


def test_without_a_token_the_post_is_a_dry_run_showing_the_request(catalog):
    run = run_create()
    packet_add(run, [])

    outbound = summary_post(run=run)

    assert outbound.state == Outbound.State.DRY_RUN
    shown = outbound.result["requests"][0]
    assert shown["url"] == f"{SLACK}/chat.postMessage"
    assert shown["headers"]["Authorization"] == "Bearer ${SLACK_BOT_TOKEN}"


def test_the_packet_build_opens_proposals_and_enqueues_the_post(
    catalog, eager_tasks, django_capture_on_commit_callbacks
):
    from incidentdesk.services.packets import packet_build
    from tests.views.builders import evidence_add
    from tests.views.builders import run_create as page_run_create

    run = page_run_create()
    evidence_add(run)

    with django_capture_on_commit_callbacks(execute=True):
        packet = packet_build(run=run)

    listed = {(a["action"], a["target"]) for a in packet.data["requires_approval"]}
    proposed = set(ActionProposal.objects.filter(run=run).values_list("action", "target"))
    assert listed and proposed == listed
    assert Outbound.objects.get(run=run, kind="post_summary").packet_version == packet.version
