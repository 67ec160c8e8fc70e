"""How the analysis reasons on small built incidents: failure chains, changes outside the
deploy pipeline, common causes, latent bugs, evidence against, calibration, people's reports."""

from datetime import timedelta

from incidentdesk.analysis.inputs import Report
from tests.analysis.builders import NOW, ONSET, Evidence, run
from tests.analysis.test_packet_rules import packet

UNRELATED_PATCH = "@@ -1,2 +1,2 @@ def banner():\n-    return 'Spring'\n+    return 'Summer'\n"


def team(name: str, oncall: str) -> dict:
    return {"name": name, "members": [oncall], "oncall": oncall}


def service(name: str, owner: str, depends_on: list[str], tier: int = 1) -> dict:
    return {"name": name, "team": owner, "tier": tier, "repo": f"org/{name}", "depends_on": depends_on,
            "runbook": None, "aliases": []}


def shared_catalog() -> dict:
    """svc-front calls svc-a and svc-b; both call svc-shared; nothing else connects them."""
    return {
        "teams": [team("team-front", "f1"), team("team-a", "a1"), team("team-b", "b1"), team("team-core", "c1")],
        "services": [
            service("svc-front", "team-front", ["svc-a", "svc-b"]),
            service("svc-a", "team-a", ["svc-shared"]),
            service("svc-b", "team-b", ["svc-shared"]),
            service("svc-shared", "team-core", []),
        ],
    }


def front_calls(name: str, owner: str) -> dict:
    """svc-front calls one service, `name`, owned by `owner`."""
    return {
        "teams": [team("team-front", "f1"), team(owner, "o1")],
        "services": [service("svc-front", "team-front", [name]), service(name, owner, [])],
    }


def ranked_by_what_speaks_against(p: dict) -> None:
    """A hypothesis with evidence against it never ranks above one without."""
    seen_against = False
    for h in p["hypotheses"]:
        if h["against"]:
            seen_against = True
        else:
            assert not seen_against, [(h["kind"], h["ref"], h["against"]) for h in p["hypotheses"]]


def failing_chain(ev: Evidence) -> None:
    """svc-front fails on svc-mid, which fails on reads from svc-deep; svc-deep's metrics stay flat."""
    ev.metric("svc-front", "error_rate", 0.002, 0.08, seed=1)
    ev.metric("svc-mid", "error_rate", 0.001, 0.2, onset=ONSET - timedelta(minutes=1), seed=2)
    ev.metric("svc-deep", "error_rate", 0.001, seed=3)
    ev.metric("svc-deep", "latency_p99_ms", 10, seed=4)
    for i in range(5):
        ev.log("svc-front", "error", f"GET /orders failed: svc-mid returned 500 (req {i})",
               ONSET + timedelta(seconds=10 * i))
        ev.log("svc-mid", "error", f"read from svc-deep returned no rows for a known key (key {i})",
               ONSET - timedelta(seconds=50 - 10 * i))


def test_a_maintenance_two_hops_down_explains_the_chain_and_its_team_owns_it() -> None:
    ev = Evidence()
    failing_chain(ev)
    maintenance = ev.calendar("CHG-1", "maintenance", ONSET - timedelta(minutes=10), ONSET + timedelta(hours=2),
                              ["svc-deep"])
    ev.pull_request(90, "org/svc-front", [("front/banner.py", UNRELATED_PATCH)])
    ev.deploy("dep-front", "svc-front", ONSET - timedelta(minutes=5), pr=90)
    p = packet(ev)
    top = p["hypotheses"][0]
    assert (top["kind"], top["ref"], top["confidence"]) == ("config_change", "CHG-1", "high")
    assert p["owner"]["team"] == "team-beta" and p["owner"]["basis"] == "cause"
    # change -> svc-deep -> svc-mid -> svc-front, every link cited
    assert [link["text"] for link in top["chain"]][:3] == [
        "Change CHG-1 on svc-deep", "svc-mid's errors name svc-deep", "svc-front's errors name svc-mid"]
    assert all(link["evidence"] for link in top["chain"]) and maintenance in top["evidence"]
    mid = next(h for h in p["hypotheses"] if h["ref"] == "svc-mid")
    assert mid["confidence"] == "low" and mid["against"]
    deploy = next(h for h in p["hypotheses"] if h["ref"] == "dep-front")
    assert deploy["confidence"] == "low" and "svc-front's errors come from svc-deep" in " ".join(
        deploy["against_reasons"])
    ranked_by_what_speaks_against(p)


