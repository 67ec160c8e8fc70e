"""The audit page reads as a list: each entry's detail as labels and plain values, never a repr."""

import pytest
from django.urls import reverse

from incidentdesk.audit import audit_append
from incidentdesk.audit_display import MAX_VALUE, detail_label, detail_value
from incidentdesk.views.audit import PAGE_SIZE

pytestmark = pytest.mark.django_db


def test_values_read_as_plain_text():
    assert detail_label("out_of_scope") == "out of scope"
    assert detail_value(["checkout-api", "ledger-db"]) == "checkout-api, ledger-db"
    assert detail_value({"status": 200, "retried": False}) == "status: 200; retried: no"
    assert detail_value([{"method": "POST", "url": "https://x"}, {"method": "GET"}]) == (
        "method: POST; url: https://x; method: GET"
    )
    assert detail_value(None) == detail_value([]) == "–"
    assert len(detail_value("x" * 1000)) == MAX_VALUE and detail_value("x" * 1000).endswith("…")


def test_the_page_lists_entries_with_their_detail_and_no_repr(client, users):
    audit_append(actor="desk", action="source.read", service="checkout-api",
                 detail={"source": "logs", "scope": ["checkout-api", "ledger-db"], "window": {"from": "11:00"},
                         "truncated": False})
    client.force_login(users["alice"])
    body = client.get(reverse("desk:audit")).content.decode()

    assert '<ol class="audit-list">' in body
    assert "<dt>scope</dt><dd>checkout-api, ledger-db</dd>" in body
    assert "<dt>window</dt><dd>from: 11:00</dd>" in body and "<dt>truncated</dt><dd>no</dd>" in body
    assert "[&#x27;" not in body and "{&#x27;" not in body  # no Python repr of a list or dict


def test_the_trail_is_cut_in_pages(client, users):
    for n in range(PAGE_SIZE + 5):
        audit_append(actor="desk", action="test.entry", detail={"n": n})
    client.force_login(users["alice"])
    first = client.get(reverse("desk:audit")).content.decode()
    assert first.count('class="audit-entry') == PAGE_SIZE
    second = client.get(reverse("desk:audit") + "?page=2").content.decode()
    assert second.count('class="audit-entry') == 5
