"""Rules that score one caption from its text alone, shared by the audit's
baselines (:mod:`crepe_gen.evaluation.baselines`) and the ``text:RULE`` model
adapters (:mod:`crepe_gen.evaluation.models`), so a rule with one name means
one thing in both.

The length of a caption is counted without surrounding whitespace
(:func:`caption_length`); negations are counted by
:func:`crepe_gen.language.tokens.negation_count`.

Examples
--------
>>> caption_length(" a dog "), shortest(" a dog "), longest("a dog")
(5, -5.0, 5.0)
>>> fewest_negations("No dog, and the cat isn't here")
-2.0
"""

from __future__ import annotations

from ..language.tokens import negation_count

__all__ = ["caption_length", "shortest", "longest", "fewest_negations"]


def caption_length(text: str) -> int:
    """Characters of *text* without leading and trailing whitespace."""
    return len(text.strip())


def shortest(text: str) -> float:
    """Minus :func:`caption_length`: the shortest caption scores highest."""
    return -float(caption_length(text))


def longest(text: str) -> float:
    """:func:`caption_length`: the longest caption scores highest."""
    return float(caption_length(text))


def fewest_negations(text: str) -> float:
    """Minus the number of negation words: captions without one score highest."""
    return -float(negation_count(text))