def test_a_change_seen_only_in_a_dependency_logs_is_a_hypothesis_on_that_dependency() -> None:
    ev = Evidence()
    failing_chain(ev)
    for host in ("deep-1", "deep-2", "deep-3"):
        ev.log("svc-deep", "info", f"{host} dpkg: status installed libstore:amd64 2.4.1 (upgraded from 2.4.0)",
               ONSET - timedelta(minutes=6))
    for i in range(20):
        ev.log("svc-deep", "info", f"compaction finished in {i} ms", ONSET - timedelta(minutes=80 - 4 * i))
    p = packet(ev)
    top = p["hypotheses"][0]
    assert top["kind"] == "config_change" and top["ref"] is None and top["confidence"] in ("high", "medium")
    assert "libstore" in top["summary"]
    assert p["owner"]["team"] == "team-beta"


def failing_siblings(ev: Evidence) -> None:
    ev.metric("svc-front", "error_rate", 0.002, 0.1, seed=1)
    ev.metric("svc-a", "error_rate", 0.001, 0.2, onset=ONSET - timedelta(minutes=1), seed=2)
    ev.metric("svc-b", "error_rate", 0.001, 0.2, onset=ONSET - timedelta(minutes=2), seed=3)
    ev.metric("svc-shared", "error_rate", 0.001, seed=4)
    for i in range(4):
        ev.log("svc-front", "error", f"svc-a answered 500 (req {i})", ONSET + timedelta(seconds=5 * i))
        ev.log("svc-front", "error", f"svc-b answered 500 (req {i})", ONSET + timedelta(seconds=7 * i))


def test_failures_that_start_together_without_a_path_point_at_the_layer_they_share() -> None:
    ev = Evidence()
    failing_siblings(ev)
    p = packet(ev, catalog=shared_catalog())
    top = p["hypotheses"][0]
    # Not whichever sibling failed first (svc-b): the one dependency both share.
    assert (top["kind"], top["ref"]) == ("dependency", "svc-shared")
    assert top["confidence"] == "medium"
    sibling = next(h for h in p["hypotheses"] if h["ref"] == "svc-b")
    assert sibling["against"] and sibling["confidence"] != "high"
    ranked_by_what_speaks_against(p)


def test_a_change_on_the_shared_layer_explains_both_and_its_team_owns_it() -> None:
    ev = Evidence()
    failing_siblings(ev)
    ev.calendar("CHG-9", "maintenance", ONSET - timedelta(minutes=8), ONSET + timedelta(hours=1), ["svc-shared"])
    p = packet(ev, catalog=shared_catalog())
    top = p["hypotheses"][0]
    assert (top["kind"], top["ref"]) == ("config_change", "CHG-9")
    assert p["owner"]["team"] == "team-core"


def test_the_same_change_line_on_several_failing_services_is_a_shared_layer_outside_the_catalog() -> None:
    ev = Evidence()
    failing_siblings(ev)
    for name in ("svc-a", "svc-b"):
        for i in range(3):
            ev.log(name, "info", f"{name}-host-{i} sensord[311]: loaded content update channel file C-291",
                   ONSET - timedelta(minutes=4, seconds=-10 * i))
        for i in range(20):
            ev.log(name, "info", f"served batch {i}", ONSET - timedelta(minutes=80 - 4 * i))
    p = packet(ev, catalog=shared_catalog())
    top = p["hypotheses"][0]
    assert top["kind"] == "external" and top["ref"] == "sensord"
    assert "C-291" in top["summary"]
    # Outside the catalog: the run's own team owns it.
    assert p["owner"]["team"] == "team-front"


