"""The production install, checked from a venv built from requirements.txt alone (bin/smoke).

Nothing here may import pytest or another development requirement: it runs without them.
"""
