"""GitHub webhooks: ``deployment_status`` and ``workflow_run`` (``X-GitHub-Event`` says which).

A failed deployment or workflow run opens a run keyed on the deployment or workflow run
id. A webhook carries no history, so a deployment's success is reported as a "resolve"
that only closes something if its failure opened a run; a workflow run's success counts
as a resolve only on a re-run (``run_attempt`` > 1), since a first attempt followed nothing.
Other events (``ping``, ``push``...) are accepted and carry no event.
"""

from collections.abc import Mapping
from datetime import datetime

from incidentdesk.intake.events import Delivery, EventKind, PayloadError, TriggerEvent
from incidentdesk.intake.normalisers.fields import (
    MAX_TITLE_CHARS,
    body_digest,
    clip,
    load_object,
    lower_keys,
    obj,
    parse_time,
    require_object,
    require_text,
    text,
    unique,
)

SOURCE = "github"

_DEPLOYMENT_KINDS: dict[str, EventKind] = {
    "failure": "trigger",
    "error": "trigger",
    "success": "resolve",
    # pending, queued, in_progress, inactive (superseded) say nothing about an incident.
}
_FAILED_CONCLUSIONS = frozenset({"failure", "timed_out", "startup_failure"})
_STATE_WORDS = {"failure": "failed", "error": "errored", "success": "succeeded"}


def normalise(headers: Mapping[str, str], body: bytes) -> Delivery:
    payload = load_object(body)
    lowered = lower_keys(headers)
    event_name = lowered.get("x-github-event", "").strip() or _guess_event(payload)
    # Dedup on what the signature covers (X-GitHub-Delivery is not signed): the status or run id
    # with what happened to it, else the body itself.
    delivery_id = _signed_id(event_name, payload) or body_digest(body)
    if event_name == "deployment_status":
        event = _deployment_status(payload)
    elif event_name == "workflow_run":
        event = _workflow_run(payload)
    else:
        return Delivery(source=SOURCE, delivery_id=delivery_id, events=())
    return Delivery(
        source=SOURCE, delivery_id=delivery_id, events=(event,), signed_at=_signed_at(payload[event_name])
    )


def _signed_id(event_name: str, payload: dict) -> str | None:
    if event_name == "deployment_status":
        status_id = text(obj(payload, "deployment_status"), "id")
        return f"deployment_status:{status_id}" if status_id else None
    if event_name == "workflow_run":
        run = obj(payload, "workflow_run")
        run_id = text(run, "id")
        if not run_id:
            return None
        return f"workflow_run:{run_id}:{text(run, 'run_attempt') or 1}:{text(payload, 'action') or ''}"
    return None


def _signed_at(status_or_run: dict) -> datetime | None:
    """The status's or run's latest time: GitHub sends the delivery when it changes, so the
    body cannot have been made before it."""
    times = (parse_time(status_or_run.get(key)) for key in ("created_at", "updated_at"))
    return max(filter(None, times), default=None)


def _guess_event(payload: dict) -> str:
    for name in ("deployment_status", "workflow_run"):
        if isinstance(payload.get(name), dict):
            return name
    raise PayloadError("missing X-GitHub-Event header")


def _repository(payload: dict) -> str:
    repository = require_object(payload, "repository", "repository")
    return require_text(repository, "full_name", "repository.full_name")


def _deployment_status(payload: dict) -> TriggerEvent:
    status = require_object(payload, "deployment_status", "deployment_status")
    state = require_text(status, "state", "deployment_status.state").lower()
    deployment = require_object(payload, "deployment", "deployment")
    deployment_id = require_text(deployment, "id", "deployment.id")
    repo = _repository(payload)
    environment = text(status, "environment") or text(deployment, "environment") or "an environment"
    description = text(status, "description")
    attributes = {
        "deployment_id": deployment_id,
        "deployment_status_id": text(status, "id"),
        "state": state,
        "sha": text(deployment, "sha"),
        "ref": text(deployment, "ref"),
        "task": text(deployment, "task"),
        "environment": text(status, "environment") or text(deployment, "environment"),
        "deployment_description": text(deployment, "description"),
        "deployment_created_at": text(deployment, "created_at"),
        "creator": text(obj(deployment, "creator"), "login"),
        "sender": text(obj(payload, "sender"), "login"),
    }
    title = f"{repo}: deployment to {environment} {_STATE_WORDS.get(state, state)}"
    return TriggerEvent(
        source=SOURCE,
        kind=_DEPLOYMENT_KINDS.get(state, "ignore"),
        vendor_key=f"github:{repo}:deployment:{deployment_id}",
        service_name=repo,
        title=clip(title, MAX_TITLE_CHARS),
        occurred_at=parse_time(status.get("created_at")) or parse_time(status.get("updated_at")),
        symptoms=unique([clip(description) if description else None]),
        links=unique([text(status, key) for key in ("target_url", "log_url", "environment_url")]),
        attributes={key: value for key, value in attributes.items() if value is not None},
    )


def _workflow_kind(action: str, conclusion: str | None, attempt: int) -> EventKind:
    if action != "completed":
        return "ignore"  # requested, in_progress
    if conclusion in _FAILED_CONCLUSIONS:
        return "trigger"
    if conclusion == "success" and attempt > 1:
        return "resolve"
    return "ignore"  # cancelled, skipped, neutral, a first-attempt success...


def _workflow_run(payload: dict) -> TriggerEvent:
    action = require_text(payload, "action", "action")
    run = require_object(payload, "workflow_run", "workflow_run")
    run_id = require_text(run, "id", "workflow_run.id")
    repo = _repository(payload)
    conclusion = (text(run, "conclusion") or "").lower() or None
    attempt_value = run.get("run_attempt")
    attempt = attempt_value if isinstance(attempt_value, int) and not isinstance(attempt_value, bool) else 1
    name = text(run, "name") or text(obj(payload, "workflow"), "name") or "workflow"
    branch = text(run, "head_branch")
    outcome = conclusion or text(run, "status") or action
    title = f"{repo}: {name} {outcome}" + (f" on {branch}" if branch else "")
    attributes = {
        "workflow_run_id": run_id,
        "workflow": name,
        "workflow_path": text(obj(payload, "workflow"), "path"),
        "action": action,
        "status": text(run, "status"),
        "conclusion": conclusion,
        "head_sha": text(run, "head_sha"),
        "head_branch": branch,
        "event": text(run, "event"),
        "run_number": text(run, "run_number"),
        "run_attempt": attempt,
        "actor": text(obj(run, "actor"), "login") or text(obj(payload, "sender"), "login"),
    }
    return TriggerEvent(
        source=SOURCE,
        kind=_workflow_kind(action, conclusion, attempt),
        vendor_key=f"github:{repo}:workflow:{run_id}",
        service_name=repo,
        title=clip(title, MAX_TITLE_CHARS),
        occurred_at=parse_time(run.get("updated_at")) or parse_time(run.get("created_at")),
        symptoms=unique([f"workflow {name} concluded {conclusion}" if conclusion else None]),
        links=unique([text(run, "html_url")]),
        attributes={key: value for key, value in attributes.items() if value is not None},
    )
