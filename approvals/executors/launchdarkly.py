"""LaunchDarkly: turn a flag's targeting off in one environment."""

from __future__ import annotations

from urllib.parse import quote

from approvals.executors.base import ExecutionResult, Executor, ExecutorError, OutboundRequest

DEFAULT_URL = "https://app.launchdarkly.com"
SEMANTIC_PATCH = "application/json; domain-model=launchdarkly.semanticpatch"


class LaunchDarklyFlagOff(Executor):
    """PATCH /api/v2/flags/{project}/{flag}: the semantic patch `turnFlagOff` (or a JSON patch of `on`).

    LAUNCHDARKLY_PATCH_FORMAT=json sends the JSON patch instead, for tokens whose role allows
    only that. Turning a flag off is idempotent; the comment carries the request id for the
    flag's own audit log.
    """

    vendor = "launchdarkly"
    credentials = ("LAUNCHDARKLY_API_TOKEN",)
    secret_names = ("LAUNCHDARKLY_API_TOKEN",)
    idempotency = "natural: turnFlagOff; the request id is in the change comment"

    def execute(self, params: dict, *, key: str, note: str = "") -> ExecutionResult:
        flag, project, environment = params.get("flag_key"), params.get("project"), params.get("environment")
        if not flag or not project or not environment:
            raise ExecutorError("error", "the toggle names no flag, project or environment", refused=True)
        comment = f"{note} (request {key})".strip()
        if self.env("LAUNCHDARKLY_PATCH_FORMAT") == "json":
            content_type = "application/json"
            body = {
                "comment": comment,
                "patch": [{"op": "replace", "path": f"/environments/{environment}/on", "value": False}],
            }
        else:
            content_type = SEMANTIC_PATCH
            body = {
                "environmentKey": environment,
                "instructions": [{"kind": "turnFlagOff"}],
                "comment": comment,
            }
        headers = {
            "Authorization": self.secret("LAUNCHDARKLY_API_TOKEN"),
            "Content-Type": content_type,
            "Accept": "application/json",
        }
        base = self.env("LAUNCHDARKLY_URL", DEFAULT_URL).rstrip("/")
        url = f"{base}/api/v2/flags/{quote(str(project), safe='')}/{quote(str(flag), safe='')}"
        response = self.send(
            OutboundRequest("PATCH", url, headers, body, self.secrets()), resend=True, expect=(200,)
        )
        what = f"flag {flag} off in {project}/{environment}"
        if response is None:
            return self.recorded(f"would turn {what}")
        data = self.json(response)
        on = (
            (((data or {}).get("environments") or {}).get(environment) or {}).get("on")
            if isinstance(data, dict)
            else None
        )
        if on is not False:
            raise ExecutorError(
                "error", f"LaunchDarkly still reports {flag} on in {environment}", requests=list(self.sent)
            )
        return self.done(f"turned {what}", response, answer={"on": on, "version": data.get("_version")})
