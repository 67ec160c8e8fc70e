import base64

import pytest

from incidentdesk.intake.events import SignatureError
from incidentdesk.intake.signatures import SIGNED_SOURCES, VERIFIERS, verify
from tests.intake.vendor_payloads import hmac_hex, load

NOW = 1_749_050_000.0
SECRET = "whsec-current-3f9a1c"
OLD_SECRET = "whsec-rotated-out-77b2"


def rejection(source: str, headers: dict[str, str], body: bytes, secrets: list[str], **kwargs) -> str:
    with pytest.raises(SignatureError) as caught:
        verify(source, headers, body, secrets, now=NOW, **kwargs)
    return str(caught.value)


def slack_headers(body: bytes, *, secret: str = SECRET, timestamp: int = int(NOW)) -> dict[str, str]:
    signature = hmac_hex(secret, f"v0:{timestamp}:".encode() + body)
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={signature}"}


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_every_source_has_a_verifier_and_the_signed_ones_are_listed():
    assert set(VERIFIERS) == {"pagerduty", "datadog", "sentry", "slack", "github", "alertmanager", "generic"}
    assert SIGNED_SOURCES == {"pagerduty", "sentry", "slack", "github"}


# PagerDuty


def test_it_accepts_a_pagerduty_body_signed_with_the_secret():
    headers, body = load("pagerduty/incident_triggered")
    headers["X-PagerDuty-Signature"] = f"v1={hmac_hex(SECRET, body)}"

    verify("pagerduty", headers, body, [SECRET], now=NOW)


def test_it_accepts_a_pagerduty_header_holding_two_signatures_during_rotation():
    headers, body = load("pagerduty/incident_triggered")
    headers["X-PagerDuty-Signature"] = f"v1={hmac_hex('brand-new-secret', body)},v1={hmac_hex(SECRET, body)}"

    verify("pagerduty", headers, body, [SECRET], now=NOW)


def test_it_ignores_pagerduty_signatures_of_other_versions():
    headers, body = load("pagerduty/incident_triggered")
    headers["X-PagerDuty-Signature"] = f"v2={hmac_hex(SECRET, body)}"

    assert "no v1= signature" in rejection("pagerduty", headers, body, [SECRET])


def test_it_rejects_a_pagerduty_request_without_its_signature_header():
    headers, body = load("pagerduty/incident_triggered")

    assert rejection("pagerduty", headers, body, [SECRET]) == "missing X-PagerDuty-Signature header"


def test_it_rejects_a_pagerduty_signature_made_with_another_secret():
    headers, body = load("pagerduty/incident_triggered")
    headers["X-PagerDuty-Signature"] = f"v1={hmac_hex('not-our-secret', body)}"

    assert rejection("pagerduty", headers, body, [SECRET]) == "signature does not match"


def test_it_rejects_a_pagerduty_body_that_differs_from_the_signed_bytes():
    headers, body = load("pagerduty/incident_triggered")
    headers["X-PagerDuty-Signature"] = f"v1={hmac_hex(SECRET, body)}"
    tampered = body.replace(b'"P1"', b'"P4"')
    assert tampered != body

    assert rejection("pagerduty", headers, tampered, [SECRET]) == "signature does not match"


# Sentry


def test_it_accepts_a_sentry_body_signed_with_a_rotated_out_secret_still_configured():
    headers, body = load("sentry/issue_created")
    headers["Sentry-Hook-Signature"] = hmac_hex(OLD_SECRET, body)

    verify("sentry", headers, body, [SECRET, OLD_SECRET], now=NOW)


def test_it_accepts_a_sentry_signature_with_either_of_two_configured_secrets():
    headers, body = load("sentry/issue_created")
    for signing_secret in (SECRET, OLD_SECRET):
        headers["Sentry-Hook-Signature"] = hmac_hex(signing_secret, body)
        verify("sentry", headers, body, [SECRET, OLD_SECRET], now=NOW)


def test_it_rejects_a_sentry_request_without_its_signature_header():
    headers, body = load("sentry/issue_created")

    assert rejection("sentry", headers, body, [SECRET]) == "missing Sentry-Hook-Signature header"


