"""Mutations of recorded vendor deliveries for the webhook fuzz test: what a sender holding the
secret, or a broken integration, might put in a body.

Each mutation works on the parsed payload (or the slash command's form fields). What no Python
value encodes as (``1e400``, nesting deeper than ``json.dumps`` goes) is recorded as raw JSON text
and spliced into the encoded body.
"""

import copy
import json
import re
from urllib.parse import parse_qsl, urlencode

from hypothesis import strategies as st

from tests.intake.test_normalisers_fuzz import JSON_VALUES

# Numbers no database column or float takes, written as JSON number text.
HUGE_NUMBERS = ["1" + "0" * 400, "-1" + "0" * 400, "1e400", "-1e400", "1e-400", "123456789012345678901234567890.5"]
# Characters PostgreSQL refuses in text or jsonb (NUL, lone surrogates), and others that are legal but odd.
POISONS = ["\x00", "\ud800", "\udfff", "\udc80\x00", "\ufffe", "\u202e", "\u200d"]
# Service names a vendor might send: look-alikes of catalog names, other scripts, controls, very long.
SERVICE_NAMES = st.sampled_from([
    "ｃｈｅｃｋｏｕｔ-api", "CHECKOUT-API", "checkout\u200d-api", "çheckout-api", "\u202echeckout-api", "checkout-api\n",
    "İstanbul-api", "支払いゲートウェイ", "платежи", "🔥checkout🔥", "checkout-api\x00", "checkout\ud800api", " ", "",
    "x" * 5000,
]) | st.text(min_size=1, max_size=40)
# Times far from when the delivery was made, and ones no parser should take.
TIMES = ["2019-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2999-12-31T23:59:59Z", "1749000000", "-1", "9" * 30,
         "2025-06-05T10:02:11+14:00", "2025-02-30T25:61:00Z", "Tue, 03 Jun 2025 10:00:00 GMT"]
_LOOKS_LIKE_A_TIME = re.compile(r"\d{4}-\d\d-\d\dT|\d{10}")
WRONG_TYPES = [[], {}, 0, -1, "", None, True, 1.5, "x", [None], {"": None}]
NOT_JSON = [b"", b"null", b"{", b"<alert><service>checkout-api</service></alert>", b"\xef\xbb\xbf{}",
            "{}".encode("utf-16"), b"service=checkout-api&summary=down", b"\x00" * 16]

# Unsigned headers that say what a body holds, and what a sender might put in them.
EVENT_HEADERS = {"github": "X-GitHub-Event", "sentry": "Sentry-Hook-Resource"}
EVENT_HEADER_VALUES = ["deployment_status", "workflow_run", "issue", "event_alert", "ping", "installation", "",
                       " Issue ", "DEPLOYMENT_STATUS"]

MUTATIONS = ["replace", "poison_text", "huge_number", "nest", "wrong_type", "drop", "service_name", "time"]


