"""Personal data leaking into runtime evidence: when it began, and the change that let it out."""

from datetime import timedelta

from incidentdesk.analysis.exposure import exposing_reasons, is_personal
from incidentdesk.analysis.timeutil import iso_z
from tests.analysis.builders import NOW, Evidence
from tests.analysis.test_packet_rules import packet

LEAK_AT = NOW - timedelta(minutes=80)

LOG_PAYLOAD_PATCH = (
    "@@ -38,3 +38,4 @@ def submit(request):\n"
    "     payload = Schema().load(request.json)\n"
    '+    logger.info("submission payload: %s", payload)\n'
    "     return save(payload)\n"
)
PII_SDK_PATCH = (
    "@@ -1,8 +1,8 @@\n"
    "     sdk.init(\n"
    "-        before_send=scrub_card_data,\n"
    "-        send_default_pii=False,\n"
    "+        send_default_pii=True,\n"
    "     )\n"
)
FIELD_LOG_PATCH = (
    '@@ -3,2 +3,3 @@ def submit(request):\n+    logger.info("submission %s stored", submission.id)\n'
)


def leaking_front(ev: Evidence, kinds: tuple[str, ...] = ("email", "phone")) -> None:
    ev.metric("svc-front", "error_rate", 0.003, minutes=150)
    ev.metric("svc-front", "latency_p99_ms", 300, seed=2, minutes=150)
    for i in range(8):
        ev.log(
            "svc-front",
            "info",
            "submission payload: {'email': '[REDACTED:email]', 'phone': '[REDACTED:phone]'}",
            LEAK_AT + timedelta(minutes=7 * i),
            redactions=kinds,
        )


def test_a_diff_that_logs_whole_payloads_sends_pii_or_drops_a_scrubber_lets_data_out() -> None:
    logs = exposing_reasons({"files": [{"path": "app/views.py", "patch": LOG_PAYLOAD_PATCH}]})
    sdk = exposing_reasons({"files": [{"path": "app/observability.py", "patch": PII_SDK_PATCH}]})
    assert logs == ["logs whole request payloads (app/views.py)"]
    assert any("sending personal data" in r for r in sdk) and any("scrubber" in r for r in sdk)
    assert exposing_reasons({"files": [{"path": "app/views.py", "patch": FIELD_LOG_PATCH}]}) == []


def test_credentials_are_not_personal_data() -> None:
    assert is_personal("email") and is_personal("card") and is_personal("phone")
    assert not any(is_personal(k) for k in ("token", "aws_key", "api_key", "bearer_token", "url_password"))


def test_without_a_metric_onset_a_leak_begins_at_the_first_redacted_runtime_record() -> None:
    ev = Evidence()
    leaking_front(ev)
    assert packet(ev)["first_seen"] == iso_z(LEAK_AT)


def test_redacted_credentials_alone_do_not_date_a_personal_data_leak() -> None:
    ev = Evidence()
    leaking_front(ev, kinds=("token",))
    assert packet(ev)["first_seen"] == iso_z(NOW)


def test_a_deploy_just_before_the_leak_that_logs_whole_payloads_is_the_cause_and_safe_to_roll_back() -> None:
    ev = Evidence()
    leaking_front(ev)
    pr = ev.pull_request(31, "org/svc-front", [("app/views.py", LOG_PAYLOAD_PATCH)])
    dep = ev.deploy("dep-leak", "svc-front", LEAK_AT - timedelta(minutes=1), pr=31)
    ev.pull_request(32, "org/svc-front", [("app/fonts.py", "@@ -1 +1 @@\n-A = 1\n+A = 2\n")])
    ev.deploy("dep-fonts", "svc-front", LEAK_AT - timedelta(minutes=50), pr=32)
    p = packet(ev)
    top = p["hypotheses"][0]
    assert (top["kind"], top["ref"], top["confidence"]) == ("deploy", "dep-leak", "high")
    assert {dep, pr} <= set(top["evidence"])
    assert p["data_risk"]["flagged"] is True
    rollback = next(a for a in p["requires_approval"] if a["action"] == "rollback")
    assert (rollback["target"], rollback["safe"]) == ("dep-leak", True)


def test_a_deploy_with_an_unrelated_diff_before_a_leak_is_not_high() -> None:
    ev = Evidence()
    leaking_front(ev)
    ev.pull_request(32, "org/svc-front", [("app/fonts.py", "@@ -1 +1 @@\n-A = 1\n+A = 2\n")])
    ev.deploy("dep-fonts", "svc-front", LEAK_AT - timedelta(minutes=2), pr=32)
    assert all(h["confidence"] != "high" for h in packet(ev)["hypotheses"])


def test_an_old_error_group_whose_sample_now_carries_personal_data_leaks_from_the_exposing_deploy() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.003, minutes=150)
    ev.pull_request(41, "org/svc-front", [("app/observability.py", PII_SDK_PATCH)])
    shipped = NOW - timedelta(minutes=40)
    ev.deploy("dep-sdk", "svc-front", shipped, pr=41)
    ev.error(
        "e-old",
        "svc-front",
        "CardDeclined: issuer declined",
        NOW - timedelta(days=90),
        [("app/cards.py", "authorize")],
        count=20000,
        message="CardDeclined for [REDACTED:card] ([REDACTED:email])",
        redactions=("card", "email"),
    )
    p = packet(ev)
    assert p["first_seen"] == iso_z(shipped)
    top = p["hypotheses"][0]
    assert (top["kind"], top["ref"], top["confidence"]) == ("deploy", "dep-sdk", "high")