def test_old_code_in_the_failing_frames_outranks_a_recent_unrelated_deploy_and_the_trigger_is_cited() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.001, 0.06, seed=1)
    ev.pull_request(40, "org/svc-front", [("front/upstream/select.py", "@@ -3,2 +3,4 @@ def pick(rtt):\n+    return rand(rtt)\n")])
    ev.deploy("dep-old", "svc-front", ONSET - timedelta(days=30), pr=40)
    ev.pull_request(41, "org/svc-front", [("front/metrics/histogram.py", UNRELATED_PATCH)])
    ev.deploy("dep-new", "svc-front", ONSET - timedelta(minutes=7), pr=41)
    ev.error("e-1", "svc-front", "panic: invalid argument to rand", ONSET + timedelta(seconds=5),
             [("front/server.py", "serve"), ("front/upstream/select.py", "pick")], count=900)
    for i in range(20):
        ev.log("svc-front", "info", f"served {i} queries", ONSET - timedelta(minutes=80 - 4 * i))
    ev.log("svc-front", "warning", "kernel: Clock: inserting leap second 23:59:60 UTC", ONSET)
    p = packet(ev)
    top = p["hypotheses"][0]
    assert (top["kind"], top["ref"], top["confidence"]) == ("deploy", "dep-old", "medium")
    assert "dormant until" in top["summary"] and "leap second" in top["summary"]
    recent = next(h for h in p["hypotheses"] if h["ref"] == "dep-new")
    assert recent["confidence"] == "low"
    assert "deploy dep-old matches the failure instead" in recent["against_reasons"]
    ranked_by_what_speaks_against(p)


def test_a_dependency_nothing_explains_is_at_most_medium_and_the_packet_says_what_to_check() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, 0.07, seed=1)
    p = packet(ev)
    top = p["hypotheses"][0]
    assert top["kind"] == "unknown" and "The check that would decide it:" in top["summary"]
    assert p["next_actions"][0]["text"].startswith("Decide the cause: ")
    assert "not known yet" in p["text"]


def test_a_restart_during_the_incident_that_opened_a_new_failure_explains_it() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, 0.3, seed=1)
    ev.metric("svc-mid", "error_rate", 0.001, 0.5, onset=ONSET - timedelta(minutes=1), seed=2)
    for i in range(20):
        ev.log("svc-mid", "info", f"replicas in sync, lag {i} ms", ONSET - timedelta(minutes=80 - 4 * i))
    for i in range(4):
        ev.log("svc-front", "error", f"timeout reading from svc-mid after 2000ms (op {i})",
               ONSET + timedelta(seconds=10 * i))
    ev.log("svc-mid", "info", "sudo: ops : COMMAND=/usr/sbin/service svc-mid restart", ONSET + timedelta(minutes=3))
    for i in range(6):
        ev.log("svc-front", "error", f"write to svc-mid rejected: READONLY replica (op {i})",
               ONSET + timedelta(minutes=4, seconds=30 * i))
    p = packet(ev)
    top = p["hypotheses"][0]
    assert top["kind"] == "config_change" and "while it failed" in top["summary"] and "READONLY" in top["summary"]
    assert p["owner"]["team"] == "team-alpha"  # svc-mid's team


def test_a_dependency_healthy_on_its_own_side_while_callers_time_out_points_at_the_network() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, 0.2, seed=1)
    ev.metric("svc-mid", "error_rate", 0.001, seed=2)
    ev.metric("svc-mid", "latency_p99_ms", 20, seed=3)
    for i in range(5):
        ev.log("svc-front", "error", f"call to svc-mid timed out after 1000ms (req {i})", ONSET + timedelta(seconds=9 * i))
        ev.log("svc-front", "warning", f"netprobe: loss {i + 1}% to svc-mid subnet", ONSET + timedelta(seconds=11 * i))
    p = packet(ev)
    top = p["hypotheses"][0]
    assert (top["kind"], top["ref"]) == ("external", "network")
    mid = next(h for h in p["hypotheses"] if h["ref"] == "svc-mid")
    assert "stay flat while its callers time out" in " ".join(mid["against_reasons"])


