"""Redaction applied to everything a collector gathers, before it is stored or shown.

`redact_text` for free text, `redact_record` for the structures sources answer. Each sensitive
value becomes `[REDACTED:<kind>]`; see `markers.KINDS` for the kinds.
"""

from collectors.redaction.markers import KINDS, is_marker, marker, marker_kinds
from collectors.redaction.records import is_secret_key, redact_record
from collectors.redaction.text import redact_text

__all__ = ["KINDS", "is_marker", "is_secret_key", "marker", "marker_kinds", "redact_record", "redact_text"]