class Raw:
    """Raw JSON text spliced into the encoded body in place of a marker string."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def marker(self, text: str) -> str:
        key = f"@@raw{len(self.texts)}@@"
        self.texts[key] = text
        return key

    def splice(self, encoded: str) -> str:
        # Latest first: a later text may hold an earlier marker (a nested copy of a marked node).
        for key, text in reversed(self.texts.items()):
            encoded = encoded.replace(json.dumps(key), text)
        return encoded


def _paths(value, prefix: tuple = ()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _replace(payload, path: tuple, new):
    if not path:
        return new
    parent = payload
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return payload


def _get(payload, path: tuple):
    for step in path:
        payload = payload[step]
    return payload


def _nested(depth: int, leaf) -> str:
    """`leaf` inside `depth` arrays and objects, as text: no Python value that deep survives json.dumps."""
    opening = "".join('{"a":' if level % 2 else "[" for level in range(depth))
    closing = "".join("}" if level % 2 else "]" for level in reversed(range(depth)))
    return opening + json.dumps(leaf) + closing


def _poisoned(text: str, data: st.DataObject) -> str:
    at = data.draw(st.integers(0, len(text)))
    return text[:at] + data.draw(st.sampled_from(POISONS)) + text[at:]


def _rename_service(source: str, payload, name: str):
    """Put `name` wherever this vendor names the service (or, for Slack, where a person would)."""
    if not isinstance(payload, dict):
        return payload
    if source in ("datadog", "generic"):
        payload["service"] = name
    elif source == "pagerduty":
        event = payload.get("event")
        incident = event.get("data") if isinstance(event, dict) else None
        if isinstance(incident, dict) and isinstance(incident.get("service"), dict):
            incident["service"]["summary"] = name
    elif source == "github" and isinstance(payload.get("repository"), dict):
        payload["repository"]["full_name"] = name
    elif source == "alertmanager":
        for alert in payload.get("alerts") or []:
            if isinstance(alert, dict) and isinstance(alert.get("labels"), dict):
                alert["labels"]["service"] = name
    elif source == "sentry" and isinstance(payload.get("data"), dict):
        issue, event = payload["data"].get("issue"), payload["data"].get("event")
        if isinstance(issue, dict) and isinstance(issue.get("project"), dict):
            issue["project"]["slug"] = name
        if isinstance(event, dict) and isinstance(event.get("tags"), list):
            event["tags"].insert(0, ["service", name])
    elif source == "slack" and isinstance(payload.get("event"), dict):
        payload["event"]["text"] = f"{name} is down for everyone, sev2"
    return payload


def mutate_json(source: str, payload, raw: Raw, data: st.DataObject):
    """One mutation, somewhere in the payload."""
    how = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    if how == "service_name":
        return _rename_service(source, payload, data.draw(SERVICE_NAMES))
    paths = list(_paths(payload))
    if how in ("poison_text", "time"):
        texts = [path for path in paths if isinstance(_get(payload, path), str)]
        if how == "time":
            texts = [path for path in texts if _LOOKS_LIKE_A_TIME.match(_get(payload, path))] or texts
        if texts:
            path = data.draw(st.sampled_from(texts))
            new = _poisoned(_get(payload, path), data) if how == "poison_text" else data.draw(st.sampled_from(TIMES))
            return _replace(payload, path, new)
        how = "replace"
    if how == "drop":
        keyed = [path for path in paths if path and isinstance(_get(payload, path[:-1]), dict)]
        if keyed:
            path = data.draw(st.sampled_from(keyed))
            del _get(payload, path[:-1])[path[-1]]
            return payload
        how = "replace"
    path = data.draw(st.sampled_from(paths))
    if how == "huge_number":
        return _replace(payload, path, raw.marker(data.draw(st.sampled_from(HUGE_NUMBERS))))
    if how == "nest":
        # Around and past the parsers' recursion limits (about 1000 levels).
        depth = data.draw(st.sampled_from([20, 200, 490, 900, 1100, 5000]))
        return _replace(payload, path, raw.marker(_nested(depth, _get(payload, path))))
    if how == "wrong_type":
        current = _get(payload, path)
        other = data.draw(st.sampled_from([v for v in WRONG_TYPES if type(v) is not type(current)]))
        return _replace(payload, path, copy.deepcopy(other))  # later mutations may write into it
    return _replace(payload, path, data.draw(JSON_VALUES))


def encode_json(payload, raw: Raw, data: st.DataObject) -> bytes:
    """Escaped (NUL and surrogates travel as \\u escapes), or raw UTF-8 where surrogates make it invalid."""
    if data.draw(st.integers(0, 4), label="raw encoding") == 0:
        text = raw.splice(json.dumps(payload, ensure_ascii=False))
        return text.encode("utf-8", "surrogatepass")
    return raw.splice(json.dumps(payload)).encode("ascii")


def mutate_form(form_body: str, data: st.DataObject) -> bytes:
    """A slash command with its fields replaced, dropped, poisoned or renamed."""
    fields = dict(parse_qsl(form_body, keep_blank_values=True))
    for _ in range(data.draw(st.integers(1, 3))):
        key = data.draw(st.sampled_from(sorted(fields) or ["text"]))
        how = data.draw(st.sampled_from(["text", "poison", "drop", "service_name"]))
        if how == "drop":
            fields.pop(key, None)
        elif how == "poison":
            fields[key] = _poisoned(fields.get(key, ""), data)
        elif how == "service_name":
            fields["text"] = f"{data.draw(SERVICE_NAMES)} sev2 checkout down"
        else:
            fields[key] = data.draw(st.text(max_size=60))
    return urlencode(fields, errors="surrogatepass").encode("ascii")


def not_json(data: st.DataObject) -> bytes:
    return data.draw(st.sampled_from(NOT_JSON) | st.binary(max_size=200), label="not JSON")
