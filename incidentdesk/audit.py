"""Writing and verifying the hash-chained audit trail.

A chain alone can be cut short (delete the last entries, move the head back) or re-chained (edit
an entry and recompute every hash after it) without a broken link. So each kept walk is an
anchor: it records how far the chain went and the hash there, and every later walk checks
that the chain still reaches that far with that hash. With AUDIT_ANCHOR_KEY set, each anchor is
sealed with an HMAC, so rewriting the anchors too needs the key.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db import transaction

from incidentdesk import clock
from incidentdesk.models import AuditCheck, AuditEntry, AuditHead

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
    """Append one entry after the current head. Joins the caller's transaction.

    The head row stays locked until that transaction ends, so a writer takes the rows it changes
    first (grouping locks its candidate runs up front, a packet build its run, a decision its
    proposal) and appends after: holding the head, it never waits for another row, and two
    writers cannot wait for each other (tests/reliability/test_audit_concurrency.py).
    """
    # What is hashed is what is stored, and what the database gives back: a float becomes its text,
    # since jsonb rewrites numbers (1e16 comes back as 10000000000000000).
    detail = json.loads(json.dumps(detail or {}, default=str), parse_float=str)
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
    through_seq: int = 0  # the last entry found intact
    through_hash: str = GENESIS
    full_check: "AuditCheck | None" = None  # the walk of the whole chain this status builds on
    checked_since: int = 0  # entries added after that walk, checked now


def audit_verify(
    *, after: tuple[int, str] = (0, GENESIS), batch_size: int = 2000, anchors: list[AuditCheck] | None = None
) -> ChainStatus:
    """Walk the chain from the entry after `after` (its seq and hash); report the first wrong entry,
    or an anchor (a kept walk) the chain no longer matches: cut short, or re-chained.

    `checked` counts the entries walked here, not those before `after`. By default every kept
    walk that found the chain intact is an anchor.
    """
    if anchors is None:
        anchors = list(AuditCheck.objects.filter(ok=True, finished_at__isnull=False).order_by("through_seq"))
    unsealed = next((a for a in anchors if not _seal_ok(a)), None)
    if unsealed is not None:
        return ChainStatus(False, 0, unsealed.through_seq or None,
                           f"the walk of {unsealed.finished_at:%Y-%m-%d %H:%M} UTC is not sealed by AUDIT_ANCHOR_KEY")
    at_seq = {a.through_seq: a for a in anchors if a.through_seq > after[0]}
    through_seq, prev_hash = after
    checked = 0
    for entry in AuditEntry.objects.filter(seq__gt=through_seq).order_by("seq").iterator(chunk_size=batch_size):
        broken = _link_problem(entry, expected_seq=through_seq + 1, prev_hash=prev_hash)
        anchor = at_seq.get(entry.seq)
        if not broken and anchor is not None and anchor.through_hash != entry.hash:
            broken = f"it no longer matches the walk of {anchor.finished_at:%Y-%m-%d %H:%M} UTC: re-chained"
        if broken:
            return ChainStatus(False, checked, entry.seq, broken, through_seq, prev_hash)
        through_seq, prev_hash = entry.seq, entry.hash
        checked += 1
    beyond = [a for a in at_seq.values() if a.through_seq > through_seq]
    if beyond:
        longest = max(beyond, key=lambda a: a.through_seq)
        return ChainStatus(False, checked, through_seq + 1,
                           f"the chain ends at {through_seq}, but the walk of {longest.finished_at:%Y-%m-%d %H:%M} "
                           f"UTC found {longest.through_seq} entries: cut short", through_seq, prev_hash)
    head = AuditHead.objects.filter(pk=1).first()
    if head and head.seq != through_seq:
        return ChainStatus(False, checked, through_seq + 1, f"the head says {head.seq} entries, found {through_seq}",
                           through_seq, prev_hash)
    return ChainStatus(True, checked, through_seq=through_seq, through_hash=prev_hash)


def seal(seq: int, digest: str) -> str:
    """The anchor's HMAC with AUDIT_ANCHOR_KEY, or "" when no key is set."""
    key = settings.AUDIT_ANCHOR_KEY
    if not key:
        return ""
    return hmac.new(key.encode(), f"{seq}:{digest}".encode(), hashlib.sha256).hexdigest()


def _seal_ok(anchor: AuditCheck) -> bool:
    expected = seal(anchor.through_seq, anchor.through_hash)
    return not expected or hmac.compare_digest(expected, anchor.seal)


def _link_problem(entry: AuditEntry, *, expected_seq: int, prev_hash: str) -> str:
    if entry.seq != expected_seq:
        return f"entry {expected_seq} is missing"
    if entry.prev_hash != prev_hash:
        return "its previous-hash link does not match"
    digest = _digest(prev_hash=entry.prev_hash, seq=entry.seq, at=entry.at, actor=entry.actor,
                     action=entry.action, run_id=entry.run_id, service=entry.service,
                     detail=entry.detail, touches_customer_data=entry.touches_customer_data)
    if digest != entry.hash:
        return "its content does not match its hash"
    return ""


def audit_check_full() -> AuditCheck:
    """Walk the whole chain and keep the result (beat runs this; so does `verify_audit`)."""
    started = clock.now()
    status = audit_verify()
    return AuditCheck.objects.create(
        started_at=started, finished_at=clock.now(), ok=status.ok, checked=status.checked,
        through_seq=status.through_seq, through_hash=status.through_hash,
        broken_seq=status.broken_seq, problem=status.problem[:200],
        seal=seal(status.through_seq, status.through_hash) if status.ok else "",
    )


def audit_chain_status() -> ChainStatus:
    """The chain as a page shows it: the last full walk, and the entries added since checked now.

    A page never walks the whole chain, which grows with every run: an entry older than the
    last full walk that is changed afterwards is found by the next one (`AUDIT_CHECK_INTERVAL_SECONDS`).
    With no walk yet, one is made here.
    """
    full = AuditCheck.objects.filter(finished_at__isnull=False).order_by("-finished_at", "-pk").first()
    if full is None:
        full = audit_check_full()
    if not full.ok:
        return ChainStatus(False, full.checked, full.broken_seq, full.problem, full.through_seq,
                           full.through_hash, full_check=full)
    since = audit_verify(after=(full.through_seq, full.through_hash), anchors=[])
    return replace(since, checked=full.checked + since.checked, checked_since=since.checked, full_check=full)
