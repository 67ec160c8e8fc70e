"""Similar past incidents: what the run page offers as "this happened before, and here is why".

Candidates are past runs sharing the run's service, a distinctive word of its title or
symptoms, or whose confirmed cause is one of this run's hypotheses; at most MAX_CANDIDATES of
them, newest first, in one query. They are ranked here, by what they share with this run:

- their confirmed cause is one of this run's hypotheses: SAME_CAUSE, more when it is the first
  (the same deploy, flag, dependency or planned change: same kind and same ref);
- the same service: SAME_SERVICE;
- each distinctive word shared by the titles and symptoms: PER_WORD, up to MAX_WORDS words;
- what they teach: a confirmed cause other than "unknown" (CONFIRMED), else a resolution note
  or, unconfirmed, a cause or resolution written by hand (WRITTEN).

Only runs sharing at least MIN_RELEVANCE with this one are shown (the service, a cause, or two
distinctive words; one common word is not a likeness). Ties go to the most recent.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery
from django.db.models import Q, QuerySet

from incidentdesk.causes import Cause
from incidentdesk.models import ConfirmedCause, Run
from incidentdesk.resolution_panel import run_confirmed_cause
from incidentdesk.search import CONFIG, search_terms, uses_full_text

SAME_CAUSE = 6
FIRST_HYPOTHESIS = 2
SAME_SERVICE = 4
PER_WORD = 1
MAX_WORDS = 4
CONFIRMED = 2
WRITTEN = 1
MAX_CANDIDATES = 100
MIN_RELEVANCE = 2


@dataclass(frozen=True)
class SimilarRun:
    run: Run
    score: int
    reasons: tuple[str, ...]
    relevance: int = 0  # what it shares with this run, before what it teaches

    @property
    def confirmed(self) -> ConfirmedCause | None:
        return run_confirmed_cause(self.run)


def _words(run: Run, *, limit: int) -> list[str]:
    symptoms = " ".join(str(s) for s in run.symptoms or [] if isinstance(s, str))
    return search_terms(f"{run.title} {symptoms}", limit=limit)


def _alike(run: Run, terms: list[str], causes: list[Cause]) -> Q:
    alike = Q(service_id=run.service_id) if run.service_id else Q(pk__in=[])
    if terms and uses_full_text():
        alike |= Q(search=SearchQuery(" | ".join(terms), config=CONFIG, search_type="raw"))
    for term in [] if uses_full_text() else terms:
        alike |= Q(title__icontains=term) | Q(symptoms__icontains=term)
    for cause in causes:
        alike |= Q(confirmed_cause__kind=cause.kind, confirmed_cause__ref=cause.ref)
    return alike


def _score(past: Run, *, run: Run, terms: list[str], causes: list[Cause]) -> SimilarRun:
    score, reasons = 0, []
    confirmed = run_confirmed_cause(past)
    if confirmed is not None and confirmed.cause.key in [c.key for c in causes]:
        position = [c.key for c in causes].index(confirmed.cause.key)
        score += SAME_CAUSE + (FIRST_HYPOTHESIS if position == 0 else 0)
        reasons.append(f"its confirmed cause is hypothesis {position + 1} here")
    if run.service_id and past.service_id == run.service_id:
        score += SAME_SERVICE
        reasons.append("same service")
    shared = [t for t in terms if t in set(_words(past, limit=50))][:MAX_WORDS]
    if shared:
        score += PER_WORD * len(shared)
        reasons.append("shares " + ", ".join(shared))
    relevance = score
    if confirmed is not None and not confirmed.cause.is_unknown:
        score += CONFIRMED
    elif (confirmed.note if confirmed is not None else past.cause or past.resolution):
        score += WRITTEN
    return SimilarRun(run=past, score=score, reasons=tuple(reasons), relevance=relevance)


def runs_similar(runs: QuerySet[Run], *, run: Run, hypotheses: Iterable[Cause] = (),
                 limit: int = 5) -> list[SimilarRun]:
    """The past runs most like `run`, best first; `hypotheses` are this run's packet's, best first."""
    causes = [c for c in hypotheses if not c.is_unknown and c.ref]
    terms = _words(run, limit=8)
    candidates = (
        runs.filter(_alike(run, terms, causes), triggered_at__lt=run.triggered_at)
        .exclude(pk=run.pk)
        .order_by("-triggered_at", "-pk")[:MAX_CANDIDATES]
    )
    scored = [s for past in candidates if (s := _score(past, run=run, terms=terms, causes=causes)).relevance
              >= MIN_RELEVANCE]
    # Stable: among equal scores the newest (first fetched) stays first.
    return sorted(scored, key=lambda s: -s.score)[:limit]
