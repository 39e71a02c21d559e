"""Recurring themes in free-text answers: plain word and two-word counts, no outside service.

Each answer counts once per term, so a theme is something several reps said,
not something one rep said many times. Words from a small English stop-word
list are left out; "no", "not", "too" and "without" are never themes on their
own but may start a phrase ("too expensive", "no budget"). A word is left out
when a phrase that contains it is mentioned just as often, so "too expensive"
is not followed by "expensive" with the same count.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't
    do does doesn't doing don't down during each etc even few for from further get gets
    getting got had hadn't has hasn't have haven't having he her here hers herself him
    himself his how i i'd i'm i've if in into is isn't it it's its itself just let's like
    lot lots many maybe me might more most much must my myself nor now of off on once one
    only or other others our ours ourselves out over own per quite rather really same said
    say says she should shouldn't so some still such than that that's the their theirs them
    themselves then there there's these they they'd they're they've thing things this those
    though through thus to told under until up upon us very via was wasn't we we'd we're
    we've were weren't what what's when where which while who whom why will with won't
    would wouldn't yes yet you you'd you're you've your yours yourself yourselves
    """.split()  # noqa: SIM905  (a word list reads better as text)
)
# Not a theme alone, but the first word of a telling phrase.
QUALIFIERS = frozenset({"no", "not", "too", "without"})

_SEGMENT = re.compile(r"[.,;:!?()\[\]{}\n\r\"“”]+")
_TOKEN = re.compile(r"[^\W_](?:[\w'+&-]*[^\W_])?")


@dataclass(frozen=True)
class Theme:
    term: str
    count: int  # how many answers mention it

    @property
    def is_phrase(self) -> bool:
        return " " in self.term


def tokens(text: str) -> list[list[str]]:
    """Lowercased words, in segments that phrases do not cross (sentences, list items)."""
    segments: list[list[str]] = []
    for segment in _SEGMENT.split(text.replace("\u2019", "'").lower()):
        words = [_normal(word) for word in _TOKEN.findall(segment)]
        words = [w for w in words if len(w) > 1 and not w.isdigit()]
        if words:
            segments.append(words)
    return segments


def _normal(word: str) -> str:
    return word.removesuffix("'s")


def _is_content(word: str) -> bool:
    return word not in STOP_WORDS and word not in QUALIFIERS


def terms(text: str) -> set[str]:
    """The words and two-word phrases of one answer that can be themes."""
    found: set[str] = set()
    for words in tokens(text):
        found.update(w for w in words if _is_content(w))
        for first, second in itertools.pairwise(words):
            if _is_content(second) and (_is_content(first) or first in QUALIFIERS):
                found.add(f"{first} {second}")
    return found


def themes(answers: Iterable[str], *, limit: int = 10, min_count: int = 2) -> list[Theme]:
    """The terms mentioned in at least `min_count` answers, most mentioned first.

    At equal counts phrases come before words, then alphabetical order.
    """
    counts: Counter[str] = Counter()
    for answer in answers:
        counts.update(terms(answer))
    # For each word, how often the most mentioned phrase containing it is mentioned.
    in_phrases: Counter[str] = Counter()
    for term, count in counts.items():
        if " " in term:
            for word in term.split(" "):
                in_phrases[word] = max(in_phrases[word], count)
    kept = [
        Theme(term, count)
        for term, count in counts.items()
        if count >= min_count and (" " in term or in_phrases[term] < count)
    ]
    kept.sort(key=lambda t: (-t.count, not t.is_phrase, t.term))
    return kept[:limit]