def test_it_rejects_a_sentry_signature_over_a_re_serialised_body():
    headers, body = load("sentry/event_alert_triggered")
    headers["Sentry-Hook-Signature"] = hmac_hex(SECRET, body)
    reformatted = body.replace(b", ", b",")
    assert reformatted != body

    assert rejection("sentry", headers, reformatted, [SECRET]) == "signature does not match"


def test_it_rejects_a_sentry_signature_made_with_a_secret_no_longer_configured():
    headers, body = load("sentry/issue_created")
    headers["Sentry-Hook-Signature"] = hmac_hex(OLD_SECRET, body)

    assert rejection("sentry", headers, body, [SECRET]) == "signature does not match"


# Slack


def test_it_accepts_a_fresh_slack_signature():
    _, body = load("slack/slash_incident")

    verify("slack", slack_headers(body, timestamp=int(NOW) - 299), body, [SECRET], now=NOW)


def test_it_rejects_a_stale_slack_signature():
    _, body = load("slack/slash_incident")
    headers = slack_headers(body, timestamp=int(NOW) - 301)

    assert rejection("slack", headers, body, [SECRET]) == "timestamp outside the 300 s window"


def test_it_rejects_a_slack_timestamp_from_the_future():
    _, body = load("slack/slash_incident")
    headers = slack_headers(body, timestamp=int(NOW) + 600)

    assert rejection("slack", headers, body, [SECRET]) == "timestamp outside the 300 s window"


def test_it_applies_a_narrower_slack_skew_when_asked():
    _, body = load("slack/slash_incident")
    headers = slack_headers(body, timestamp=int(NOW) - 120)

    assert rejection("slack", headers, body, [SECRET], max_skew=60) == "timestamp outside the 60 s window"


def test_it_rejects_a_non_numeric_slack_timestamp():
    _, body = load("slack/slash_incident")
    headers = slack_headers(body)
    headers["X-Slack-Request-Timestamp"] = "yesterday"

    assert "not a Unix timestamp" in rejection("slack", headers, body, [SECRET])


def test_it_rejects_a_slack_request_without_a_timestamp():
    _, body = load("slack/slash_incident")
    headers = slack_headers(body)
    del headers["X-Slack-Request-Timestamp"]

    assert rejection("slack", headers, body, [SECRET]) == "missing X-Slack-Request-Timestamp header"


def test_it_rejects_a_slack_request_without_a_signature():
    _, body = load("slack/slash_incident")
    headers = slack_headers(body)
    del headers["X-Slack-Signature"]

    assert rejection("slack", headers, body, [SECRET]) == "missing X-Slack-Signature header"


def test_it_rejects_a_slack_signature_whose_timestamp_was_replaced():
    _, body = load("slack/slash_incident")
    headers = slack_headers(body, timestamp=int(NOW) - 100)
    headers["X-Slack-Request-Timestamp"] = str(int(NOW))

    assert rejection("slack", headers, body, [SECRET]) == "signature does not match"


def test_it_rejects_a_slack_body_that_differs_from_the_signed_bytes():
    _, body = load("slack/slash_incident")
    headers = slack_headers(body)
    tampered = body.replace(b"SEV1", b"SEV4")
    assert tampered != body

    assert rejection("slack", headers, tampered, [SECRET]) == "signature does not match"


def test_it_accepts_a_slack_signature_made_with_the_previous_signing_secret():
    _, body = load("slack/message")

    verify("slack", slack_headers(body, secret=OLD_SECRET), body, [SECRET, OLD_SECRET], now=NOW)


# GitHub


def test_it_accepts_a_github_sha256_signature_whatever_the_header_case():
    headers, body = load("github/deployment_status_failure")
    headers["x-hub-signature-256"] = f"sha256={hmac_hex(SECRET, body)}"

    verify("github", headers, body, [SECRET], now=NOW)


def test_it_rejects_a_github_request_with_only_the_legacy_sha1_header():
    headers, body = load("github/deployment_status_failure")
    headers["X-Hub-Signature"] = "sha1=0123456789abcdef0123456789abcdef01234567"

    assert rejection("github", headers, body, [SECRET]) == "missing X-Hub-Signature-256 header"


