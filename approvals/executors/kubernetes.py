"""Kubernetes: scale a deployment through its scale subresource, or restart it with a rollout."""

from __future__ import annotations

from approvals.executors.base import ExecutionResult, Executor, ExecutorError, OutboundRequest


class _Kubernetes(Executor):
    vendor = "kubernetes"
    credentials = ("KUBE_API_URL", "KUBE_TOKEN")
    secret_names = ("KUBE_TOKEN",)

    def deployment_url(self, params: dict) -> str:
        namespace, name = params.get("namespace"), params.get("deployment")
        if not namespace or not name:
            raise ExecutorError(
                "error", "no namespace or deployment: set the service's annotations", refused=True
            )
        base = (self.env("KUBE_API_URL") or "${KUBE_API_URL}").rstrip("/")
        return f"{base}/apis/apps/v1/namespaces/{namespace}/deployments/{name}"

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.secret('KUBE_TOKEN')}",
            "Content-Type": "application/merge-patch+json",
            "Accept": "application/json",
        }


class KubernetesScale(_Kubernetes):
    """A merge patch of `spec.replicas` on the scale subresource.

    Setting an absolute count is naturally idempotent: sending it twice leaves the same count.
    An HPA or a GitOps self-heal may undo it; the result says what the API answered.
    """

    idempotency = "natural: an absolute replica count"

    def execute(self, params: dict, *, key: str, note: str = "") -> ExecutionResult:
        replicas = params.get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise ExecutorError("error", "the scale names no replica count", refused=True)
        url = self.deployment_url(params) + "/scale"
        response = self.send(
            OutboundRequest("PATCH", url, self.headers(), {"spec": {"replicas": replicas}}, self.secrets()),
            resend=True,
            expect=(200,),
        )
        what = f"{params['namespace']}/{params['deployment']} to {replicas} replicas"
        if response is None:
            return self.recorded(f"would scale {what}")
        data = self.json(response)
        if not isinstance(data, dict) or data.get("kind") != "Scale":
            raise ExecutorError("malformed", "the answer is not a Scale", requests=list(self.sent))
        answered = (data.get("spec") or {}).get("replicas")
        if answered != replicas:
            raise ExecutorError(
                "error", f"the API answered {answered} replicas, not {replicas}", requests=list(self.sent)
            )
        return self.done(
            f"scaled {what}",
            response,
            answer={
                "replicas": answered,
                "current": (data.get("status") or {}).get("replicas"),
                "resourceVersion": (data.get("metadata") or {}).get("resourceVersion"),
            },
        )


class KubernetesRestart(_Kubernetes):
    """What `kubectl rollout restart` does: stamp the pod template so the deployment rolls.

    The stamp is bound when the restart is proposed, so sending the same patch again changes
    nothing and starts no second rollout.
    """

    idempotency = "natural: the restartedAt stamp is fixed when the restart is proposed"

    def execute(self, params: dict, *, key: str, note: str = "") -> ExecutionResult:
        stamp = params.get("restarted_at")
        if not stamp:
            raise ExecutorError("error", "the restart has no restartedAt stamp", refused=True)
        body = {
            "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}
        }
        response = self.send(
            OutboundRequest("PATCH", self.deployment_url(params), self.headers(), body, self.secrets()),
            resend=True,
            expect=(200,),
        )
        what = f"{params['namespace']}/{params['deployment']}"
        if response is None:
            return self.recorded(f"would restart {what}")
        data = self.json(response)
        if not isinstance(data, dict) or data.get("kind") != "Deployment":
            raise ExecutorError("malformed", "the answer is not a Deployment", requests=list(self.sent))
        return self.done(
            f"restarting {what}",
            response,
            answer={"generation": (data.get("metadata") or {}).get("generation")},
        )
