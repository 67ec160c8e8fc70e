import pytest
from django.core.management import call_command

from incidentdesk.audit import audit_append, audit_chain_status, audit_check_full, audit_verify
from incidentdesk.models import AuditCheck, AuditEntry
from incidentdesk.tasks import audit_check

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


def _rechain_from(seq: int) -> None:
    """What someone with database access would do: edit an entry, recompute every hash after it."""
    from incidentdesk.audit import _digest
    from incidentdesk.models import AuditHead

    entries = list(AuditEntry.objects.filter(seq__gte=seq).order_by("seq"))
    prev = AuditEntry.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    for entry in entries:
        actor = "mallory" if entry.seq == seq else entry.actor
        digest = _digest(prev_hash=prev, seq=entry.seq, at=entry.at, actor=actor, action=entry.action,
                         run_id=entry.run_id, service=entry.service, detail=entry.detail,
                         touches_customer_data=entry.touches_customer_data)
        AuditEntry.objects.filter(pk=entry.pk).update(actor=actor, prev_hash=prev, hash=digest)
        prev = digest
    AuditHead.objects.filter(pk=1).update(hash=prev)


def test_a_chain_cut_short_with_its_head_moved_back_is_found_by_the_next_walk():
    from incidentdesk.models import AuditHead

    _entries(6)
    assert audit_check_full().ok
    AuditEntry.objects.filter(seq__gt=4).delete()
    AuditHead.objects.filter(pk=1).update(seq=4, hash=AuditEntry.objects.get(seq=4).hash)

    check = audit_check_full()

    assert not check.ok and "cut short" in check.problem and "found 6 entries" in check.problem


def test_a_chain_re_chained_after_an_edit_is_found_by_the_next_walk():
    _entries(6)
    assert audit_check_full().ok
    _rechain_from(2)

    check = audit_check_full()

    assert not check.ok and check.broken_seq == 6 and "re-chained" in check.problem


def test_with_a_key_the_walks_are_sealed_and_a_rewritten_walk_is_found(settings):
    settings.AUDIT_ANCHOR_KEY = "anchor-key-from-the-environment"
    _entries(6)
    first = audit_check_full()
    assert first.ok and len(first.seal) == 64
    _rechain_from(2)
    # ...and rewrite the kept walk too, but without the key its seal cannot be made.
    AuditCheck.objects.filter(pk=first.pk).update(through_hash=AuditEntry.objects.get(seq=6).hash)

    check = audit_check_full()

    assert not check.ok and "not sealed by AUDIT_ANCHOR_KEY" in check.problem


def test_a_float_in_a_detail_still_verifies_after_the_database_rewrites_numbers():
    audit_append(actor="desk", action="x", detail={"big": 1e16, "ratio": 0.1, "nested": [2.5e-7]})
    entry = AuditEntry.objects.get()
    assert entry.detail == {"big": "1e+16", "ratio": "0.1", "nested": ["2.5e-07"]}
    assert audit_verify().ok
