"""The policy file: read into typed rules, every problem named by file, line and key, and what
an edit changes (a packet's severity, an action's decision), through the desk's own paths."""

import subprocess
import sys
from pathlib import Path

import pytest

from approvals.actions import ACTIONS
from approvals.checks import action_registry_check
from incidentdesk.policy import DESK_ACTIONS, SHIPPED, PolicyError, parse_policy, shipped_policy
from incidentdesk.services.packets import packet_build
from tests.views.builders import finished_run

ROOT = Path(__file__).resolve().parents[1]
TEXT = SHIPPED.read_text()


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def problem(text: str) -> str:
    with pytest.raises(PolicyError) as failure:
        parse_policy(text, "desk.yaml")
    return str(failure.value)


def test_the_shipped_file_holds_a_rule_for_every_desk_action_and_every_registered_action():
    policy = shipped_policy()
    assert set(DESK_ACTIONS) <= set(policy.actions)
    assert policy.production_actions == set(ACTIONS)
    assert policy.severity.sev1.error_rate == {1: 0.25}
    assert policy.actions["rollback"].approvals_at_sev1 == 2


def test_a_typo_in_a_key_names_the_file_the_line_and_the_keys_known_there():
    text = TEXT.replace("    multiplier: 1.5", "    multiplyer: 1.5")
    message = problem(text)
    assert message.startswith(f"desk.yaml:{line_of(text, 'multiplyer')}: severity.sev3.multiplyer: unknown key")
    assert "known here: multiplier, sustained_minutes" in message


def test_a_wrong_type_is_named():
    text = TEXT.replace("    approvals_at_sev1: 2", "    approvals_at_sev1: two")
    assert problem(text) == (
        f"desk.yaml:{line_of(text, 'approvals_at_sev1')}: actions.rollback.approvals_at_sev1: "
        "must be a whole number of 1 or more, not 'two'"
    )


def test_an_error_rate_written_as_a_percentage_is_refused():
    text = TEXT.replace("error_rate: {1: 0.25}", "error_rate: {1: 25}")
    assert "severity.sev1.error_rate.1: must be a fraction between 0 and 1 (0.05 is 5%), not 25" in problem(text)


def test_a_missing_rule_for_what_the_desk_does_itself_is_an_error():
    text = TEXT.replace(
        "  post_summary:\n    decision: allow\n    rule: posting-the-summary-is-allowed\n", ""
    )
    assert problem(text).endswith("actions: missing post_summary")


def test_a_registered_action_without_a_rule_fails_the_check(edit_policy):
    path = edit_policy(
        ("  restart:\n    decision: needs_approval\n    rule: production-changes-need-an-owner\n    approvals: 1\n", "")
    )
    errors = action_registry_check()
    assert [(e.id, e.msg) for e in errors] == [("approvals.E001", f"the action 'restart' has no rule in {path}")]


def test_a_rule_for_an_action_the_desk_does_not_know_fails_the_check(edit_policy):
    path = edit_policy(("  scale:\n", "  drop_database:\n    decision: deny\n    rule: never\n  scale:\n"))
    errors = action_registry_check()
    assert [e.id for e in errors] == ["approvals.E003"]
    assert errors[0].msg.startswith(f"{path}: actions.drop_database: the desk has no such action")


def test_an_action_name_that_is_not_a_name_is_an_error():
    text = TEXT.replace("  scale:\n", "  Drop Database:\n    decision: deny\n    rule: never\n  scale:\n")
    message = problem(text)
    assert f":{line_of(text, 'Drop Database')}: actions.Drop Database: an action name is lower_case" in message


def test_needs_approval_without_a_number_of_approvals_is_an_error():
    text = TEXT.replace("  scale:\n    decision: needs_approval\n    rule: production-changes-need-an-owner\n"
                        "    approvals: 1\n", "  scale:\n    decision: needs_approval\n"
                        "    rule: production-changes-need-an-owner\n")
    assert problem(text).endswith("actions.scale: missing approvals")


def test_a_file_that_is_not_yaml_names_its_line():
    assert problem(TEXT + "\n  - nope: [\n").startswith("desk.yaml:")


@pytest.mark.django_db
def test_editing_a_threshold_changes_the_severity_of_a_packet(catalog, edit_policy):
    run = finished_run()
    assert packet_build(run=run).data["severity"] == "sev2"  # 8.7% on a tier-1 service

    edit_policy(("error_rate: {1: 0.25}", "error_rate: {1: 0.08}"))
    stricter = packet_build(run=run).data

    assert stricter["severity"] == "sev1" and ">= 8%" in stricter["severity_basis"]


def test_manage_py_check_reports_the_policy_file_and_fails(tmp_path):
    bad = tmp_path / "policy.yaml"
    bad.write_text(TEXT.replace("approval_expiry_minutes: 60", "approval_expiry_minutes: soon"))
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", "DESK_POLICY_FILE": str(bad)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert f"{bad}:{line_of(bad.read_text(), 'approval_expiry_minutes')}: approval_expiry_minutes" in result.stderr
    assert "incidentdesk.E001" in result.stderr
