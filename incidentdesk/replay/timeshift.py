"""Moving a whole scenario in time, so that its incident happens at another moment.

Every moment the scenario states moves by the same whole number of minutes, so the replay sees
the same incident: the same gaps between events, and the same minutes for the analysis to bucket
metric points and log lines in (a move by 17 s splits a burst of log lines differently and can
change the packet). What moves: ISO 8601 times wherever they occur (fields, ids, log lines),
times of day given in UTC in people's words ("since 19:52 UTC", the only ones the desk reads from
text), and numbers that are Unix times near the scenario's `now` (Slack's `event_time`, Sentry's
event timestamp). A form-encoded trigger body is decoded, moved and encoded again. Other clock
readings in prose ("since about 18:12") are left as written.
"""

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from incidentdesk.replay.scenario import parse_time

# An epoch number is a moment of this scenario only when it is this close to its `now`:
# ids and counts are far from it.
_EPOCH_NEAR = timedelta(days=7)

_MOMENT = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})(?P<sep>[T ])(?P<hm>\d{2}:\d{2})(?::(?P<s>\d{2})(?P<frac>\.\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?"
    r"|\b(?P<tod>(?:[01]?\d|2[0-3]):[0-5]\d)(?::(?P<tods>[0-5]\d))?(?P<utc>\s*(?:UTC|GMT|Z)\b)"
)
_EPOCH_TEXT = re.compile(r"\d{9,13}(?:\.\d+)?")


def scenario_moved(scenario: dict, *, to: datetime) -> dict:
    """A copy of the scenario whose `now` falls in the minute of `to`, every moment moved alike."""
    now = parse_time(scenario["now"], "now")
    by = _minute(to) - _minute(now)
    moved = _Mover(now, by)
    result = moved.value(scenario)
    body = scenario.get("trigger", {}).get("body")
    if isinstance(body, str):
        result["trigger"]["body"] = urlencode([(k, moved.text(v)) for k, v in parse_qsl(body, keep_blank_values=True)])
    return result


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class _Mover:
    def __init__(self, now: datetime, by: timedelta) -> None:
        self.by = by.total_seconds()
        self.minutes = by // timedelta(minutes=1)
        near = _EPOCH_NEAR.total_seconds()
        self.seconds_near = (now.timestamp() - near, now.timestamp() + near)

    def value(self, value: object) -> object:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self.epoch(value)
        return value

    def text(self, value: str) -> str:
        if _EPOCH_TEXT.fullmatch(value):
            moved = self.epoch(float(value))
            if moved != float(value):
                decimals = len(value.partition(".")[2])
                return f"{moved:.{decimals}f}"
        return _MOMENT.sub(self._moment, value)

    def epoch(self, number: int | float) -> int | float:
        low, high = self.seconds_near
        if low <= number <= high:
            moved = number + self.by
        elif low * 1000 <= number <= high * 1000:
            moved = number + self.by * 1000
        else:
            return number
        return int(moved) if isinstance(number, int) else moved

    def _moment(self, match: re.Match) -> str:
        if match["tod"] is not None:
            return self._time_of_day(match)
        moved = datetime.fromisoformat(f"{match['date']}T{match['hm']}") + timedelta(minutes=self.minutes)
        seconds = f":{match['s']}{match['frac'] or ''}" if match["s"] is not None else ""
        return f"{moved:%Y-%m-%d}{match['sep']}{moved:%H:%M}{seconds}{match['zone'] or ''}"

    def _time_of_day(self, match: re.Match) -> str:
        hours, minutes = (int(part) for part in match["tod"].split(":"))
        moved = (hours * 60 + minutes + self.minutes) % (24 * 60)
        seconds = f":{match['tods']}" if match["tods"] else ""
        return f"{moved // 60:02d}:{moved % 60:02d}{seconds}{match['utc']}"
