"""Changes that show only in logs: package and OS upgrades, daemon restarts, config and rule
pushes, certificate and key rotation, nodes joining a cluster; and events of the environment
(a leap second, a clock step) that can set off a latent bug without being anyone's change.

A change line counts when its template is new in the window before a failure, not when it
repeats all along ("config reloaded (no changes)" every few minutes is background).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from incidentdesk.analysis.chain import UNSEEN_MARGIN, template_shape
from incidentdesk.analysis.findings import Findings
from incidentdesk.analysis.logtemplates import ERROR_LEVELS, LogTemplate, template_of
from incidentdesk.analysis.timeutil import SKEW, parse_time

# A change this long before a failure can still be what set it off.
BEFORE = timedelta(minutes=60)

CHANGE_LINE = re.compile(
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
    r"|\b(?:rotat(?:e|ed|ing|ion)|renew(?:ed|ing)|revok(?:e|ed|ing)|remov(?:e|ed|ing)|replac(?:e|ed|ing))\b"
    r"[^.;]{0,30}\b(?:cert|certificate|signing key|keys?|secret|credential)s?\b"
    r"|\b(?:join(?:ed|ing)?|added to|removed from|decommission(?:ed|ing)?|leaving)\b[^.;]{0,30}"
    r"\b(?:ring|cluster|pool|fleet|rotation|quorum)\b"
    r"|\bscal(?:ed|ing) (?:up|out|down|in)\b|\b(?:migrat(?:ed|ing)|running migration|schema change)\b"
    r"|\b(?:service \S+|systemctl) (?:restart|reload|stop|start)\b"
    r"|\b(?:content|channel|definitions?|signatures?|ruleset|rules) (?:\w+ )?update\b"
    # Network devices: a configuration commit, a statement (de)activated, "configured from".
    r"|\bcommit (?:complete|confirmed)\b|requested 'commit'|\b(?:de)?activate: \[|\bconfigured from \w+"
    # A control plane pushing a new version to its clients: "update from cp.example.net: version 7 (previous 6)".
    r"|\bupdate from [\w.-]+\.[a-z]{2,}\b|\(previous [\w.-]+[:)]"
    # Data or records removed by a person or a job: the most direct way to break what reads them.
    # (Not "action=delete record=..." of a decision log, nor "DELETE /v1/records/42" of an access log.)
    r"|(?<![=/\w])(?:delet(?:e|ed|es|ing)|drop(?:ped|ping)?|purg(?:e|ed|ing)|wip(?:e|ed|ing)|truncat(?:e|ed|ing))\b(?!\s*/)"
    r"[^;]{0,60}\b(?:records?|record ?sets?|rows|tables?|partitions?|zones?|volumes?|snapshots?)\b",
    re.I,
)
# A command run by hand through sudo (`... ; COMMAND=/bin/rm -rf /data`): a change unless it only reads.
_OPERATOR_COMMAND = re.compile(r"\bCOMMAND=(?:\S*/)?([\w.+-]+)")
_SUDO_LINE = re.compile(r"sudo:\s*(?P<who>[\w.-]+)\s*:.*?\bUSER=(?P<as>[\w.-]+)\s*;\s*COMMAND=(?P<command>.+)$")
_READ_ONLY_COMMANDS = frozenset(
    "ls cat less more head tail grep egrep zgrep du df ps top htop stat file find which whoami id"
    " journalctl dmesg lsof netstat ss ping traceroute dig nslookup host uptime free vmstat iostat"
    " sar strace tcpdump wc sort uniq diff md5sum sha256sum true test".split()
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
_VENDOR_CONTENT = re.compile(
    r"\b(?:content|channel|definitions?|signatures?) (?:\w+ )?update (?:received|downloaded|installed|applied)"
    r"|\bchannel file\b|\brapid response content\b",
    re.I,
)
_PUSHED_FROM = re.compile(r"\bupdate from ([\w-]+(?:\.[\w-]+)+)", re.I)
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
    def from_vendor(self) -> bool:
        """A third party's agent updating its own content on the hosts (detection rules, channel
        files, signatures): nobody in the company made that change."""
        return bool(_VENDOR_CONTENT.search(self.sample))

    @property
    def pushed_by(self) -> str | None:
        """The host a control plane pushed the change from, when the line says (`update from X`)."""
        match = _PUSHED_FROM.search(self.sample)
        return match.group(1).lower() if match else None

    @property
    def quoted(self) -> str:
        """The line as a summary quotes it: for a command run through sudo, who ran what as whom."""
        match = _SUDO_LINE.search(self.sample)
        if match:
            return f"{match.group('who')} ran `{match.group('command').strip()}` as {match.group('as')}"
        return self.sample

    @property
    def program(self) -> str | None:
        """`csagent` of `host-3 csagent[812]: loaded channel file ...`, when the line names one."""
        match = _PROGRAM.match(self.sample)
        return match.group(1).lower() if match else None


# At warning level a line says something went wrong; only a plain change verb makes it a change.
_DELIBERATE = re.compile(
    r"\b(?:upgrad|install|unpack|setting up|appl(?:y|ied|ying)|rotat|renew|revok|reboot|join|grant"
    r"|migrat|decommission|scaled|capacity add|update from|\(previous)",
    re.I,
)
_VERSIONED = re.compile(r"\d+\.\d+[\w.~+-]*")
_DEPLOY_LINE = re.compile(r"\b(?:deploy(?:ed|ing|ment)?|release|build|rollout)\b", re.I)
# A change rolls out host by host: its lines this close together are one change.
SAME_CHANGE = timedelta(minutes=10)
# A change line seen at most this many times is a deliberate act each time, not a routine job.
RARE_REPEATS = 5
# The steps of one change (deactivate, commit, commit complete) come this close together.
STEPS_OF_ONE = timedelta(minutes=2)


def operator_command(text: str) -> str | None:
    """The program a person ran through sudo, when the line records one that changes something."""
    match = _OPERATOR_COMMAND.search(text)
    if match and match.group(1).lower() not in _READ_ONLY_COMMANDS:
        return match.group(1)
    return None


def _is_change(template: LogTemplate, text: str) -> tuple[bool, bool]:
    if template.level in ERROR_LEVELS:
        return False, False
    if _ENVIRONMENT.search(text):
        return True, True
    if operator_command(text):
        return True, False
    if template.level not in ("debug", "info", "notice") and not _DELIBERATE.search(text):
        return False, False
    return bool(CHANGE_LINE.search(text) and not _REACTION.search(text)), False


def deploy_marks(findings: Findings) -> dict[str, set[str]]:
    """What each deploy is called in logs: its id, its id without the service's name, its sha."""
    marks: dict[str, set[str]] = {}
    for item in findings.records("deploys"):
        d = item.data
        dep_id, service = str(d.get("id") or item.ref), str(d.get("service") or "")
        names = {dep_id.lower()}
        if service and dep_id.lower().startswith(service.lower() + "-"):
            names.add(dep_id[len(service) + 1 :].lower())
        if len(str(d.get("sha") or "")) >= 7:
            names.add(str(d["sha"])[:7].lower())
        marks[dep_id] = {n for n in names if len(n) >= 6}
    return marks