def test_a_number_that_jumps_in_a_dependency_recurring_line_shows_it_failing() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, 0.3, seed=1)
    for i in range(12):
        ev.log("svc-mid", "info", f"published feature file with 118 features (v{i})", ONSET - timedelta(minutes=60 - 5 * i))
    ev.log("svc-mid", "info", "published feature file with 236 features (v12)", ONSET - timedelta(seconds=30))
    for i in range(4):
        ev.log("svc-front", "error", f"panic: FeatureLimitExceeded count 236 limit 200 (worker {i})",
               ONSET + timedelta(seconds=5 * i))
    p = packet(ev)
    mid = next(h for h in p["hypotheses"] if h["ref"] == "svc-mid")
    assert "output changed" in mid["summary"] and "118 to 236" in mid["summary"]


def report(**kw) -> Report:
    values = dict(id="T1", source="generic", title="Customers say they were charged twice", at=NOW,
                  category="support_spike", count=40.0, baseline=2.0, window_minutes=30.0, severity="sev2")
    values.update(kw)
    return Report(**values)


def test_a_support_spike_is_cited_and_counts_as_customer_impact() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, seed=1)
    p = packet(ev, run=run(trigger_source="generic", reports=(report(),)))
    signal = next(s for s in p["signals"] if s["evidence"] == ["T1"])
    assert "charged more than once" in signal["text"] and "40 reports in 30 min, usually 2: 20x" in signal["text"]
    assert any(e["id"] == "T1" and e["source"] == "trigger" for e in p["evidence"])
    assert p["severity"] == "sev3" and "people report customer impact" in p["severity_basis"]
    # The sender said sev2; the packet says why its candidate differs.
    assert "the report said sev2: error rate 0.2% at worst, below its 5% line" in p["severity_basis"]


def test_a_report_start_anchors_first_seen_when_the_metrics_moved_long_before() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, 0.02, onset=ONSET - timedelta(minutes=70), seed=1)
    ev.error("e-7", "svc-front", "AccountMismatch: page owner differs from session", ONSET + timedelta(seconds=40),
             [("front/account.py", "render")], count=300)
    reported = ONSET + timedelta(minutes=2)
    p = packet(ev, run=run(trigger_source="slack", reports=(report(source="slack", started_at=reported,
                                                                      count=None, baseline=None),)))
    assert p["first_seen"] == "2030-01-10T11:48:40Z"


def test_runbook_steps_that_change_production_are_listed_for_approval_with_the_section() -> None:
    from tests.analysis.builders import catalog

    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.003, 0.09, seed=1)
    ev.runbook(
        "front.md",
        "# front\n\n## Error rate above 5%\n\n1. Check recent deploys.\n2. Restart the front workers.\n"
        "3. Turn off the flag `front-new-cart` if it was changed today.\n4. Do not scale out: it hides the cause.\n",
    )
    p = packet(ev, catalog=catalog(runbook="front.md"))
    steps = {a["action"]: a for a in p["requires_approval"]}
    assert steps["restart"]["target"] == "svc-front"
    assert steps["flag_toggle"]["target"] == "front-new-cart"
    assert '"## Error rate above 5%" says: Turn off the flag' in steps["flag_toggle"]["reason"]
    assert "scale" not in steps  # a negated step is not a step


