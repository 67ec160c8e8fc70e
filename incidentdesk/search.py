"""Full-text search over runs: PostgreSQL's tsvector, or SQLite's FTS5 table for the embedded default.

Both are kept by database triggers (migrations 0002 and 0008), so every code path that writes a
run keeps them current without calling anything here. They cover the run's title, symptoms,
cause and resolution, and `search_text`: what its latest packet and the catalog add (written by
`run_search_text` with each packet). Words are stemmed; ids (d-2026, 4821, a SHA) match as
written; a few words people write both joined and apart ("rollback", "roll back") find each other.
"""

import re
from functools import reduce

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from incidentdesk.models import Run

CONFIG = "english"
MAX_TERMS = 8
# Words too common in incident titles to say two incidents are alike.
NOISE = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on", "or", "the", "to", "with", "was", "were", "has", "have", "alert", "alerts", "triggered", "resolved", "warn", "warning", "critical", "firing", "error", "errors", "high", "low", "prod", "production", "service"]
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]{2,}")
# A word of a query: words, numbers and ids as people paste them (d-2026, #4821, checkout-api).
_QUERY_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*")
# Written joined or apart, the same thing.
JOINED = {
    "roll back": "rollback", "fail over": "failover", "time out": "timeout", "shut down": "shutdown",
    "log in": "login", "set up": "setup", "hot fix": "hotfix", "back up": "backup",
}
SPLIT = {joined: apart for apart, joined in JOINED.items()}
MAX_SEARCH_TEXT = 20_000


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


def query_groups(text: str) -> list[list[str]]:
    """The query's words, each with the other way it may be written; every group must match."""
    words = [w.strip(".:/-").lower() for w in _QUERY_WORD.findall(text or "")]
    words = [w for w in words if w][:MAX_TERMS]
    groups, i = [], 0
    while i < len(words):
        pair = " ".join(words[i:i + 2])
        if pair in JOINED:
            groups.append([pair, JOINED[pair]])
            i += 2
            continue
        groups.append([words[i], SPLIT[words[i]]] if words[i] in SPLIT else [words[i]])
        i += 1
    return groups


def _alternative(words: str) -> SearchQuery:
    """Two words in this order for a phrase ("roll back"); one word or id on its own is a plain
    match, which the GIN index answers without reading positions."""
    return SearchQuery(words, config=CONFIG, search_type="phrase" if " " in words else "plain")


def runs_search(runs: QuerySet[Run], *, text: str) -> QuerySet[Run]:
    """Runs matching every word of `text` in anything their page shows (see the module's doc)."""
    groups = query_groups(text)
    if not groups:
        return runs
    if uses_full_text():
        query = reduce(lambda a, b: a & b, (
            reduce(lambda a, b: a | b, (_alternative(alt) for alt in group))
            for group in groups
        ))
        return runs.filter(search=query)
    match = " AND ".join("(" + " OR ".join(f'"{alt}"' for alt in group) + ")" for group in groups)
    return runs.filter(pk__in=RawSQL(
        "SELECT rowid FROM incidentdesk_run_fts WHERE incidentdesk_run_fts MATCH %s", [match]))


def run_search_text(run: Run, packet: dict) -> str:
    """What the run's page shows beyond its own columns, as one text for the search index."""
    parts: list[str] = []
    if run.service is not None:
        parts.append(run.service.name)
        parts.extend(a.name for a in run.service.alias_set.all())
    parts.append(run.service_hint or "")
    owner = packet.get("owner") or {}
    parts.append(str(owner.get("team") or ""))
    for h in packet.get("hypotheses") or []:
        parts.extend(str(h.get(key) or "") for key in ("summary", "ref"))
    for section in ("signals", "next_actions", "conflicts"):
        parts.extend(str(item.get("text") or "") for item in packet.get(section) or [])
    for item in packet.get("requires_approval") or []:
        parts.extend(str(item.get(key) or "") for key in ("action", "target", "reason"))
    for item in packet.get("evidence") or []:
        parts.extend(str(item.get(key) or "") for key in ("ref", "summary"))
    return " ".join(p for p in parts if p)[:MAX_SEARCH_TEXT]
