"""What a deploy shipped: its pull request, or the compare of a deploy that had none; and who owns it."""

import json
from datetime import timedelta

from incidentdesk.analysis.content import change_key, deploy_change_key
from incidentdesk.analysis.inputs import Gap
from incidentdesk.analysis.packet import build_packet
from incidentdesk.evals.scoring import check_citations, check_structure
from tests.analysis.builders import ONSET, Evidence, catalog, run

PREV, SHA = "b" * 40, "a" * 40
SPAN = "bbbbbbb...aaaaaaa"
PARSER_PATCH = (
    "@@ -10,4 +10,4 @@ def parse_event(raw):\n"
    "-    cid = raw.get('customer')\n"
    "+    cid = raw['customer_ref']\n"
)
DROP_PATCH = "@@ -0,0 +1,3 @@\n+ALTER TABLE invoices DROP COLUMN legacy_ref;\n"


def packet(ev: Evidence, gaps: list[Gap] | None = None) -> dict:
    return build_packet(run=run(), catalog=catalog(), evidence=ev.items, gaps=gaps or [])


def failing_parser(ev: Evidence) -> str:
    ev.metric("svc-front", "error_rate", 0.003, 0.09)
    ev.metric("svc-front", "latency_p99_ms", 200, 210, seed=2)
    return ev.error(
        "e-1",
        "svc-front",
        "KeyError: 'customer_ref'",
        ONSET + timedelta(seconds=30),
        [("app/views.py", "receive"), ("app/parser.py", "parse_event")],
    )


def test_a_deploy_without_a_pr_whose_compare_touches_the_failing_frame_is_high() -> None:
    ev = Evidence()
    failing_parser(ev)
    change = ev.compare(PREV, SHA, "org/svc-front", [("app/parser.py", PARSER_PATCH)], deploy="dep-a")
    dep = ev.deploy("dep-a", "svc-front", ONSET - timedelta(minutes=9), pr=None)

    p = packet(ev)

    top = p["hypotheses"][0]
    assert (top["kind"], top["ref"], top["confidence"]) == ("deploy", "dep-a", "high")
    assert {dep, change} <= set(top["evidence"])
    assert SPAN in top["summary"] and "app/parser.py" in top["summary"]
    assert p["next_actions"][0]["text"] == f"Review app/parser.py change in {SPAN}"
    rollback = next(a for a in p["requires_approval"] if a["action"] == "rollback")
    assert rollback == {**rollback, "target": "dep-a", "safe": True}
    assert "PR None" not in json.dumps(p)
    assert check_structure(p).passed and check_citations(p).passed


def test_a_compare_without_a_deploy_field_links_by_the_deployed_sha() -> None:
    ev = Evidence()
    failing_parser(ev)
    ev.compare(PREV, SHA, "org/svc-front", [("app/parser.py", PARSER_PATCH)])
    ev.deploy("dep-a", "svc-front", ONSET - timedelta(minutes=9))

    p = packet(ev)

    top = p["hypotheses"][0]
    assert (top["ref"], top["confidence"]) == ("dep-a", "high")
    assert any(a["text"] == f"Review app/parser.py change in {SPAN}" for a in p["next_actions"])


def test_a_compare_belongs_only_to_the_deploy_it_names() -> None:
    ev = Evidence()
    failing_parser(ev)
    # dep-old shipped the same sha earlier; the compare is dep-new's.
    ev.compare(PREV, SHA, "org/svc-front", [("app/parser.py", PARSER_PATCH)], deploy="dep-new")
    ev.deploy("dep-old", "svc-front", ONSET - timedelta(minutes=30))
    ev.deploy("dep-new", "svc-front", ONSET - timedelta(minutes=9))

    p = packet(ev)

    assert p["hypotheses"][0]["ref"] == "dep-new"
    old = next(h for h in p["hypotheses"] if h["ref"] == "dep-old")
    assert old["confidence"] != "high" and SPAN not in old["summary"]