def test_a_change_like_line_on_the_paged_service_that_nothing_ties_to_the_failure_stays_low() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, 0.09, seed=1)
    for i in range(20):
        ev.log("svc-front", "info", f"served batch {i}", ONSET - timedelta(minutes=80 - 4 * i))
    ev.log("svc-front", "info", "router: loaded 5120 routing rules into the cache", ONSET - timedelta(minutes=20))
    ev.error("e-2", "svc-front", "KeyError: 'customer_id'", ONSET + timedelta(seconds=20),
             [("front/billing/parser.py", "parse")], count=800)
    p = packet(ev)
    logged = [h for h in p["hypotheses"] if h["kind"] == "config_change"]
    assert logged and all(h["confidence"] == "low" for h in logged)
    assert p["hypotheses"][0]["kind"] == "unknown"


def test_a_failing_dependency_whose_own_lines_say_an_outside_host_stopped_answering_is_external() -> None:
    ev = Evidence()
    failing_chain(ev)
    for i in range(20):
        ev.log("svc-deep", "info", f"cache hit ratio {i}%", ONSET - timedelta(minutes=80 - 4 * i))
    for i in range(4):
        ev.log("svc-deep", "warning", f"upstream ns{i}.p07.dnsvendor.net. (192.0.2.{i}) marked as timed out, probing",
               ONSET - timedelta(seconds=40 - 5 * i))
    p = packet(ev)
    top = p["hypotheses"][0]
    assert (top["kind"], top["ref"]) == ("external", "dnsvendor")
    deep = next(h for h in p["hypotheses"] if h["ref"] == "svc-deep")
    assert deep["confidence"] != "high" and "dnsvendor failed under it" in deep["summary"]
    assert p["owner"]["team"] == "team-alpha"  # outside the catalog: the paged service's team


def test_a_reported_exposure_began_where_the_data_first_showed_up_days_before_the_report() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, seed=1)
    leak_began = NOW - timedelta(days=3, hours=2)
    ev.error("e-leak", "svc-mid", "OutputCheck: page carries another site's bytes", leak_began,
             [("mid/render.py", "render")], count=40, redactions=("email",))
    security = report(category="security", count=None, baseline=None, severity="sev1", started_at=NOW,
                      title="Researcher: pages carry other sites' memory")
    p = packet(ev, run=run(trigger_source="generic", reports_data_exposure=True, reports=(security,)))
    assert p["first_seen"] == leak_began.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert p["data_risk"]["flagged"] is True and p["severity"] == "sev1"


def test_a_control_plane_push_seen_on_several_services_is_an_outside_shared_layer() -> None:
    ev = Evidence()
    failing_siblings(ev)
    for name in ("svc-a", "svc-b"):
        for i in range(20):
            ev.log(name, "info", f"served batch {i}", ONSET - timedelta(minutes=80 - 4 * i))
        ev.log(name, "warning", "xds-client: ADS update from mesh.cloudvendor.net:443: version r213 with 0 clusters"
                                " (previous r190: 215)", ONSET - timedelta(minutes=2))
    p = packet(ev, catalog=shared_catalog())
    top = p["hypotheses"][0]
    assert (top["kind"], top["ref"]) == ("external", "cloudvendor")


def test_a_router_commit_just_before_the_paged_service_fails_explains_a_dependency_limping_since_earlier() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, 0.2, seed=1)
    ev.metric("svc-mid", "error_rate", 0.001, 0.03, onset=ONSET - timedelta(minutes=45), seed=2)
    for i in range(20):
        ev.log("svc-mid", "info", f"link util {i}%", ONSET - timedelta(minutes=80 - 4 * i))
    ev.log("svc-mid", "info", "mgd[41]: UI_CFG_AUDIT_OTHER: User 'dana' deactivate: [policy-options term SITE-LOCAL]",
           ONSET - timedelta(seconds=90))
    ev.log("svc-mid", "info", "mgd[41]: UI_COMMIT_COMPLETED: commit complete", ONSET - timedelta(seconds=20))
    for i in range(4):
        ev.log("svc-front", "error", f"connect to svc-mid timed out (req {i})", ONSET + timedelta(seconds=10 * i))
    p = packet(ev)
    top = p["hypotheses"][0]
    assert top["kind"] == "config_change" and "deactivate" in top["summary"]
    assert "before svc-front began failing" in top["summary"]


