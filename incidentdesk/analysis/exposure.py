"""Personal data in runtime evidence: where it shows up, since when, and which change let it out."""

import re
from datetime import datetime, timedelta

from incidentdesk.analysis.content import deploy_change_key
from incidentdesk.analysis.inputs import EvidenceItem
from incidentdesk.analysis.timeutil import parse_time

RUNTIME_SOURCES = frozenset({"logs", "errors"})
# Redaction kinds that are credentials rather than someone's personal data.
_SECRET_PARTS = ("token", "key", "secret", "password", "pass", "credential", "cookie", "session", "bearer")

_LOG_CALL = re.compile(
    r"(?:\blog(?:ger)?|\blogging|\bconsole|\bprint(?:ln|f)?|\bputs|\bslog)\b[\w.]*\s*\(", re.I
)
# Arguments that hand a whole inbound document to the logger rather than chosen fields
# (`payload`, `request.json`; not `payload.id` or `payload["id"]`).
_WHOLE_PAYLOAD = re.compile(
    r"\b(?:payload|body|request|req|params|form|headers|submission|applicant|customer|profile|pii"
    r"|request\.(?:json|data|body|form|POST)|req\.body|request_body)\b(?![\w.\[])",
    re.I,
)
_SENDS_PII = re.compile(
    r"send_?default_?pii\s*[=:]\s*true|max_request_body_size\s*[=:]\s*[\"']?always"
    r"|(?:log|capture|include|attach)_?(?:request_?)?bod(?:y|ies)\s*[=:]\s*true",
    re.I,
)
_SCRUBBER = re.compile(r"before_send|scrub|redact|sanitiz|mask_|_mask|denylist|filter_pii|strip_pii", re.I)


def is_personal(kind: str) -> bool:
    lowered = kind.lower()
    return not any(part in lowered for part in _SECRET_PARTS)


def personal_kinds(item: EvidenceItem) -> list[str]:
    return [k for k in item.redactions if is_personal(k)]


def exposure_records(items: list[EvidenceItem], services: set[str]) -> list[EvidenceItem]:
    """Log lines and error events of `services` from which personal data was redacted."""
    return [
        i
        for i in items
        if i.source in RUNTIME_SOURCES
        and personal_kinds(i)
        and (i.data.get("service") or i.service) in services
    ]


def exposing_reasons(pr: dict | None) -> list[str]:
    """How a pull request lets personal data out: logs whole payloads, sends PII to error
    reports, or removes a scrubber (empty: it does none of these)."""
    reasons: list[str] = []
    for f in (pr or {}).get("files") or []:
        path = str(f.get("path") or "")
        lines = str(f.get("patch") or "").splitlines()
        added = [line[1:] for line in lines if line.startswith("+") and not line.startswith("+++")]
        removed = [line[1:] for line in lines if line.startswith("-") and not line.startswith("---")]
        if any(_LOG_CALL.search(line) and _WHOLE_PAYLOAD.search(_call_args(line)) for line in added):
            reasons.append(f"logs whole request payloads ({path})")
        if any(_SENDS_PII.search(line) for line in added):
            reasons.append(f"turns on sending personal data with error reports ({path})")
        if any(_SCRUBBER.search(line) for line in removed) and not any(
            _SCRUBBER.search(line) for line in added
        ):
            reasons.append(f"removes a data scrubber ({path})")
    return list(dict.fromkeys(reasons))


def _call_args(line: str) -> str:
    """The arguments after the format string: `logger.info("x: %s", payload)` -> `payload)`."""
    call = _LOG_CALL.search(line)
    rest = line[call.end() :] if call else line
    return re.sub(r"([\"']).*?\1", " ", rest)


def exposure_onset(
    items: list[EvidenceItem],
    services: set[str],
    pull_requests: dict[str, dict],
    deploys: list[EvidenceItem],
    *,
    now: datetime,
    window: timedelta,
) -> datetime | None:
    """When personal data started showing up in the runtime evidence of `services`.

    A log line is dated by itself. An error group that was first seen long ago only
    says its latest sample carries personal data; when a change that lets data out
    shipped to the same service inside the group's life, the exposure began there.
    """
    starts: list[datetime] = []
    for item in exposure_records(items, services):
        d = item.data
        if item.source == "logs":
            when = item.observed_at or parse_time(d.get("ts"))
        else:
            first, last = parse_time(d.get("first_seen")), parse_time(d.get("last_seen")) or item.observed_at
            if first and now - window <= first <= now:
                when = first
            else:
                service = d.get("service") or item.service
                when = _exposing_deploy(deploys, pull_requests, service, first, last) or last
        if when and now - window <= when <= now:
            starts.append(when)
    return min(starts) if starts else None


def _exposing_deploy(
    deploys: list[EvidenceItem],
    pull_requests: dict[str, dict],
    service: str | None,
    after: datetime | None,
    before: datetime | None,
) -> datetime | None:
    found = []
    for item in deploys:
        d = item.data
        if d.get("service") != service or d.get("status") == "rolled_back":
            continue
        finished = parse_time(d.get("finished_at")) or parse_time(d.get("started_at"))
        if finished is None or (after and finished < after) or (before and finished > before):
            continue
        key = deploy_change_key(d, pull_requests)
        if exposing_reasons(pull_requests.get(key) if key else None):
            found.append(finished)
    return max(found) if found else None
