import numpy as np
import pytest

from incidentdesk.analysis.changepoint import detect_onset


def noisy(n: int, level: float, noise: float, seed: int) -> np.ndarray:
    return level * (1 + np.random.default_rng(seed).normal(0, noise, n))


@pytest.mark.parametrize("seed", range(10))
def test_it_finds_a_step_within_a_minute_in_a_noisy_series(seed: int) -> None:
    values = np.concatenate([noisy(80, 0.003, 0.08, seed), noisy(10, 0.08, 0.08, seed + 100)])
    onset = detect_onset(values)
    assert onset is not None
    assert abs(onset.index - 80) <= 1
    assert onset.direction == 1
    assert onset.baseline == pytest.approx(0.003, rel=0.1)
    assert not onset.recovered


@pytest.mark.parametrize("seed", range(10))
def test_pure_noise_has_no_onset(seed: int) -> None:
    assert detect_onset(noisy(90, 250.0, 0.05, seed)) is None


def test_heavy_tailed_noise_with_isolated_outliers_has_no_onset() -> None:
    rng = np.random.default_rng(7)
    values = 100 + rng.standard_t(df=2, size=90)
    values[[20, 45, 70]] = [400, 380, 420]
    assert detect_onset(values) is None


def test_a_single_spike_is_not_an_onset() -> None:
    values = noisy(90, 0.01, 0.05, 3)
    values[60] = 0.5
    assert detect_onset(values) is None


def test_a_burst_that_came_back_is_reported_as_recovered() -> None:
    values = noisy(90, 0.35, 0.02, 4)
    values[50:54] = [0.62, 0.61, 0.6, 0.55]
    onset = detect_onset(values)
    assert onset is not None and onset.index == 50
    assert onset.recovered


def test_a_gradual_ramp_is_found_where_it_leaves_the_band() -> None:
    values = np.concatenate([noisy(60, 0.5, 0.01, 5), np.linspace(0.52, 0.95, 30)])
    onset = detect_onset(values)
    assert onset is not None
    assert 60 <= onset.index <= 70


def test_a_drop_is_reported_as_a_fall() -> None:
    values = np.concatenate([noisy(60, 60.0, 0.02, 6), noisy(30, 22.0, 0.02, 7)])
    onset = detect_onset(values)
    assert onset is not None and onset.direction == -1 and onset.index == 60


def test_quantised_integer_series_do_not_make_onsets_from_one_step() -> None:
    rng = np.random.default_rng(8)
    assert detect_onset(rng.integers(3, 6, size=90).astype(float)) is None


def test_too_short_a_series_has_no_onset() -> None:
    assert detect_onset([1.0, 1.0, 9.0, 9.0]) is None


def test_a_slow_creep_is_dated_from_where_the_climb_began_not_where_it_crossed_the_threshold() -> None:
    rng = np.random.default_rng(11)
    base = 0.002 * (1 + rng.normal(0, 0.25, 70))
    creep = np.linspace(0.003, 0.012, 20) * (1 + rng.normal(0, 0.1, 20))
    onset = detect_onset(np.concatenate([base, creep, 0.013 * (1 + rng.normal(0, 0.2, 20))]))
    assert onset is not None
    assert 68 <= onset.index <= 76


@pytest.mark.parametrize("seed", range(5))
def test_a_short_blip_long_before_the_failure_is_a_separate_episode(seed: int) -> None:
    values = noisy(91, 0.01, 0.05, seed)
    values[40:43] = [0.3, 0.35, 0.2]  # a three-minute restart blip, then forty quiet minutes
    values[83:] = noisy(8, 0.99, 0.01, seed + 50)
    onset = detect_onset(values)
    assert onset is not None and onset.index == 83 and not onset.recovered


def test_a_failure_that_flaps_with_short_gaps_began_at_its_first_burst() -> None:
    values = noisy(91, 0.01, 0.05, 9)
    for start in (40, 52, 64, 76):
        values[start : start + 8] = 0.5
    values[84:] = 0.5
    onset = detect_onset(values)
    assert onset is not None and onset.index == 40