def test_an_overloaded_caller_is_still_downstream_of_the_network_failing_with_it() -> None:
    """svc-front's own frames say its accept queue is full, but a full queue reports a limit,
    not a broken code path: the same-minute failure of what it calls is still below it."""
    catalog = front_calls("svc-net", "team-net")
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, 0.4, seed=1)
    ev.metric("svc-net", "error_rate", 0.001, 0.3, seed=2)
    ev.error("e-1", "svc-front", "OriginConnectError: network is unreachable", ONSET + timedelta(seconds=6),
             [("proxy/origin/connect.rs", "connect_origin")], count=9000)
    ev.error("e-2", "svc-front", "Overloaded: accept queue full", ONSET + timedelta(seconds=20),
             [("proxy/server/accept.rs", "accept_loop"), ("proxy/server/admission.rs", "admit")], count=7000)
    ev.calendar("CHG-7", "maintenance", ONSET - timedelta(hours=2), ONSET + timedelta(hours=1), ["svc-net"])
    for i in range(20):
        ev.log("svc-net", "info", f"bgp keepalive sent to peer {i}", ONSET - timedelta(minutes=80 - 3 * i))
    for i in range(3):
        ev.log("svc-net", "info", f"commit complete (comment: CHG-7 step {i + 1}/3)",
               ONSET - timedelta(minutes=2 * (2 - i), seconds=30))
    p = packet(ev, catalog=catalog)
    top = p["hypotheses"][0]
    assert (top["kind"], top["ref"]) == ("config_change", "CHG-7"), [(h["kind"], h["ref"]) for h in p["hypotheses"]]
    assert [link["text"] for link in top["chain"]][-1] == "svc-front is failing"
    net = next(h for h in p["hypotheses"] if h["kind"] == "dependency" and h["ref"] == "svc-net")
    assert "explained by change CHG-7" in net["summary"]


def test_a_command_run_by_hand_again_on_another_host_is_the_change_that_broke_the_database() -> None:
    """The same sudo command was run an hour earlier, harmlessly, on the replica; run again on
    the primary just before it failed, that second run is the change. A read is not a change."""
    catalog = front_calls("svc-db", "team-db")
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.005, 0.95, seed=1)
    ev.metric("svc-db", "error_rate", 0.002, 0.9, seed=2)
    for i in range(30):
        ev.log("svc-db", "info", f"checkpoint complete: wrote {1000 + i} buffers", ONSET - timedelta(minutes=88 - 3 * i))
    rm = "sudo:   ops1 : TTY=pts/{} ; PWD=/srv ; USER=root ; COMMAND=/bin/rm -rf /var/lib/db/data"
    ev.log("svc-db", "warning", rm.format(1), ONSET - timedelta(minutes=62))
    ev.log("svc-db", "info", "sudo:   ops1 : TTY=pts/4 ; PWD=/srv ; USER=root ; COMMAND=/bin/ls -la /var/lib/db",
           ONSET - timedelta(minutes=4))
    ev.log("svc-db", "warning", rm.format(4), ONSET - timedelta(seconds=5))
    for i in range(6):
        ev.log("svc-db", "error", f'ERROR: could not open file "base/1/{i}": No such file or directory',
               ONSET + timedelta(seconds=2 * i))
        ev.log("svc-front", "error", f"query failed: svc-db: could not open file (req {i})",
               ONSET + timedelta(seconds=3 * i))
    p = packet(ev, catalog=catalog)
    top = p["hypotheses"][0]
    assert top["kind"] == "config_change" and "svc-db's logs" in top["summary"], [h["summary"] for h in p["hypotheses"]]
    assert "ops1 ran `/bin/rm -rf /var/lib/db/data` as root" in top["summary"]
    assert f"from {ONSET - timedelta(seconds=5):%H:%M}" in top["summary"]
    assert not any("/bin/ls" in h["summary"] for h in p["hypotheses"])
    assert p["next_actions"][0]["text"].startswith("Find who made the change seen in svc-db")


