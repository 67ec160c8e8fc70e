import pytest
from django.core.management import call_command

from approvals.audit import audit_append, audit_verify
from approvals.models import AuditEntry

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
