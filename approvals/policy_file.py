"""Reading the policy file named by settings.DESK_POLICY_FILE."""

from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings


class PolicyFileError(ValueError):
    pass


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> dict:  # noqa: ARG001 - mtime is in the cache key: an edited file is read again
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyFileError(f"cannot read policy file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyFileError(f"policy file {path} must hold a mapping")
    return data


def policy_document() -> dict:
    path = Path(settings.DESK_POLICY_FILE)
    return _load(str(path), path.stat().st_mtime if path.exists() else 0.0)


def severity_policy() -> dict | None:
    return policy_document().get("severity")
