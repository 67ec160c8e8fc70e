"""Changes that show only in logs: package and OS upgrades, daemon restarts, config and rule
pushes, certificate and key rotation, nodes joining a cluster; and events of the environment
(a leap second, a clock step) that can set off a latent bug without being anyone's change.

A change line counts when its template is new in the window before a failure, not when it
repeats all along ("config reloaded (no changes)" every few minutes is background).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from incidentdesk.analysis.chain import UNSEEN_MARGIN
from incidentdesk.analysis.findings import Findings
from incidentdesk.analysis.logtemplates import ERROR_LEVELS, LogTemplate

# A change this long before a failure can still be what set it off.
BEFORE = timedelta(minutes=60)
SKEW = timedelta(minutes=1)

_CHANGE = re.compile(
    r"\b(?:unpacking|setting up|upgrad(?:e|ed|es|ing)|install(?:ed|ing)|rolling (?:out|update|restart)"
    r"|rolled out|reimag(?:ed|ing)|patch(?:ed|ing) (?:the )?(?:kernel|host|node|os))\b"
    r"|\b(?:apply|applying|applied|pushing|pushed|publish(?:ed|ing)|load(?:ed|ing)|activat(?:ed|ing)"
    r"|deploy(?:ed|ing)|replicat(?:ed|ing))\b[^.;]{0,40}"
    r"\b(?:config|configuration|rules?|ruleset|polic(?:y|ies)|content|channel|definitions?|feature file"
    r"|manifest|settings|quota|grants?|permissions?|routes?|topology|prefix(?:es)?)\b"
    r"|\b(?:config|configuration|rules?|ruleset|polic(?:y|ies)|channel file|definitions?|feature file"
    r"|settings|quota|grants?|permissions?|topology)\b[^.;]{0,40}"
    r"\b(?:applied|pushed|updated|changed|reloaded|published|rolled out|activated|replicated|granted)\b"
    r"|\b(?:restart(?:ed|ing)|reload(?:ed|ing)|re-?start(?:ed|ing)|rebooted|rebooting)\b"
    r"|\b(?:start(?:ed|ing)|stopp(?:ed|ing))\b[^.;]{0,40}\.service\b"
    r"|\b(?:rotat(?:e|ed|ing|ion)|renew(?:ed|ing)|revok(?:e|ed|ing)|remov(?:e|ed|ing)|replac(?:e|ed|ing))\b"
    r"[^.;]{0,30}\b(?:cert|certificate|signing key|keys?|secret|credential)s?\b"
    r"|\b(?:join(?:ed|ing)?|added to|removed from|decommission(?:ed|ing)?|leaving)\b[^.;]{0,30}"
    r"\b(?:ring|cluster|pool|fleet|rotation|quorum)\b"
    r"|\bscal(?:ed|ing) (?:up|out|down|in)\b|\b(?:migrat(?:ed|ing)|running migration|schema change)\b",
    re.I,
)
_ENVIRONMENT = re.compile(
    r"leap second|clock[: ]+(?:step|jump|inserting|deleting)|time (?:step|jump)|daylight saving", re.I
)
# A restart after a crash is the failure, not a change someone made.
_REACTION = re.compile(
    r"crash|oom|out of memory|killed|panic|fatal|fail|error|exception|unhealthy|back-?off|timed? ?out"
    r"|no changes?|unchanged|health ?check|probe",
    re.I,
)
_PROGRAM = re.compile(r"^(?:\S+\s+)?([A-Za-z][\w.-]{2,})(?:\[\d+\])?:\s")


@dataclass(frozen=True)
class LogChange:
    service: str
    template: str
    sample: str  # one line as it was logged
    first_at: datetime
    count: int
    evidence_ids: tuple[str, ...]
    environment: bool  # the world changed (clock, leap second), not a deployment's own setup

    @property
    def program(self) -> str | None:
        """`csagent` of `host-3 csagent[812]: loaded channel file ...`, when the line names one."""
        match = _PROGRAM.match(self.sample)
        return match.group(1).lower() if match else None


def _is_change(template: LogTemplate, text: str) -> tuple[bool, bool]:
    if template.level in ERROR_LEVELS:
        return False, False
    if _ENVIRONMENT.search(text):
        return True, True
    return bool(_CHANGE.search(text) and not _REACTION.search(text)), False


def log_changes(findings: Findings, onsets: dict[str, datetime]) -> list[LogChange]:
    """Change lines new in the hour before the failure of the service that logged them.

    `onsets` maps each failing service to when its failure began; a service that is not
    failing is read against the run's first_seen.
    """
    earliest: dict[str, datetime] = {}
    for t in findings.templates:
        if t.template.first_at:
            service = t.template.service
            earliest[service] = min(earliest.get(service, t.template.first_at), t.template.first_at)
    out: list[LogChange] = []
    for verdict in findings.templates:
        t = verdict.template
        if not t.first_at or not t.evidence_ids:
            continue
        sample = str(findings.items[t.evidence_ids[0]].data.get("message") or t.template)
        is_change, environment = _is_change(t, f"{t.template} {sample}")
        if not is_change:
            continue
        onset = onsets.get(t.service, findings.first_seen)
        if not (onset - BEFORE <= t.first_at <= onset + SKEW):
            continue
        if t.first_at - earliest.get(t.service, t.first_at) < UNSEEN_MARGIN:
            continue  # the logs start too late to say it is new
        out.append(
            LogChange(
                service=t.service,
                template=t.template,
                sample=sample,
                first_at=t.first_at,
                count=t.count,
                evidence_ids=tuple(t.evidence_ids[:2]),
                environment=environment,
            )
        )
    return sorted(out, key=lambda c: c.first_at)


def shared_changes(changes: list[LogChange]) -> dict[str, list[LogChange]]:
    """The same change line (by template) logged by more than one service."""
    by_template: dict[str, list[LogChange]] = {}
    for change in changes:
        if not change.environment:
            by_template.setdefault(_shape(change.template), []).append(change)
    return {k: v for k, v in by_template.items() if len({c.service for c in v}) >= 2}


def _shape(template: str) -> str:
    """Service and host names differ from one service's logs to another's."""
    return re.sub(r"\b[\w.-]*(?:host|node|svc|pod|ip)[\w.-]*\b", "<*>", template.lower())
