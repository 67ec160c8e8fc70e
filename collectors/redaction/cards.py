"""Payment card numbers: digit runs shaped like a card that pass the Luhn check."""

import re

from collectors.redaction.markers import marker

# Cheap gate: every card shape below starts with 4-4-4 or 4-6 digits, give or take separators.
CARD_HINT = re.compile(r"[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}|[0-9]{4}[ -]?[0-9]{6}")

# A run of digit groups joined by single spaces or dashes, not glued to a word or a dash-joined
# token (UUIDs, pod names, order ids like INV-2026-0042).
_RUN = re.compile(r"(?<![0-9A-Za-z_])(?<![0-9A-Za-z_]-)[0-9]+(?:[ -][0-9]+)*(?![0-9A-Za-z_]|-[A-Za-z_])")
_GROUP = re.compile(r"[0-9]+")
# Decimal trace/span ids (Datadog) are 19-digit numbers too; their key says what they are.
_ID_KEY_BEFORE = re.compile(r"(?:trace|span|parent)[_.-]?id[\"']?[ \t]*[:=][ \t]*[\"']?\Z", re.IGNORECASE)

_MIN_DIGITS, _MAX_DIGITS = 13, 19
_MAX_GROUPS = 5
# Issuer prefixes start with 2-6 (Mastercard 2-series/5x, Amex/Diners/JCB 3x, Visa 4, Discover/
# UnionPay/Maestro 6); this keeps epoch milliseconds and nanoseconds (1...) out.
_ISSUER_FIRST_DIGITS = frozenset("23456")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _is_card(groups: list[str]) -> bool:
    digits = "".join(groups)
    if not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS or digits[0] not in _ISSUER_FIRST_DIGITS:
        return False
    if len(groups) > 1 and not _grouped_like_a_card([len(group) for group in groups]):
        return False
    return luhn_valid(digits)


def _grouped_like_a_card(sizes: list[int]) -> bool:
    # Cards are printed 4-4-4-4(-3), or 4-6-5 / 4-6-4 (Amex, Diners). Holding to these keeps
    # neighbouring short SHAs, counts and years from adding up to a Luhn-valid 13-19 digits.
    if sizes in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(size == 4 for size in sizes[:-1]) and 1 <= sizes[-1] <= 4


def _redact_run(run: str) -> str | None:
    spans = [m.span() for m in _GROUP.finditer(run)]
    groups = [run[start:end] for start, end in spans]
    if sum(map(len, groups)) < _MIN_DIGITS:
        return None
    pieces: list[str] = []
    cursor = i = 0
    while i < len(groups):
        # Longest window first, so a card with a stray number beside it is still covered whole.
        for j in range(min(len(groups), i + _MAX_GROUPS), i, -1):
            if _is_card(groups[i:j]):
                pieces += [run[cursor : spans[i][0]], marker("card")]
                cursor = spans[j - 1][1]
                i = j
                break
        else:
            i += 1
    if not pieces:
        return None
    pieces.append(run[cursor:])
    return "".join(pieces)


def redact_cards(text: str) -> tuple[str, bool]:
    found = False

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        if _ID_KEY_BEFORE.search(text, max(0, match.start() - 32), match.start()):
            return match.group(0)
        redacted = _redact_run(match.group(0))
        if redacted is None:
            return match.group(0)
        found = True
        return redacted

    return _RUN.sub(replace, text), found
