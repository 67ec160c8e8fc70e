"""Onset detection on one metric series: when it left its baseline, robust to noise.

A robust median/MAD method: the baseline is the median of the quiet part of the
series and its noise the scaled MAD; the onset is the first point from which the
series stays beyond `z` noise units (and a minimum relative change) for several
consecutive points. A single outlier never makes an onset, and a burst that has
already returned to the baseline is reported as recovered.
"""

from dataclasses import dataclass

import numpy as np

MAD_SCALE = 1.4826
BACKTRACK_Z = 2.0
MAX_BACKTRACK = 30
# The start of a window is taken as quiet when looking for a step before the big jump; the
# step must leave it by this factor and hold for this many points.
QUIET_START = 15
EARLIER_STEP_FACTOR = 2.0
MIN_EARLIER_STEP = 5
# A burst followed by this many points back at the baseline, at least twice its own length,
# was a separate episode (a restart blip); the failure began with the departure after it.
QUIET_GAP = 15


@dataclass(frozen=True)
class Onset:
    index: int  # first point of the departure
    baseline: float  # median before the onset
    noise: float  # robust standard deviation before the onset
    level: float  # median of the points after the onset
    peak: float  # the most extreme point after the onset, in the direction of the shift
    current: float  # median of the last few points
    direction: int  # +1 rose, -1 fell
    recovered: bool  # the last points are back within the baseline band


def _robust(values: np.ndarray, rel_floor: float, abs_floor: float) -> tuple[float, float]:
    median = float(np.median(values))
    mad = float(np.median(np.abs(values - median))) * MAD_SCALE
    if mad == 0.0:
        # Quantised series (integer milliseconds) often have a zero MAD; the
        # standard deviation keeps one step from looking like an onset.
        mad = float(np.std(values))
    return median, max(mad, abs(median) * rel_floor, abs_floor)


def _first_sustained(departed: np.ndarray, run: int) -> int | None:
    """First index from which `run` consecutive points (or all remaining, at least 2) depart."""
    n = len(departed)
    for i in range(n):
        if not departed[i]:
            continue
        window = departed[i : i + run]
        if len(window) < min(run, 2):
            return None
        if window.all():
            return i
    return None


def _latest_episode(departed: np.ndarray, index: int, run: int) -> int:
    """The start of the sustained departure that follows the last long return to the baseline."""
    n = len(departed)
    k = index
    while k + QUIET_GAP <= n:
        if departed[k : k + QUIET_GAP].any():
            k += 1
            continue
        gap_end = k + QUIET_GAP
        while gap_end < n and not departed[gap_end]:
            gap_end += 1
        later = _first_sustained(departed[gap_end:], run)
        if later is None or gap_end - k < 2 * (k - index):
            return index
        index = k = gap_end + later
    return index


def _walk_back(series: np.ndarray, index: int, band: float, direction: int) -> int:
    """A slow creep crosses the strict threshold late; step back while the previous
    point and its local median (three points) are still beyond a looser band."""
    limit = max(1, index - MAX_BACKTRACK)
    while index > limit:
        before = index - 1
        local = float(np.median(series[before - 1 : before + 2]))
        if (series[before] - band) * direction <= 0 or (local - band) * direction <= 0:
            break
        index = before
    return index


def _earlier_step(series: np.ndarray, index: int, *, z: float, min_relative: float, abs_floor: float) -> int:
    """A series that stepped up well before its big jump and never came back (errors creeping
    from 14:00, then soaring at 15:00) left its baseline at the first step, not the jump."""
    quiet = series[:QUIET_START]
    if index <= QUIET_START + 2 or len(quiet) < QUIET_START:
        return index
    base, noise = _robust(quiet, rel_floor=0.0, abs_floor=abs_floor)
    threshold = max(z * noise, abs(base) * max(min_relative, EARLIER_STEP_FACTOR - 1), abs_floor)
    direction = 1 if series[index] >= base else -1
    above = (series[QUIET_START:index] - base) * direction > threshold
    # The latest point from which every point up to the jump stays beyond the quiet band.
    start = index
    while start > QUIET_START and above[start - 1 - QUIET_START]:
        start -= 1
    return start if index - start >= MIN_EARLIER_STEP else index


def detect_onset(
    values: list[float] | np.ndarray,
    *,
    z: float = 5.0,
    min_relative: float = 0.15,
    run: int = 3,
    abs_floor: float = 1e-9,
) -> Onset | None:
    """Where the series left its baseline, or None when it never did in a sustained way.

    `z` is the departure in robust noise units; `min_relative` the smallest change
    (as a fraction of the baseline) worth reporting, so very quiet series do not
    turn tiny wobbles into onsets.
    """
    series = np.asarray(values, dtype=float)
    series = series[np.isfinite(series)]
    n = len(series)
    if n < 8:
        return None
    # Start from the first half as the quiet reference, then re-estimate from the
    # points before the onset found: the incident is usually near the end of the
    # window, but not always.
    reference = series[: max(5, n // 2)]
    onset_index: int | None = None
    for _ in range(3):
        baseline, noise = _robust(reference, rel_floor=0.0, abs_floor=abs_floor)
        threshold = max(z * noise, abs(baseline) * min_relative, abs_floor)
        departed = np.abs(series - baseline) > threshold
        found = _first_sustained(departed, run)
        if found is None or found == onset_index:
            onset_index = found
            break
        onset_index = found
        if found >= 5:
            reference = series[:found]
        else:
            break
    if onset_index is None:
        return None
    onset_index = _latest_episode(departed, onset_index, run)
    onset_index = _earlier_step(series, onset_index, z=z, min_relative=min_relative, abs_floor=abs_floor)
    baseline, noise = _robust(series[: max(onset_index, 1)], rel_floor=0.0, abs_floor=abs_floor)
    direction = 1 if float(np.median(series[onset_index:])) >= baseline else -1
    onset_index = _walk_back(series, onset_index, baseline + direction * BACKTRACK_Z * noise, direction)
    after = series[onset_index:]
    peak = float(after.max() if direction > 0 else after.min())
    tail = series[-min(3, len(after)) :]
    current = float(np.median(tail))
    threshold = max(z * noise, abs(baseline) * min_relative, abs_floor)
    recovered = abs(current - baseline) <= threshold
    return Onset(
        index=onset_index,
        baseline=baseline,
        noise=noise,
        level=float(np.median(after)),
        peak=peak,
        current=current,
        direction=direction,
        recovered=recovered,
    )
