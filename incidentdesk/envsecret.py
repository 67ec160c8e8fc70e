"""Secrets from the environment, with a `<NAME>_FILE` variant for mounted secrets."""

import os
from pathlib import Path


def env_secret(name: str) -> str | None:
    """The value of `name`, or the stripped content of the file named by `name_FILE`."""
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return None


def env_secrets(name: str) -> list[str]:
    """Several secrets in one variable, comma-separated: the new one and the one being rotated out."""
    value = env_secret(name)
    if not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip()]
