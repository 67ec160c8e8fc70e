"""Every production action the desk can carry out, described once.

An action here needs a rule of the same name in the policy file (a test and `manage.py check`
hold them together) and the executors that carry it out. The model's choices, the request
form, the run page's menu, parameter binding, summaries and execution all read this registry:
adding an action (say, draining a node) is one spec here, one executor and one policy rule.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from approvals import binding
from approvals.binding import BindContext, BoundAction
from approvals.executors import (
    ArgoCDRollback,
    Executor,
    GitHubRollback,
    KubernetesRestart,
    KubernetesScale,
    LaunchDarklyFlagOff,
    StatuspageIncident,
)


@dataclass(frozen=True)
class ActionSpec:
    name: str  # as the packet's requires_approval and the policy file call it
    label: str  # as a proposal shows it
    ask_label: str  # as the "ask for an action" menu offers it
    bind: Callable[[BindContext], tuple]  # -> (the service it changes, its exact parameters)
    summary: Callable[[dict, str], str]  # (parameters, target) -> what the approver agrees to
    executors: Mapping[str, type[Executor]]  # by the parameters' `method`
    requestable: tuple[str, ...] = ()  # what a person may set when asking for it
    apply: Callable[[dict, Mapping], dict] = binding.set_given  # lays what they set over the binding


def _rollback_summary(p: dict, target: str) -> str:
    how = (
        "Argo CD history " + str(p.get("history_id") or "of " + str(p.get("target_sha")))
        if p.get("method") == "argocd"
        else f"workflow {p.get('workflow')} at {p.get('ref')}"
    )
    return (
        f"Roll back {p.get('service')} in {p.get('environment')} from {p.get('from_sha') or '?'} "
        f"to {p.get('target_sha') or '?'} (deploy {target}) via {how}"
    )


SPECS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "rollback",
        "Roll back",
        "Roll back a deploy",
        binding.bind_rollback,
        _rollback_summary,
        {"github": GitHubRollback, "argocd": ArgoCDRollback},
        requestable=("target_sha",),
        apply=binding.set_target_sha,
    ),
    ActionSpec(
        "scale",
        "Scale",
        "Scale",
        binding.bind_scale,
        lambda p, _: f"Scale deployment {p.get('namespace')}/{p.get('deployment')} to "
        f"{p.get('replicas') if p.get('replicas') is not None else '?'} replicas",
        {"kubernetes": KubernetesScale},
        requestable=("replicas",),
        apply=binding.set_replicas,
    ),
    ActionSpec(
        "restart",
        "Restart",
        "Restart",
        binding.bind_restart,
        lambda p, _: f"Restart deployment {p.get('namespace')}/{p.get('deployment')} (rolling)",
        {"kubernetes": KubernetesRestart},
    ),
    ActionSpec(
        "flag_toggle",
        "Turn a flag off",
        "Turn a flag off",
        binding.bind_flag_toggle,
        lambda p, _: f"Turn flag {p.get('flag_key')} off in {p.get('project')}/{p.get('environment')}",
        {"launchdarkly": LaunchDarklyFlagOff},
    ),
    ActionSpec(
        "status_update",
        "Customer status update",
        "Customer status update",
        binding.bind_status_update,
        lambda p, _: f'Open a status page incident "{p.get("name")}" ({p.get("status")}, {p.get("impact")})',
        {"statuspage": StatuspageIncident},
        requestable=("name", "body"),
    ),
)
ACTIONS: dict[str, ActionSpec] = {spec.name: spec for spec in SPECS}


def action_choices() -> list[tuple[str, str]]:
    return [(spec.name, spec.label) for spec in SPECS]


def ask_choices() -> list[tuple[str, str]]:
    return [(spec.name, spec.ask_label) for spec in SPECS]


def executor_class(action: str, method: str) -> type[Executor] | None:
    spec = ACTIONS.get(action)
    return spec.executors.get(method) if spec else None


def bind_action(
    *,
    run,
    item: dict,
    packet,
    overrides: Mapping | None = None,
    environ: Mapping[str, str] | None = None,
) -> BoundAction:
    """The service an action changes and its exact parameters. Reads the catalog and run evidence only."""
    action, target = str(item.get("action")), str(item.get("target") or "")
    spec = ACTIONS.get(action)
    if spec is None:
        return BoundAction(service=run.service, params={"blocked": f"the desk has no executor for {action}"})
    ctx = BindContext(run=run, target=target, packet=packet, environ=os.environ if environ is None else environ)
    service, params = spec.bind(ctx)
    given = {k: v for k, v in (overrides or {}).items() if k in spec.requestable and v not in ("", None)}
    return BoundAction(service=service, params=spec.apply(params, given))


def summary_of(action: str, params: dict, target: str) -> str:
    spec = ACTIONS.get(action)
    return spec.summary(params, target) if spec else f"{action} {target}"


def label_of(action: str) -> str:
    spec = ACTIONS.get(action)
    return spec.label if spec else action


__all__ = [
    "ACTIONS",
    "SPECS",
    "ActionSpec",
    "action_choices",
    "ask_choices",
    "bind_action",
    "executor_class",
    "label_of",
    "summary_of",
]
