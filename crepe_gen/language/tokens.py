"""One tokenizer and one list of negation words, for every part that reads caption text.

:func:`tokenize` splits a caption into words (inner hyphens and apostrophes
kept: ``t-shirt``, ``man's``) and punctuation marks, keeping case, so that
:func:`render` puts the caption back together; :func:`words` is the same
split, lower case, without the punctuation. :data:`NEGATION_WORDS` and
:func:`has_negation` are the one definition of "this text negates something",
used by the generators, the LLM validation, the audit and the text-only
evaluation rules alike.

Examples
--------
>>> tokenize("A man's T-shirt, red.")
['A', "man's", 'T-shirt', ',', 'red', '.']
>>> render(tokenize("a hat , red ."))
'a hat, red.'
>>> words("A man isn\u2019t wearing a T-shirt.")
['a', 'man', "isn't", 'wearing', 'a', 't-shirt']
>>> has_negation("There is no dog"), has_negation("A dog doesn't run"), has_negation("A nose")
(True, True, False)
"""

from __future__ import annotations

import re
from typing import Iterable

__all__ = ["NEGATION_WORDS", "tokenize", "render", "words", "is_negation", "negation_count", "has_negation"]

_TOKEN = re.compile(r"[\w'-]+|[^\w\s]")
_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
_NO_SPACE_BEFORE = frozenset(",.;:!?)%")

#: Words that negate (contractions ending in "n't" negate too: :func:`has_negation`).
NEGATION_WORDS = frozenset("no not without none nobody nothing never neither nor nowhere cannot".split())


def tokenize(text: str) -> list[str]:
    """Words (inner hyphens and apostrophes kept) and punctuation marks, case kept.

    >>> tokenize("a man's t-shirt, red")
    ['a', "man's", 't-shirt', ',', 'red']
    """
    return _TOKEN.findall(text)


def render(tokens: Iterable[str]) -> str:
    """Join tokens with single spaces, none before closing punctuation.

    >>> render(["a", "hat", ",", "red"])
    'a hat, red'
    """
    text = ""
    for token in tokens:
        if not token:
            continue
        if text and token[0] not in _NO_SPACE_BEFORE and not text.endswith("("):
            text += " "
        text += token
    return text


def words(text: str) -> list[str]:
    """Lower-case word tokens (typographic apostrophes made plain); no punctuation.

    >>> words("Two dogs' bowls -- and a cat.")
    ['two', 'dogs', 'bowls', 'and', 'a', 'cat']
    """
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def is_negation(word: str) -> bool:
    """Whether a lower-case word negates: one of :data:`NEGATION_WORDS` or a
    contraction ending in "n't".

    >>> is_negation("without"), is_negation("doesn't"), is_negation("knot")
    (True, True, False)
    """
    return word in NEGATION_WORDS or word.endswith("n't")


def negation_count(text: str) -> int:
    """How many words of *text* negate (:data:`NEGATION_WORDS`, and "n't").

    >>> negation_count("No cat, and the dog isn't here")
    2
    """
    return sum(1 for word in words(text) if is_negation(word))


def has_negation(text: str) -> bool:
    """True when *text* holds a negation word (no, not, n't, without, ...)."""
    return negation_count(text) > 0
