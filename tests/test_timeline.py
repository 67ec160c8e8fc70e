"""The timeline is pure: evidence records in, an SVG string out; no database."""

from datetime import UTC, datetime, timedelta

from incidentdesk.timeline import (
    NARROW_WIDTH,
    Timeline,
    format_value,
    panel_scales,
    panel_summary,
    timeline_build,
    timeline_svg,
)

ONSET = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _metric(service: str, name: str, minutes: int = 120, peak_after: datetime = ONSET) -> dict:
    start = ONSET - timedelta(minutes=90)
    points = [[_iso(start + timedelta(minutes=i)), 0.5 if start + timedelta(minutes=i) >= peak_after else 0.01]
              for i in range(minutes)]
    return {"service": service, "name": name, "points": points}


def _deploy(at: datetime, ident: str = "d-1", service: str = "api") -> dict:
    return {"id": ident, "service": service, "started_at": _iso(at - timedelta(minutes=2)),
            "finished_at": _iso(at), "status": "success"}


def test_it_frames_half_an_hour_either_side_of_the_onset():
    timeline = timeline_build([("metrics", "E1", _metric("api", "error_rate"))], service="api", onset=ONSET)
    assert timeline.start == ONSET - timedelta(minutes=30)
    assert timeline.end == ONSET + timedelta(minutes=29)  # the last point there is
    assert all(timeline.start <= t <= timeline.end for t, _ in timeline.series[0].points)


def test_it_reaches_back_to_take_in_a_change_from_the_hour_before():
    deploy_at = ONSET - timedelta(minutes=50)
    timeline = timeline_build(
        [("metrics", "E1", _metric("api", "error_rate")), ("deploys", "E2", _deploy(deploy_at))],
        service="api", onset=ONSET,
    )
    assert timeline.start == deploy_at - timedelta(minutes=3)
    assert [m.number for m in timeline.markers] == [1]


def test_changes_outside_the_window_are_counted_not_drawn():
    records = [("metrics", "E1", _metric("api", "error_rate")),
               ("deploys", "E2", _deploy(ONSET - timedelta(days=2), "d-old")),
               ("deploys", "E3", _deploy(ONSET - timedelta(minutes=2), "d-new"))]
    timeline = timeline_build(records, service="api", onset=ONSET)
    assert [m.label for m in timeline.markers] == ["Deploy d-new of api"]
    assert timeline.hidden_markers == 1


def test_the_runs_own_service_comes_first_in_metric_order():
    records = [("metrics", "E1", _metric("db", "error_rate")),
               ("metrics", "E2", _metric("api", "latency_p99_ms")),
               ("metrics", "E3", _metric("api", "error_rate"))]
    timeline = timeline_build(records, service="api", onset=ONSET)
    assert [(s.service, s.name) for s in timeline.series] == [
        ("api", "error_rate"), ("api", "latency_p99_ms"), ("db", "error_rate")]


def test_markers_are_numbered_in_time_order_across_kinds():
    records = [
        ("metrics", "E1", _metric("api", "error_rate")),
        ("feature_flags", "E2", {"key": "fast-cart", "changed_at": _iso(ONSET - timedelta(minutes=5)),
                                 "actor": "ana", "from": False, "to": True}),
        ("deploys", "E3", _deploy(ONSET - timedelta(minutes=10))),
        ("change_calendar", "E4", {"uid": "CHG-1", "title": "db failover", "kind": "maintenance",
                                   "start": _iso(ONSET - timedelta(minutes=20)),
                                   "end": _iso(ONSET + timedelta(minutes=10))}),
    ]
    timeline = timeline_build(records, service="api", onset=ONSET)
    assert [(m.number, m.kind) for m in timeline.markers] == [(1, "calendar"), (2, "deploy"), (3, "flag")]
    assert timeline.markers[2].label == "Flag fast-cart false → true by ana"
    svg = timeline_svg(timeline)
    assert svg.count('class="badge') == 3 and 'class="band"' in svg and "onset 12:00" in svg


def test_without_an_onset_it_shows_the_metrics_whole_extent():
    metric = _metric("api", "error_rate", minutes=30)
    timeline = timeline_build([("metrics", "E1", metric)], service="api", onset=None)
    assert timeline.start == ONSET - timedelta(minutes=90)
    assert timeline.end == ONSET - timedelta(minutes=61)


def test_nothing_to_draw_gives_no_svg():
    timeline = timeline_build([("logs", "E1", {"message": "x"})], service="api", onset=ONSET)
    assert timeline.empty and timeline_svg(timeline) == ""
    assert timeline_svg(Timeline(start=ONSET, end=ONSET, onset=None)) == ""


