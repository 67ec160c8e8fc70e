"""What the analysis reads: plain, already-redacted data. No ORM, no vendor clients."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class EvidenceItem:
    id: str  # the desk's own evidence id, cited by signals, hypotheses and actions
    # deploys | pull_requests | metrics | monitors | logs | errors | feature_flags | incidents | runbooks
    # | change_calendar
    source: str
    ref: str  # the source's own id (deploy id, PR number, error id, flag key@time, ...)
    service: str | None
    data: dict  # one normalised record of SCENARIO.md `sources` (runbooks: {"key", "text"})
    observed_at: datetime | None = None
    url: str | None = None
    # kinds redacted from this record: email, card, phone, token, aws_key, ...
    redactions: tuple[str, ...] = ()
    truncated: bool = False


@dataclass(frozen=True)
class Gap:
    source: str
    reason: str  # timeout | error | rate_limited | malformed | not_found | not_configured
    detail: str = ""


@dataclass(frozen=True)
class Report:
    """What people said in a trigger: a support spike, a Slack message, a security report."""

    id: str  # cited like an evidence id
    source: str  # slack | generic
    title: str
    at: datetime  # when they said it
    text: str = ""
    started_at: datetime | None = None  # when they say the trouble began
    link: str | None = None
    count: float | None = None  # reports or failures in the window...
    baseline: float | None = None  # ...against the usual number
    window_minutes: float | None = None
    severity: str | None = None  # their own severity, sev1..sev4
    category: str | None = None  # support_spike | security | ...


@dataclass(frozen=True)
class RunFacts:
    run_id: str
    service: str | None  # catalog name; None when the trigger named no known service
    service_hint: str | None  # the vendor's own name for it
    trigger_source: str  # pagerduty | datadog | sentry | slack | github | alertmanager | generic
    title: str
    triggered_at: datetime
    now: datetime
    started_at: datetime | None = None  # when the vendor says the problem started
    symptoms: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    reports_data_exposure: bool = False
    current_owner: dict = field(default_factory=dict)  # {"team": ..., "oncall": ...}
    reports: tuple[Report, ...] = ()  # what people reported, in the order it came