def test_it_rejects_a_github_signature_without_its_sha256_prefix():
    headers, body = load("github/deployment_status_failure")
    headers["X-Hub-Signature-256"] = hmac_hex(SECRET, body)

    assert "sha256=" in rejection("github", headers, body, [SECRET])


def test_it_rejects_a_github_signature_made_with_another_secret():
    headers, body = load("github/workflow_run_failure")
    headers["X-Hub-Signature-256"] = f"sha256={hmac_hex('someone-else', body)}"

    assert rejection("github", headers, body, [SECRET, OLD_SECRET]) == "signature does not match"


def test_it_rejects_a_github_body_that_differs_from_the_signed_bytes():
    headers, body = load("github/workflow_run_failure")
    headers["X-Hub-Signature-256"] = f"sha256={hmac_hex(SECRET, body)}"

    assert rejection("github", headers, body + b" ", [SECRET]) == "signature does not match"


# Unsigned vendors: the secret itself, as Bearer or Basic password


@pytest.mark.parametrize("source", ["datadog", "alertmanager", "generic"])
def test_it_accepts_the_secret_as_a_bearer_token(source):
    verify(source, {"Authorization": f"Bearer {SECRET}"}, b"{}", [SECRET], now=NOW)


@pytest.mark.parametrize("source", ["datadog", "alertmanager", "generic"])
def test_it_accepts_the_secret_as_a_basic_password_with_any_username(source):
    for username in ("alertmanager", "datadog-webhook", ""):
        verify(source, {"authorization": basic(username, SECRET)}, b"{}", [SECRET], now=NOW)


def test_it_accepts_a_bearer_token_equal_to_a_rotated_out_secret():
    verify("datadog", {"Authorization": f"Bearer {OLD_SECRET}"}, b"{}", [SECRET, OLD_SECRET], now=NOW)


@pytest.mark.parametrize("source", ["datadog", "alertmanager", "generic"])
def test_it_rejects_an_unsigned_vendor_without_credentials(source):
    assert rejection(source, {"Content-Type": "application/json"}, b"{}", [SECRET]) == (
        "missing Authorization header"
    )


def test_it_rejects_a_wrong_bearer_token():
    headers = {"Authorization": "Bearer guess"}

    assert rejection("datadog", headers, b"{}", [SECRET]) == "credential does not match"


def test_it_rejects_a_basic_credential_whose_password_is_wrong_even_if_the_username_is_the_secret():
    headers = {"Authorization": basic(SECRET, "guess")}

    assert rejection("alertmanager", headers, b"{}", [SECRET]) == "credential does not match"


def test_it_rejects_basic_credentials_that_are_not_base64():
    assert "not valid base64" in rejection("generic", {"Authorization": "Basic ***"}, b"{}", [SECRET])


def test_it_rejects_an_authorization_scheme_it_does_not_know():
    assert "Bearer" in rejection("generic", {"Authorization": f"Token {SECRET}"}, b"{}", [SECRET])


def test_it_rejects_a_bearer_header_with_no_token():
    assert "Bearer" in rejection("generic", {"Authorization": "Bearer "}, b"{}", [SECRET])


# Configuration


@pytest.mark.parametrize("source", sorted(VERIFIERS))
def test_it_refuses_every_request_when_no_secret_is_configured(source):
    assert rejection(source, {"Authorization": "Bearer "}, b"{}", []) == f"no secret configured for {source}"


def test_an_empty_secret_counts_as_no_secret():
    headers = {"Authorization": "Basic " + base64.b64encode(b"x:").decode()}

    assert rejection("generic", headers, b"{}", [""]) == "no secret configured for generic"


def test_it_rejects_an_unknown_source():
    assert "unknown source" in rejection("nagios", {}, b"{}", [SECRET])


def test_it_reads_headers_from_any_mapping_whatever_their_case():
    headers, body = load("pagerduty/incident_triggered")
    signed = {key.upper(): value for key, value in headers.items()}
    signed["X-PAGERDUTY-SIGNATURE"] = f"v1={hmac_hex(SECRET, body)}"

    verify("pagerduty", signed, body, [SECRET], now=NOW)
