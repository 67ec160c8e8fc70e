"""The draft's parts that need no database: the audit trail told, packet versions, Markdown text."""

from datetime import UTC, datetime, timedelta

import pytest

from incidentdesk.postmortem.content import AuditRecord, Entry, Link
from incidentdesk.postmortem.markdown import md_entry, md_link, md_text
from incidentdesk.postmortem.packets import PacketVersion, packet_entries
from incidentdesk.postmortem.trail import trail_checks, trail_entries, trail_tickets

T0 = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)
ROLLBACK = {"proposal": 7, "action": "rollback", "target": "d-77"}


def record(minute: int, event: str, actor: str = "desk", **detail) -> AuditRecord:
    return AuditRecord(T0 + timedelta(minutes=minute), actor, event, detail)


def test_every_decision_and_outcome_of_a_proposal_is_told_with_who():
    records = [
        record(1, "proposal.proposed", approvals_required=2, safe=False, safety_reason="migration", **ROLLBACK),
        record(2, "proposal.approval", "abe", approvals=1, approvals_required=2, comment="", **ROLLBACK),
        record(3, "proposal.rejected", "alice", reason="not the cause", **ROLLBACK),
        record(4, "proposal.expired", **ROLLBACK),
        record(5, "proposal.stopped", reason="the policy now denies rollback", **ROLLBACK),
        record(6, "proposal.failed", reason="error", detail="HTTP 500", **ROLLBACK),
        record(7, "proposal.outcome_unknown", detail="no answer; check the workflow runs", **ROLLBACK),
        record(8, "proposal.executed", dry_run=True, summary="recorded the dispatch", **ROLLBACK),
        record(9, "proposal.superseded", **ROLLBACK),  # noise: the next packet asked again
    ]

    assert [e.text for e in trail_entries(records)] == [
        "Roll back d-77 proposed by the desk, marked unsafe: migration, needs 2 approvals",
        "Roll back d-77 approved by abe (1 of 2)",
        "Roll back d-77 rejected by alice: not the cause",
        "Roll back d-77 expired",
        "Roll back d-77 stopped before running: the policy now denies rollback",
        "Roll back d-77 failed (error): HTTP 500",
        "Roll back d-77: outcome unknown: no answer; check the workflow runs",
        "Roll back d-77 carried out by the desk: recorded the dispatch (dry run: recorded, not sent)",
    ]
    assert [e.text for e in trail_checks(records)] == [
        "Roll back d-77 failed: decide whether it is still needed",
        "Check whether Roll back d-77 took effect: no answer; check the workflow runs",
    ]


def test_the_packet_post_is_told_once_and_a_failed_ticket_has_no_link():
    records = [
        record(1, "summary.posted", channel="#checkout", version=1, state="sent"),
        record(2, "summary.posted", channel="#checkout", version=2, state="sent"),
        record(3, "ticket.failed", "alice", outcome="error: HTTP 502", url=""),
        record(4, "ticket.created", "alice", url="https://github.com/acme/checkout/issues/3", state="sent"),
        record(5, "run.resolved", reason="", title="Monitor recovered"),
        record(6, "run.reopened", title="Monitor alerting again"),
    ]

    assert [(e.text, e.links) for e in trail_entries(records)] == [
        ("Packet v1 posted to #checkout", ()),
        ("Opening the incident ticket failed: error: HTTP 502", ()),
        ("Incident ticket opened by alice", (Link("https://github.com/acme/checkout/issues/3",
                                                  "https://github.com/acme/checkout/issues/3"),)),
        ("Resolved by the vendor's event: Monitor recovered", ()),
        ("Reopened by a vendor's event: Monitor alerting again", ()),
    ]
    assert [e.links[0].url for e in trail_tickets(records)] == ["https://github.com/acme/checkout/issues/3"]


def version(n: int, *, complete: bool = True, severity: str = "sev2", kind: str = "deploy",
            confidence: str = "high") -> PacketVersion:
    return PacketVersion(n, T0 + timedelta(minutes=n), complete, severity,
                         {"kind": kind, "ref": None if kind == "unknown" else "d-77", "confidence": confidence})


def test_packet_versions_that_changed_only_details_are_left_out():
    versions = [version(1, complete=False, kind="unknown", confidence="low"), version(2, complete=False),
                version(3, complete=False), version(4), version(5), version(6, severity="sev1"),
                version(7, severity="sev1")]

    assert [e.text for e in packet_entries(versions)] == [
        "Packet v1, sources still answering: severity sev2; first hypothesis Not known (low)",
        "Packet v2, sources still answering: severity sev2; first hypothesis Deploy d-77 (high)",
        "Packet v4, the first complete: severity sev2; first hypothesis Deploy d-77 (high)",
        "Packet v6: severity sev1; first hypothesis Deploy d-77 (high)",
        "Packet v7: severity sev1; first hypothesis Deploy d-77 (high)",
    ]


@pytest.mark.parametrize(("text", "markdown"), [
    ("# not a heading", r"\# not a heading"),
    ("> not a quote", r"\> not a quote"),
    ("- not an item", r"\- not an item"),
    ("+ not an item", r"\+ not an item"),
    ("12. not numbered", r"12\. not numbered"),
    ("3) not numbered", r"3\) not numbered"),
    ("=== not a heading line", r"\=== not a heading line"),
    ("*a* _b_ `c` ~~d~~ |e|", r"\*a\* \_b\_ \`c\` \~\~d\~\~ \|e\|"),
    ("![img](https://t.example/p.png) [a](javascript:x) <b>",
     r"!\[img\](https://t.example/p.png) \[a\](javascript:x) \<b\>"),
    ("a \\ b", r"a \\ b"),
    ("one\nline\r\n\u2028only", "one line only"),
    ("bidi\u202eflip\x00\x1b", "bidiflip"),
])
def test_text_keeps_to_its_line_and_carries_no_markup(text, markdown):
    assert md_text(text) == markdown


def test_long_text_is_cut_short():
    assert md_text("x" * 600) == "x" * 499 + "…"


@pytest.mark.parametrize(("url", "markdown"), [
    ("https://ok.example/a b(c)<d>\"e", '[label](https://ok.example/a%20b%28c%29%3Cd%3E%22e)'),
    ("HTTP://ok.example/?q=1&r=[2]#top", "[label](HTTP://ok.example/?q=1&r=[2]#top)"),
    ("javascript:alert(1)", "label"),
    ("data:text/html,<b>", "label"),
    ("//ok.example/x", "label"),
    ("", "label"),
])
def test_only_plain_web_links_become_links(url, markdown):
    assert md_link("label", url) == markdown


def test_an_entry_is_its_text_then_its_links():
    entry = Entry("See [this]", links=(Link("PR *1*", "https://ok.example/1"), Link("bad", "ftp://x")))

    assert md_entry(entry) == r"See \[this\] [PR \*1\*](https://ok.example/1) bad"