def names_deploy(text: str, marks: dict[str, set[str]]) -> str | None:
    lowered = text.lower()
    for dep_id, names in marks.items():
        if any(re.search(rf"(?<![\w.-]){re.escape(n)}(?![\w-])", lowered) for n in names):
            return dep_id
    return None


def log_changes(
    findings: Findings, onsets: dict[str, datetime], *, during: bool = False
) -> list[LogChange]:
    """Change lines new in the hour before the failure of the service that logged them, or,
    `during`, made after its failure began (what responders did while it lasted).

    `onsets` maps each failing service to when its failure began; a service that is not
    failing is read against the run's first_seen.
    """
    earliest: dict[str, datetime] = {}
    for t in findings.templates:
        if t.template.first_at:
            service = t.template.service
            earliest[service] = min(earliest.get(service, t.template.first_at), t.template.first_at)
    marks = deploy_marks(findings)
    deployed = {
        (str(i.data.get("service") or ""), when)
        for i in findings.records("deploys")
        if (when := parse_time(i.data.get("started_at")))
    }
    out: list[LogChange] = []
    for verdict in findings.templates:
        t = verdict.template
        if not t.first_at or not t.evidence_ids:
            continue
        sample = str(findings.items[t.evidence_ids[0]].data.get("message") or t.template)
        is_change, environment = _is_change(t, f"{t.template} {sample}")
        if not is_change or names_deploy(sample, marks):
            continue  # a deploy's own rollout lines belong to the deploy
        if _DEPLOY_LINE.search(sample) and any(
            svc == t.service and abs(when - t.first_at) <= SAME_CHANGE * 3 for svc, when in deployed
        ):
            continue
        onset = onsets.get(t.service, findings.first_seen)
        if t.first_at - earliest.get(t.service, t.first_at) < UNSEEN_MARGIN:
            continue  # the logs start too late to say it is new
        for at, ids, line in _occurrences(findings, t, sample):
            if during:
                if not onset + SKEW < at <= findings.run.now:
                    continue
            # Before the component began failing, or before the failure reached the paged service
            # (a component limping since earlier can be tipped over by a change just before that).
            elif not any(anchor - BEFORE <= at <= anchor + SKEW for anchor in (onset, findings.symptom_at)):
                continue
            out.append(
                LogChange(
                    service=t.service,
                    template=t.template,
                    sample=line,
                    first_at=at,
                    count=t.count,
                    evidence_ids=ids,
                    environment=environment,
                )
            )
    return _merged(sorted(out, key=lambda c: c.first_at))