def test_a_surge_on_a_shared_component_that_no_caller_in_scope_sent_is_not_called_its_cause() -> None:
    """svc-core took 6x the requests ten minutes before svc-front failed, but svc-front sent no
    more: a client outside the scope did. The desk says who its logs name, at medium."""
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, 0.3, seed=1)
    ev.metric("svc-front", "requests_per_s", 800, seed=2)
    ev.metric("svc-core", "requests_per_s", 4000, 24000, onset=ONSET - timedelta(minutes=10), seed=3)
    ev.metric("svc-core", "saturation", 0.4, 0.99, onset=ONSET - timedelta(minutes=9), seed=4)
    ev.metric("svc-core", "error_rate", 0.001, 0.4, onset=ONSET - timedelta(minutes=2), seed=5)
    for i in range(60):
        ev.log("svc-core", "info", f"GET /v1/objects?limit=0 200 {300 + i}ms userAgent=kitchen-sink/1.8.0 node=n{i}",
               ONSET - timedelta(minutes=9, seconds=-9 * i))
    for i in range(8):
        ev.log("svc-core", "info", f"GET /v1/objects/{i} 200 4ms userAgent=svc-front/3.2", ONSET - timedelta(minutes=60 - 7 * i))
        ev.log("svc-front", "error", f"GET /orders failed: svc-core returned 503 (req {i})", ONSET + timedelta(seconds=5 * i))
    p = packet(ev, catalog=front_calls("svc-core", "team-core"))
    capacity = next(h for h in p["hypotheses"] if h["kind"] == "capacity" and h["ref"] == "svc-core")
    assert capacity["confidence"] == "medium"
    assert "its logs name kitchen-sink/1.8.0 as the client" in capacity["summary"]
    assert not any(h["confidence"] == "high" for h in p["hypotheses"])
    assert p["hypotheses"][0] == capacity, [h["summary"] for h in p["hypotheses"]]
    assert p["next_actions"][0]["text"].startswith("Find what changed in kitchen-sink/1.8.0")


def test_a_provider_answering_5xx_under_a_dependency_outranks_an_old_change_that_only_shares_words() -> None:
    ev = Evidence()
    ev.metric("svc-front", "error_rate", 0.002, 0.5, seed=1)
    ev.metric("svc-store", "error_rate", 0.001, 0.9, onset=ONSET - timedelta(minutes=2), seed=2)
    ev.calendar("CHG-3", "maintenance", ONSET - timedelta(hours=3), ONSET - timedelta(hours=2, minutes=30),
                ["svc-store"])
    ev.items[-1].data["title"] = "svc-store: resize origin connection pools in us-central"
    for i in range(20):
        ev.log("svc-store", "info", f"origin pool ok in us-central ({i})", ONSET - timedelta(minutes=80 - 3 * i))
    for i in range(8):
        ev.log("svc-store", "error", f"cold read key=k{i}: origin answered 503 UNAVAILABLE from storage.objvendor.example"
               f" (us-central, attempt 3/3)", ONSET - timedelta(minutes=2, seconds=-10 * i))
        ev.log("svc-front", "error", f"GET /login failed: svc-store returned 503 (req {i})", ONSET + timedelta(seconds=5 * i))
    p = packet(ev, catalog=front_calls("svc-store", "team-store"))
    top = p["hypotheses"][0]
    assert (top["kind"], top["ref"]) == ("external", "objvendor"), [h["summary"] for h in p["hypotheses"]]
    assert [h["ref"] for h in p["hypotheses"]].count("objvendor") == 1
    change = next(h for h in p["hypotheses"] if h["ref"] == "CHG-3")
    assert change["confidence"] == "low"
