"""Full-text search over runs: PostgreSQL's tsvector when available, icontains on SQLite.

The `search` column is filled by a database trigger (migration 0002), so every code path that
writes a run keeps it current without calling anything here.
"""

import re

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Q, QuerySet

from incidentdesk.models import Run

CONFIG = "english"
MAX_TERMS = 8
# Words too common in incident titles to say two incidents are alike.
NOISE = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on", "or", "the", "to", "with", "was", "were", "has", "have", "alert", "alerts", "triggered", "resolved", "warn", "warning", "critical", "firing", "error", "errors", "high", "low", "prod", "production", "service"]
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]{2,}")


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def search_terms(text: str, *, limit: int = MAX_TERMS) -> list[str]:
    """The distinctive words of a text, lower-cased, in order, without repeats."""
    terms: list[str] = []
    for word in _WORD.findall(text or ""):
        word = word.lower().strip("-_")
        if len(word) > 2 and word not in NOISE and word not in terms:
            terms.append(word)
        if len(terms) >= limit:
            break
    return terms


def runs_search(runs: QuerySet[Run], *, text: str) -> QuerySet[Run]:
    """Runs matching every word of `text` in their title, symptoms, cause or resolution."""
    text = (text or "").strip()
    if not text:
        return runs
    if uses_full_text():
        return runs.filter(search=SearchQuery(text, config=CONFIG, search_type="websearch"))
    for word in text.split()[:MAX_TERMS]:
        runs = runs.filter(
            Q(title__icontains=word) | Q(symptoms__icontains=word)
            | Q(cause__icontains=word) | Q(resolution__icontains=word)
        )
    return runs
