"""The raw body of a webhook is kept for staff, shown only on an explicit, audited request."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from incidentdesk.models import AuditEntry, Trigger

pytestmark = pytest.mark.django_db

EMAIL = "jane.doe@customer.example.com"


@pytest.fixture
def trigger(hooks, catalog) -> Trigger:
    hooks.post("generic", {"service": "checkout-api", "summary": f"refund failed for {EMAIL}", "id": "raw-1"})
    return Trigger.objects.get(delivery_id="raw-1")


def signed_in(user) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def test_the_admin_page_of_a_trigger_links_to_the_raw_body_without_showing_it(trigger):
    staff = get_user_model().objects.create_superuser("root", "root@example.com", "x-pass-123456")
    page = signed_in(staff).get(f"/admin/incidentdesk/trigger/{trigger.pk}/change/").content.decode()

    assert EMAIL not in page
    assert f"/admin/incidentdesk/trigger/{trigger.pk}/raw/" in page and "the viewing is audited" in page
    assert not AuditEntry.objects.filter(action="trigger.raw_viewed").exists()


def test_staff_see_the_raw_body_as_plain_text_and_the_viewing_is_audited(trigger):
    staff = get_user_model().objects.create_superuser("root", "root@example.com", "x-pass-123456")
    response = signed_in(staff).get(f"/admin/incidentdesk/trigger/{trigger.pk}/raw/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain") and "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert EMAIL.encode() in response.content and response.content == bytes(trigger.body)
    viewed = AuditEntry.objects.get(action="trigger.raw_viewed")
    assert viewed.actor == "root" and viewed.detail == {"trigger": trigger.pk, "source": "generic"}
    assert viewed.touches_customer_data


def test_nobody_else_sees_it_and_a_refusal_leaves_no_viewing_behind(trigger, users):
    url = f"/admin/incidentdesk/trigger/{trigger.pk}/raw/"
    member = users["alice"]
    staff_without_permission = get_user_model().objects.create_user("clerk", password="x", is_staff=True)

    assert Client(HTTP_HOST="localhost").get(url).status_code == 302  # to the admin's sign-in
    assert signed_in(member).get(url).status_code == 302
    assert signed_in(staff_without_permission).get(url).status_code == 403
    assert not AuditEntry.objects.filter(action="trigger.raw_viewed").exists()


def test_an_unknown_trigger_is_a_404(db):
    staff = get_user_model().objects.create_superuser("root", "root@example.com", "x-pass-123456")
    assert signed_in(staff).get("/admin/incidentdesk/trigger/999999/raw/").status_code == 404