def test_compares_and_prs_without_numbers_never_share_a_key() -> None:
    first = {"number": None, "compare": f"{PREV}...{SHA}", "deploy": "d-1"}
    second = {"number": None, "compare": f"{SHA}...{'c' * 40}", "deploy": "d-2"}
    changes = {change_key(first): first, change_key(second): second, "71": {"number": 71}}

    assert len(changes) == 3
    assert deploy_change_key({"id": "d-2", "sha": "c" * 40, "pull_request": None}, changes) == change_key(
        second
    )
    assert deploy_change_key({"id": "d-9", "sha": "d" * 40, "pull_request": None}, changes) is None
    assert deploy_change_key({"id": "d-1", "sha": SHA, "pull_request": 71}, changes) == "71"


def test_a_destructive_migration_in_a_compare_makes_its_rollback_unsafe() -> None:
    ev = Evidence()
    failing_parser(ev)
    ev.compare(
        PREV,
        SHA,
        "org/svc-front",
        [("app/parser.py", PARSER_PATCH), ("db/migrations/0042_drop.sql", DROP_PATCH)],
        deploy="dep-a",
    )
    ev.deploy("dep-a", "svc-front", ONSET - timedelta(minutes=9))

    p = packet(ev)

    rollback = next(a for a in p["requires_approval"] if a["action"] == "rollback")
    assert rollback["safe"] is False
    assert rollback["reason"].startswith(f"{SPAN} runs a destructive migration")


def test_code_owners_of_the_matched_file_are_named_in_the_next_action() -> None:
    ev = Evidence()
    failing_parser(ev)
    ev.pull_request(
        71,
        "org/svc-front",
        [("app/parser.py", PARSER_PATCH), ("app/limits.py", "@@ -1 +1 @@\n-a = 1\n+a = 2\n")],
        owners={"app/parser.py": ["@org/parsers", "@ana"], "app/limits.py": ["@org/limits"]},
    )
    ev.deploy("dep-a", "svc-front", ONSET - timedelta(minutes=9), pr=71)

    p = packet(ev)

    assert p["hypotheses"][0]["confidence"] == "high"
    assert (
        p["next_actions"][0]["text"]
        == "Review app/parser.py change in PR 71 (code owners: @org/parsers, @ana)"
    )
    assert "@org/parsers" in p["text"]
    # Code owners say who to ask about the file; the incident still belongs to the service's team.
    assert p["owner"]["team"] == "team-alpha"


def test_code_owners_of_a_compare_file_are_named_too() -> None:
    ev = Evidence()
    failing_parser(ev)
    ev.compare(
        PREV,
        SHA,
        "org/svc-front",
        [("app/parser.py", PARSER_PATCH)],
        deploy="dep-a",
        owners={"app/parser.py": ["@org/parsers"]},
    )
    ev.deploy("dep-a", "svc-front", ONSET - timedelta(minutes=9))

    p = packet(ev)

    assert (
        p["next_actions"][0]["text"] == f"Review app/parser.py change in {SPAN} (code owners: @org/parsers)"
    )


def test_without_code_owners_or_a_matched_file_the_action_names_no_owners() -> None:
    ev = Evidence()
    failing_parser(ev)
    ev.pull_request(71, "org/svc-front", [("app/parser.py", PARSER_PATCH)], owners={})
    ev.deploy("dep-a", "svc-front", ONSET - timedelta(minutes=9), pr=71)
    assert packet(ev)["next_actions"][0]["text"] == "Review app/parser.py change in PR 71"

    ev = Evidence()
    failing_parser(ev)
    # Not in the failing stack: timing alone, so the owners of what it touched are not the people to ask.
    ev.pull_request(
        72,
        "org/svc-front",
        [("app/other.py", "@@ -1 +1 @@\n-b = 1\n+b = 2\n")],
        owners={"app/other.py": ["@org/x"]},
    )
    ev.deploy("dep-b", "svc-front", ONSET - timedelta(minutes=9), pr=72)
    p = packet(ev)
    assert "@org/x" not in json.dumps(p["next_actions"])
