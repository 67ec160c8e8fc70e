"""Scoring packets against a scenario's expectations."""
