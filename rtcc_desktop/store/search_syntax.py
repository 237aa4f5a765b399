"""Turn what an analyst types into safe FTS5 and GLOB patterns.

Search input is untrusted and arrives mid-typing: it must never be able to
change the query's structure (``a" OR b``, ``NEAR(``, ``*``) nor raise a
syntax error. Words are therefore extracted and each one quoted.
"""

from __future__ import annotations

import re
from typing import Final

from rtcc_desktop.model.validate import normalise_plate

#: At most this many words go into one full-text query.
MAX_WORDS: Final[int] = 32

_WORD = re.compile(r"\w+", re.UNICODE)
_STARS = re.compile(r"\*+")


def fts_query(words: str | list[str] | tuple[str, ...]) -> str | None:
    """All the words (AND), the last one as a prefix; ``None`` when nothing is searchable.

    ``"shots fired 14th st"`` → ``"shots" "fired" "14th" "st"*``. A trailing
    space means the last word is complete, so it gets no prefix star.
    """
    text = words if isinstance(words, str) else " ".join(str(w) for w in words)
    tokens = _WORD.findall(text)[:MAX_WORDS]
    if not tokens:
        return None
    quoted = ['"' + t.replace('"', '""') + '"' for t in tokens]
    if text and not text[-1].isspace() and _WORD.fullmatch(text[-1]) is not None:
        quoted[-1] += "*"
    return " ".join(quoted)


def plate_glob(pattern: str) -> tuple[str, str, bool]:
    """``*`` / ``?`` plate pattern → (GLOB pattern, literal prefix, has_wildcards).

    Input is normalised like stored plates (upper-case, no spaces, dashes or
    dots), so ``ab-1*`` finds ``AB1234``. ``[`` is escaped: it is a GLOB
    character class, not something a user means.
    """
    text = _STARS.sub("*", normalise_plate(pattern))
    cut = min((i for i, ch in enumerate(text) if ch in "*?"), default=len(text))
    prefix = text[:cut]
    has_wildcards = cut < len(text)
    glob = "".join("[[]" if ch == "[" else ch for ch in text)
    return glob, prefix, has_wildcards


def prefix_upper_bound(prefix: str) -> str | None:
    """Smallest string greater than every string starting with ``prefix``.

    Lets the distinct-plate table answer a prefix as a plain range, which SQLite uses
    whether or not it applies its own GLOB optimisation.
    """
    for i in range(len(prefix) - 1, -1, -1):
        code = ord(prefix[i])
        if code < 0x10FFFF:
            return prefix[:i] + chr(code + 1)
    return None
