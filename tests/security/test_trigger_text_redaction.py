"""Personal data and secrets a vendor puts in an alert's text are redacted before anything stores
it: the run, its symptoms, the timeline, the audit trail, the page and the Slack post show
markers; only the raw body, kept for staff, still has the bytes that arrived."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals.services.outbound import packet_message
from incidentdesk.models import AuditEntry, Packet, Run, RunEvent, Trigger
from incidentdesk.services.grouping import triggers_process_pending

pytestmark = pytest.mark.django_db
CARD = "4111 1111 1111 1111"


def _everything_stored_about(run: Run) -> str:
    """Every place the desk stores or shows text about the run, as one string."""
    staff = get_user_model().objects.create_superuser(f"admin{run.pk}", password="x")
    client = Client()
    client.force_login(staff)
    page = client.get(run.get_absolute_url()).content.decode()
    history = client.get("/").content.decode()
    audit = json.dumps([e.detail for e in AuditEntry.objects.all()])
    events = json.dumps([[e.title, e.facts] for e in RunEvent.objects.filter(run=run)], default=str)
    packet = run.packets.order_by("-version").first() or Packet(run=run, version=0, data={}, text="")
    post = json.dumps(packet_message(run, packet))
    return "\n".join([run.title, json.dumps(run.symptoms), page, history, audit, events, post])


EMAILS = st.builds(lambda user, host: f"{user}@{host}.example.com",
                   st.from_regex(r"[a-z][a-z0-9.]{2,12}", fullmatch=True),
                   st.from_regex(r"[a-z]{3,10}", fullmatch=True))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=EMAILS)
def test_no_email_or_card_in_a_trigger_survives_into_what_the_desk_stores_or_shows(hooks, catalog, email):
    Run.objects.all().delete()
    summary = f"checkout failing for {email}, card {CARD} declined"
    response = hooks.post("generic", {"service": "checkout-api", "summary": summary, "id": f"pii-{email}"})
    assert response.status_code == 202
    triggers_process_pending()
    run = Run.objects.get()
    stored = _everything_stored_about(run)

    assert email not in stored and CARD not in stored and "4111111111111111" not in stored
    assert "[REDACTED:email]" in run.title + json.dumps(run.symptoms)
    raw = bytes(Trigger.objects.get(pk=response.json()["trigger"]).body).decode()
    assert email in raw  # the bytes that arrived are kept, for staff only


def test_vendor_signatures_are_masked_in_the_stored_headers(hooks, catalog):
    body = {"service": "checkout-api", "summary": "x", "id": "sig-1"}
    response = hooks.post("generic", body, headers={"X-Hub-Signature-256": "sha256=abc", "X-Slack-Signature": "v0=1"})
    headers = Trigger.objects.get(pk=response.json()["trigger"]).headers
    lowered = {k.lower(): v for k, v in headers.items()}
    assert lowered["x-hub-signature-256"] == "[REDACTED]" and lowered["x-slack-signature"] == "[REDACTED]"
