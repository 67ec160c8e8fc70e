"""The desk's scorecard: how its packets fared on the incidents responders resolved.

Every figure is read from the database when the page is asked for: no counter is kept.
"""
