"""An audit entry's detail as a person reads it: labels and plain values, never a Python repr."""

MAX_VALUE = 300


def detail_label(key: object) -> str:
    return str(key).replace("_", " ")


def detail_value(value: object) -> str:
    text = _plain(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _plain(value: object) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{detail_label(k)}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        separator = "; " if any(isinstance(v, (dict, list, tuple)) for v in value) else ", "
        return separator.join(_plain(v) for v in value)
    return str(value)
