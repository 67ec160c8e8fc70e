import os
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import respx

from collectors.base import NotConfigured, Scope, ServiceRef
from collectors.urlguard import UrlGuard
from collectors.vendors.runbooks import Runbooks
from incidentdesk.http import Deadline, HttpError
from tests.collectors.vendors.recorded import scope_of

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://wiki.example.net/runbooks/ledger-api.md"
# The wiki is on the allow-list and resolves to a public address (no DNS in tests).
WIKI = UrlGuard([".example.net"], resolve=lambda host, port: ["93.184.216.34"])


def scope(*refs: ServiceRef) -> Scope:
    return scope_of(
        *refs,
        start=datetime(2026, 3, 18, 21, 0, tzinfo=timezone.utc),
        end=datetime(2026, 3, 18, 23, 0, tzinfo=timezone.utc),
    )


@pytest.fixture
def runbooks_dir(tmp_path: Path) -> Path:
    root = tmp_path / "runbooks"
    (root / "payments").mkdir(parents=True)
    (root / "payments" / "billing-webhooks.md").write_text(
        (FIXTURES / "runbooks_billing-webhooks.md").read_text()
    )
    (tmp_path / "secret.md").write_text("outside the runbooks")
    return root


def mocked(router: respx.MockRouter) -> httpx.MockTransport:
    return httpx.MockTransport(router.handler)


def test_it_reads_a_runbook_file_under_the_directory(runbooks_dir):
    ref = ServiceRef(name="billing-webhooks", runbook="payments/billing-webhooks.md")

    fetched = Runbooks(runbooks_dir).fetch(scope(ref), deadline=Deadline.after(5))

    [record] = fetched.records
    assert record.ref == "payments/billing-webhooks.md"
    assert record.service == "billing-webhooks"
    assert record.data == {
        "key": "payments/billing-webhooks.md",
        "text": (FIXTURES / "runbooks_billing-webhooks.md").read_text(),
    }
    assert fetched.note == ""


def test_a_service_without_a_runbook_gets_no_record_and_no_note(runbooks_dir):
    fetched = Runbooks(runbooks_dir).fetch(
        scope(ServiceRef(name="notifications-worker"), ServiceRef(name="push-gateway")),
        deadline=Deadline.after(5),
    )

    assert fetched.records == []
    assert fetched.note == ""


def test_a_missing_runbook_file_gives_no_record_and_a_note_naming_it(runbooks_dir):
    fetched = Runbooks(runbooks_dir).fetch(
        scope(
            ServiceRef(name="billing-webhooks", runbook="payments/billing-webhooks.md"),
            ServiceRef(name="customers-api", runbook="customers-api.md"),
        ),
        deadline=Deadline.after(5),
    )

    assert [r.service for r in fetched.records] == ["billing-webhooks"]
    assert "runbook customers-api.md of customers-api" in fetched.note
    assert "not_found" in fetched.note


@pytest.mark.parametrize("key", ["../secret.md", "payments/../../secret.md", "/etc/passwd"])
def test_paths_leaving_the_directory_are_refused(runbooks_dir, key):
    fetched = Runbooks(runbooks_dir).fetch(
        scope(ServiceRef(name="svc", runbook=key)), deadline=Deadline.after(5)
    )

    assert fetched.records == []
    assert "refused" in fetched.note


def test_a_symlink_out_of_the_directory_is_refused(runbooks_dir):
    os.symlink(runbooks_dir.parent / "secret.md", runbooks_dir / "escape.md")

    fetched = Runbooks(runbooks_dir).fetch(
        scope(ServiceRef(name="svc", runbook="escape.md")), deadline=Deadline.after(5)
    )

    assert fetched.records == []
    assert "refused" in fetched.note


def test_a_long_runbook_file_is_cut_at_the_cap(runbooks_dir):
    (runbooks_dir / "long.md").write_text("# Long\n" + "step\n" * 1000)

    fetched = Runbooks(runbooks_dir, max_bytes=64).fetch(
        scope(ServiceRef(name="svc", runbook="long.md")), deadline=Deadline.after(5)
    )

    assert len(fetched.records[0].data["text"]) == 64
    assert fetched.truncated
    assert "cut at 64 bytes" in fetched.note


def test_it_fetches_a_runbook_url_as_markdown():
    router = respx.MockRouter(assert_all_called=False)
    route = router.get(URL).respond(
        200, text="# Ledger\n\n1. Pause payouts.\n", headers={"Content-Type": "text/markdown"}
    )

    fetched = Runbooks(transport=mocked(router), url_guard=WIKI).fetch(
        scope(ServiceRef(name="ledger-api", runbook=URL)), deadline=Deadline.after(5)
    )

    [record] = fetched.records
    assert record.data == {"key": URL, "text": "# Ledger\n\n1. Pause payouts.\n"}
    assert record.url == URL
    assert "text/markdown" in route.calls.last.request.headers["accept"]


