"""The names people read for production actions, as the approvals app's action registry gives them.

The registry fills this at start-up (its AppConfig.ready), so the packet text and the run page
say what the approval pages say without the core importing that app. An action nobody has
registered reads as its name.
"""

from collections.abc import Mapping

_labels: dict[str, str] = {}


def action_labels_register(labels: Mapping[str, str]) -> None:
    _labels.update(labels)


def action_label(action: object) -> str:
    name = str(action or "")
    return _labels.get(name) or name.replace("_", " ").capitalize()