def test_malformed_points_and_records_are_skipped():
    records = [("metrics", "E1", {"service": "api", "name": "error_rate",
                                  "points": [["not a time", 1], [_iso(ONSET), "NaN?"], [_iso(ONSET), 0.2], [None]]}),
               ("deploys", "E2", {"id": "d-x"}), ("metrics", "E3", "not a dict")]
    timeline = timeline_build(records, service="api", onset=ONSET)
    assert [len(s.points) for s in timeline.series] == [1]
    assert timeline.markers == ()


def test_every_label_in_the_svg_is_escaped():
    records = [("metrics", "E1", _metric("<script>", "error_rate")),
               ("deploys", "E2", _deploy(ONSET - timedelta(minutes=1), ident='"><img src=x onerror=alert(1)>'))]
    svg = timeline_svg(timeline_build(records, service="<script>", onset=ONSET))
    assert "<script>" not in svg and "<img" not in svg
    assert "&lt;script&gt;" in svg and "&lt;img src=x" in svg


def test_values_read_in_their_units():
    assert format_value("error_rate", 0.087) == "8.7%"
    assert format_value("saturation", 0.45) == "45%"
    assert format_value("latency_p99_ms", 912.4) == "912 ms"
    assert format_value("latency_p99_ms", 12_500) == "12.5 s"
    assert format_value("requests_per_s", 1234.0) == "1,234"


def test_small_rates_keep_their_digits():
    assert format_value("error_rate", 0.0005) == "0.05%"
    assert format_value("error_rate", 0.0) == "0%"
    assert format_value("error_rate", 0.093) == "9.3%"
    assert format_value("saturation", 0.0031) == "0.31%"


def _flat(service: str, name: str, level: float) -> dict:
    start = ONSET - timedelta(minutes=90)
    points = [[_iso(start + timedelta(minutes=i)), level * (1.02 if i % 2 else 0.98)] for i in range(120)]
    return {"service": service, "name": name, "points": points}


def test_panels_of_one_metric_share_a_scale_and_a_lone_panel_says_its_scale_is_its_own():
    records = [("metrics", "E1", _metric("api", "error_rate")),  # 1% -> 50%
               ("metrics", "E2", _flat("db", "error_rate", 0.001)),  # 0.1% of noise
               ("metrics", "E3", _flat("api", "latency_p99_ms", 200))]
    timeline = timeline_build(records, service="api", onset=ONSET)
    scales = {s.label: scale for s, scale in zip(timeline.series, panel_scales(timeline.series), strict=True)}

    assert scales["api error rate"].high == scales["db error rate"].high == 0.5
    assert not scales["db error rate"].own and scales["api p99 latency"].own
    svg = timeline_svg(timeline)
    assert "baseline 1.0% → peak 50%" in svg
    assert "flat at 0.1%" in svg and "flat at 200 ms · own scale" in svg


def test_a_flat_series_and_a_spike_are_told_apart_in_numbers():
    spike = timeline_build([("metrics", "E1", _metric("api", "error_rate"))], service="api", onset=ONSET).series[0]
    flat = timeline_build([("metrics", "E1", _flat("api", "requests_per_s", 120))], service="api", onset=ONSET).series[0]
    assert panel_summary(spike, ONSET) == "baseline 1.0% → peak 50%"
    assert panel_summary(flat, ONSET) == "flat at 120"


def test_the_phone_drawing_is_narrow_with_fewer_time_labels():
    timeline = timeline_build([("metrics", "E1", _metric("api", "error_rate"))], service="api", onset=ONSET)
    wide, narrow = timeline_svg(timeline), timeline_svg(timeline, width=NARROW_WIDTH)
    assert f'viewBox="0 0 {NARROW_WIDTH} ' in narrow
    assert 2 <= narrow.count('text-anchor="middle">') < wide.count('text-anchor="middle">')


def test_two_vendors_measuring_the_same_thing_are_told_apart():
    datadog = dict(_metric("api", "error_rate"), source="datadog")
    prometheus = dict(_flat("api", "error_rate", 0.003), source="prometheus")
    latency = dict(_flat("api", "latency_p99_ms", 200), source="prometheus")
    records = [("metrics", "E1", datadog), ("metrics", "E2", prometheus), ("metrics", "E3", latency)]
    labels = [s.label for s in timeline_build(records, service="api", onset=ONSET).series]
    assert labels == ["api error rate (datadog)", "api error rate (prometheus)", "api p99 latency"]
