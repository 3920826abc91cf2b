"""A bigram language model of the region captions (:class:`BigramIndex`),
with each image's own captions left out when its rows are judged."""

from __future__ import annotations

import collections
import math

__all__ = ["BigramIndex"]


class BigramIndex:
    """A bigram language model of every region caption, to judge word order.

    Counts unigrams and bigrams (with sentence ends) over all captions; a row
    is judged with its own image's captions left out (:meth:`own`), as a
    text-only model trained on other images would see it. An edit is
    *plausible* when every bigram it creates occurs in another image and the
    edited caption is at least as likely as the positive (within
    ``tolerance`` nats), so word order gives no hint which is the positive.

    >>> index = BigramIndex()
    >>> index.add(1, ["a", "red", "car"]); index.add(2, ["a", "red", "shirt"])
    >>> own = index.own([["a", "red", "shirt"]])
    >>> index.attested(["a", "red", "shirt"], own), index.attested(["a", "red", "car"], own)
    (False, True)
    """

    def __init__(self, smoothing: float = 1.0):
        self.counts = collections.Counter()  # bigrams, and unigrams as 1-tuples
        self.smoothing = smoothing
        self.tokens = 0
        self.words = 0

    @staticmethod
    def bigrams(tokens) -> list[tuple[str, str]]:
        """The bigrams of *tokens* with sentence-start and -end marks."""
        padded = ["<s>", *tokens, "</s>"]
        return list(zip(padded, padded[1:]))

    @classmethod
    def grams(cls, tokens) -> list[tuple]:
        """The unigrams (1-tuples, with the start mark) and bigrams of *tokens*."""
        return [(t,) for t in ["<s>", *tokens]] + cls.bigrams(tokens)

    def add(self, image_id: int, tokens) -> None:
        """Count one caption of image *image_id*."""
        for gram in self.grams(tokens):
            if len(gram) == 1:
                self.tokens += 1
                self.words += self.counts[gram] == 0
            self.counts[gram] += 1

    def own(self, captions) -> collections.Counter:
        """Counts of one image's captions (left out when judging its rows)."""
        counts = collections.Counter()
        for tokens in captions:
            counts.update(self.grams(tokens))
        return counts

    def attested(self, tokens, own: collections.Counter, known=()) -> bool:
        """Whether every bigram of *tokens* not in *known* occurs in another image."""
        known = set(known)
        return all(self.counts[b] - own[b] > 0 for b in self.bigrams(tokens) if b not in known)

    def log_likelihood(self, tokens, own: collections.Counter) -> float:
        """Log-probability of *tokens* under the model without *own*'s counts
        (bigrams interpolated with add-one unigrams).

        >>> index = BigramIndex()
        >>> for words in (["a", "red", "car"], ["a", "red", "cup"]): index.add(0, words)
        >>> empty = collections.Counter()
        >>> index.log_likelihood(["a", "red", "car"], empty) > index.log_likelihood(["a", "car", "red"], empty)
        True
        """
        total, vocabulary = self.tokens + 1, self.words + 1
        score = 0.0
        for first, second in self.bigrams(tokens):
            unigram = (self.counts[second,] - own[second,] + 1) / (total + vocabulary)
            pair = self.counts[first, second] - own[first, second]
            context = self.counts[first,] - own[first,]
            score += math.log((pair + self.smoothing * vocabulary * unigram)
                              / (context + self.smoothing * vocabulary))
        return score
