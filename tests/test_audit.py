import pytest
from django.core.management import call_command

from approvals.audit import audit_append, audit_chain_status, audit_check_full, audit_verify
from approvals.models import AuditCheck, AuditEntry
from approvals.tasks import audit_check

pytestmark = pytest.mark.django_db


def test_an_intact_chain_verifies():
    for n in range(5):
        audit_append(actor="desk", action="source.read", run_id=1, detail={"n": n})
    status = audit_verify()
    assert status.ok and status.checked == 5


def test_verify_audit_names_the_row_edited_in_the_database(capsys):
    for n in range(5):
        audit_append(actor="desk", action="source.read", run_id=1, detail={"n": n})
    AuditEntry.objects.filter(seq=3).update(actor="mallory")  # bypasses the model, as a DB edit would
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit")
    assert exit_info.value.code == 1
    assert "broken at entry 3" in capsys.readouterr().out


def test_a_deleted_row_is_found():
    for n in range(4):
        audit_append(actor="desk", action="x", detail={"n": n})
    AuditEntry.objects.filter(seq=2).delete()  # a queryset delete, as a DB edit would
    status = audit_verify()
    assert not status.ok and status.broken_seq == 3


def test_the_model_refuses_updates_and_deletes():
    entry = audit_append(actor="desk", action="x")
    entry.actor = "someone"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def _entries(count: int) -> None:
    for n in range(count):
        audit_append(actor="desk", action="source.read", run_id=1, detail={"n": n})


def test_a_page_checks_only_what_was_added_since_the_last_whole_walk():
    _entries(5)
    walk = audit_check_full()
    assert walk.ok and walk.through_seq == 5
    _entries(3)

    status = audit_chain_status()
    assert status.ok and status.checked == 8 and status.checked_since == 3 and status.full_check == walk

    # An entry added after the walk and edited is found on the next page load...
    AuditEntry.objects.filter(seq=7).update(actor="mallory")
    status = audit_chain_status()
    assert not status.ok and status.broken_seq == 7
    assert "content" in status.problem


def test_an_old_entry_edited_after_the_walk_is_found_by_the_next_walk_and_then_shown_on_every_page():
    _entries(5)
    audit_check_full()
    AuditEntry.objects.filter(seq=2).update(detail={"n": 99})
    assert audit_chain_status().ok  # the page trusts the last walk for entries before it

    walk = audit_check_full()
    assert not walk.ok and walk.broken_seq == 2
    status = audit_chain_status()
    assert not status.ok and status.broken_seq == 2 and status.full_check == walk
    _entries(1)
    assert not audit_chain_status().ok, "a broken chain stays broken whatever is added after"


def test_with_no_walk_yet_the_page_makes_one_and_the_beat_task_makes_more():
    _entries(2)
    assert not AuditCheck.objects.exists()
    assert audit_chain_status().ok
    assert AuditCheck.objects.count() == 1
    audit_check.apply()
    assert AuditCheck.objects.count() == 2 and AuditCheck.objects.order_by("-pk").first().checked == 2
