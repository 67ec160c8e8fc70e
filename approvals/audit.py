"""Writing and verifying the hash-chained audit trail."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from approvals.models import AuditEntry, AuditHead
from incidentdesk import clock

GENESIS = "0" * 64


def _digest(*, prev_hash: str, seq: int, at: datetime, actor: str, action: str, run_id: int | None,
            service: str, detail: dict, touches_customer_data: bool) -> str:
    canonical = json.dumps(
        {
            "prev": prev_hash,
            "seq": seq,
            "at": at.isoformat(),
            "actor": actor,
            "action": action,
            "run": run_id,
            "service": service,
            "detail": detail,
            "customer_data": touches_customer_data,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def audit_append(
    *,
    actor: str,
    action: str,
    run_id: int | None = None,
    service: str = "",
    detail: dict | None = None,
    touches_customer_data: bool = False,
) -> AuditEntry:
    """Append one entry after the current head. Joins the caller's transaction."""
    detail = json.loads(json.dumps(detail or {}, default=str))  # what is hashed is what is stored
    at = clock.now()
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        seq = head.seq + 1
        digest = _digest(prev_hash=head.hash, seq=seq, at=at, actor=actor, action=action, run_id=run_id,
                         service=service, detail=detail, touches_customer_data=touches_customer_data)
        entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, run_id=run_id, service=service,
                           detail=detail, touches_customer_data=touches_customer_data,
                           prev_hash=head.hash, hash=digest)
        entry.save()
        AuditHead.objects.filter(pk=1).update(seq=seq, hash=digest)
    return entry


@dataclass(frozen=True)
class ChainStatus:
    ok: bool
    checked: int
    broken_seq: int | None = None
    problem: str = ""


def audit_verify(batch_size: int = 2000) -> ChainStatus:
    """Walk the chain from the first entry; report the first entry whose link or content is wrong."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=batch_size):
        if entry.seq != expected_seq:
            return ChainStatus(False, checked, entry.seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return ChainStatus(False, checked, entry.seq, "its previous-hash link does not match")
        digest = _digest(prev_hash=entry.prev_hash, seq=entry.seq, at=entry.at, actor=entry.actor,
                         action=entry.action, run_id=entry.run_id, service=entry.service,
                         detail=entry.detail, touches_customer_data=entry.touches_customer_data)
        if digest != entry.hash:
            return ChainStatus(False, checked, entry.seq, "its content does not match its hash")
        prev_hash = entry.hash
        expected_seq += 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head and head.seq != checked:
        return ChainStatus(False, checked, checked + 1, f"the head says {head.seq} entries, found {checked}")
    return ChainStatus(True, checked)