def _occurrences(
    findings: Findings, t: LogTemplate, sample: str
) -> list[tuple[datetime, tuple[str, ...], str]]:
    """When a change of this template was made: its first line and, for a change made only a
    few times (a command run by hand), each later one that came long after the one before."""
    found = [(t.first_at, tuple(t.evidence_ids[:2]), sample)]
    if len(t.times) > RARE_REPEATS:
        return found
    times = sorted(t.times)
    for before, at in zip(times, times[1:], strict=False):
        if at - before < SAME_CHANGE:
            continue
        line = next(
            (
                i
                for i in findings.records("logs")
                if i.data.get("service") == t.service
                and (i.observed_at or parse_time(i.data.get("ts"))) == at
                and template_of(str(i.data.get("message") or "")) == t.template
            ),
            None,
        )
        if line is not None:
            found.append((at, (line.id,), str(line.data.get("message") or sample)))
    return found


def _words(template: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z_-]{2,}", template.lower())}


def _merged(changes: list[LogChange]) -> list[LogChange]:
    """Lines of one change logged host by host, or with a location prefix, are one change."""
    out: list[LogChange] = []
    for change in changes:
        same = next(
            (
                c
                for c in out
                if c.service == change.service
                and c.environment == change.environment
                # Two commands run by hand are two acts, however close together.
                and operator_command(c.sample) == operator_command(change.sample)
                and (
                    change.first_at - c.first_at <= STEPS_OF_ONE
                    or change.first_at - c.first_at <= SAME_CHANGE
                    and len(_words(c.template) & _words(change.template))
                    >= 0.6 * max(len(_words(c.template) | _words(change.template)), 1)
                )
            ),
            None,
        )
        if same is None:
            out.append(change)
            continue
        telling = telling_line([same, change])
        out[out.index(same)] = LogChange(
            service=same.service,
            template=telling.template,
            sample=telling.sample,
            first_at=same.first_at,
            count=same.count + change.count,
            evidence_ids=tuple(dict.fromkeys(telling.evidence_ids + same.evidence_ids))[:2],
            environment=same.environment,
        )
    return out


def shared_changes(changes: list[LogChange]) -> list[list[LogChange]]:
    """Changes that hit more than one service: the same change lines (by template) logged by
    several services, the lines that came together on the same services (an upgrade's steps)
    taken as one change."""
    by_template: dict[str, list[LogChange]] = {}
    for change in changes:
        if not change.environment:
            by_template.setdefault(template_shape(change.template), []).append(change)
    groups = [v for v in by_template.values() if len({c.service for c in v}) >= 2]
    merged: list[list[LogChange]] = []
    for group in sorted(groups, key=lambda g: min(c.first_at for c in g)):
        services = {c.service for c in group}
        start = min(c.first_at for c in group)
        same = next(
            (
                m
                for m in merged
                if len(services & {c.service for c in m}) >= 2
                and abs(start - min(c.first_at for c in m)) <= SAME_CHANGE
            ),
            None,
        )
        if same is None:
            merged.append(list(group))
        else:
            same += group
    return merged


def telling_line(changes: list[LogChange]) -> LogChange:
    """The line of a change that says most about what changed: a version installed, rather
    than "starting unattended upgrades script"."""
    return max(
        changes,
        key=lambda c: (
            bool(_DELIBERATE.search(c.sample)), bool(_VERSIONED.search(c.sample)), -c.first_at.timestamp()
        ),
    )