def test_a_runbook_url_answering_html_is_not_taken():
    router = respx.MockRouter(assert_all_called=False)
    router.get(URL).respond(
        200, text="<html>login</html>", headers={"Content-Type": "text/html; charset=utf-8"}
    )

    with pytest.raises(HttpError) as caught:
        Runbooks(transport=mocked(router), url_guard=WIKI).fetch(
            scope(ServiceRef(name="ledger-api", runbook=URL)), deadline=Deadline.after(5)
        )

    assert caught.value.reason == "malformed"


def test_a_runbook_url_is_retried_after_a_5xx(waits):
    router = respx.MockRouter(assert_all_called=False)
    router.get(URL).mock(side_effect=[httpx.Response(502), httpx.Response(200, text="# ok")])

    fetched = Runbooks(transport=mocked(router), url_guard=WIKI).fetch(
        scope(ServiceRef(name="ledger-api", runbook=URL)), deadline=Deadline.after(5)
    )

    assert fetched.records[0].data["text"] == "# ok"
    assert len(waits) == 1


def test_a_runbook_url_timing_out_is_a_timeout_gap(waits):
    router = respx.MockRouter(assert_all_called=False)
    router.get(URL).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(HttpError) as caught:
        Runbooks(transport=mocked(router), url_guard=WIKI).fetch(
            scope(ServiceRef(name="ledger-api", runbook=URL)), deadline=Deadline.after(5)
        )

    assert caught.value.reason == "timeout"


def test_a_failed_url_does_not_hide_a_runbook_that_was_read(runbooks_dir, waits):
    router = respx.MockRouter(assert_all_called=False)
    router.get(URL).respond(403)

    fetched = Runbooks(runbooks_dir, transport=mocked(router), url_guard=WIKI).fetch(
        scope(
            ServiceRef(name="ledger-api", runbook=URL),
            ServiceRef(name="billing-webhooks", runbook="payments/billing-webhooks.md"),
        ),
        deadline=Deadline.after(5),
    )

    assert [r.service for r in fetched.records] == ["billing-webhooks"]
    assert f"runbook {URL} of ledger-api" in fetched.note


def test_file_runbooks_without_a_directory_are_not_configured():
    with pytest.raises(NotConfigured, match="RUNBOOKS_DIR"):
        Runbooks().fetch(scope(ServiceRef(name="svc", runbook="svc.md")), deadline=Deadline.after(5))


def test_from_env_refuses_a_directory_that_does_not_exist(tmp_path):
    with pytest.raises(NotConfigured, match="RUNBOOKS_DIR"):
        Runbooks.from_env({"RUNBOOKS_DIR": str(tmp_path / "missing")})


def test_from_env_without_a_directory_still_reads_urls(runbooks_dir):
    assert Runbooks.from_env({}).directory is None
    assert Runbooks.from_env({"RUNBOOKS_DIR": str(runbooks_dir)}).directory == runbooks_dir


@pytest.mark.parametrize(
    "url, guard, why",
    [
        (URL, UrlGuard([], resolve=lambda h, p: ["93.184.216.34"]), "wiki.example.net is not in RUNBOOK_HOSTS"),
        (URL, UrlGuard(["other.example.net"], resolve=lambda h, p: ["93.184.216.34"]), "not in RUNBOOK_HOSTS"),
        (URL, UrlGuard([".example.net"], resolve=lambda h, p: ["127.0.0.1"]), "inside address (127.0.0.1)"),
        (URL, UrlGuard([".example.net"], resolve=lambda h, p: ["93.184.216.34", "10.0.0.7"]), "(10.0.0.7)"),
        (URL, UrlGuard([".example.net"], resolve=lambda h, p: ["fd00::1"]), "inside address"),
        ("http://169.254.169.254/latest/meta-data", UrlGuard(["169.254.169.254"]), "inside address"),
    ],
)
def test_a_runbook_url_off_the_allow_list_or_inside_the_network_is_never_fetched(url, guard, why):
    router = respx.MockRouter(assert_all_called=False)
    route = router.route().respond(200, text="# secret admin page")

    with pytest.raises(HttpError) as caught:
        Runbooks(transport=mocked(router), url_guard=guard).fetch(
            scope(ServiceRef(name="ledger-api", runbook=url)), deadline=Deadline.after(5)
        )

    assert why in str(caught.value) and not route.called


def test_only_http_and_https_urls_pass_the_guard():
    with pytest.raises(HttpError, match="not an http"):
        WIKI.check("ftp://wiki.example.net/ledger.md")
    WIKI.check(URL)


def test_the_allow_list_comes_from_the_environment():
    guard = UrlGuard.from_env("RUNBOOK_HOSTS", {"RUNBOOK_HOSTS": "wiki.acme.com, .docs.acme.com"})
    assert guard.allows_host("wiki.acme.com") and guard.allows_host("ops.docs.acme.com")
    assert not guard.allows_host("acme.com.evil.net") and not guard.allows_host("docs.acme.com")
