"""Text-only baselines of the blind-bias audit: rules that pick a candidate
caption without looking at the image.

Each baseline in :data:`BASELINES` maps the items of one *pool* (one task and
foil type) and the audit's :class:`~crepe_gen.evaluation.audit.AuditConfig`
to one score list per item (higher = more likely the positive), or None when
it cannot run. The rules: the only candidate without a negation word; the
shortest; the longest; the lower-case one; the one whose casing or
punctuation differs from the majority; the one closest to the median length;
the centroid (most word 1-2-grams shared with the other candidates); the one
with the fewest words never seen in the positives of other images; the
text-only n-gram classifier (:mod:`crepe_gen.textonly.classifier`); and the
structure-aware classifier (:mod:`crepe_gen.evaluation.structure`), which
reads each candidate relative to the others of its row. Words
and negations are those of :mod:`crepe_gen.language.tokens`; lengths and the
length rules are those of :mod:`crepe_gen.evaluation.text_rules`.

Examples
--------
>>> from crepe_gen.bench.reader import Item
>>> item = Item("productivity", "negate", 4, 1, "a red cup", ("not a red cup", "no red cup here"))
>>> BASELINES["no_negation"]([item], None), BASELINES["shortest"]([item], None)
([[1.0, 0.0, 0.0]], [[-9.0, -13.0, -15.0]])
"""

from __future__ import annotations

import collections
import re
import statistics
import string

from ..bench.reader import Item
from ..language.tokens import has_negation, words
from ..textonly.classifier import out_of_fold_scores
from .structure import structure_decisions
from .text_rules import caption_length, longest, shortest

__all__ = ["BASELINES", "LEGEND", "ROW_RULES", "SHORT_NAMES", "casing_signature", "punctuation_signature", "middle_length_scores", "centroid_scores", "unknown_words_scores",
           "classifier_scores", "structure_scores"]

_LETTER = re.compile(r"[^\W\d_]")
_PUNCTUATION = frozenset(string.punctuation + "\u2018\u2019\u201c\u201d")


def casing_signature(text: str) -> tuple[bool, bool]:
    """(starts upper case, has upper case after the first letter).

    >>> casing_signature("A dog"), casing_signature("a TV"), casing_signature("1 cat")
    ((True, False), (False, True), (False, False))
    """
    first = _LETTER.search(text)
    if first is None:
        return (False, False)
    rest = text[first.end():]
    return (first.group().isupper(), rest != rest.lower())


def punctuation_signature(text: str) -> tuple[str, str]:
    """(punctuation inside the text, the final punctuation mark)."""
    stripped = text.strip()
    inner = "".join(sorted(c for c in stripped[:-1] if c in _PUNCTUATION))
    last = stripped[-1:] if stripped[-1:] in _PUNCTUATION else ""
    return inner, last


def _per_candidate(function):
    def baseline(items, config):
        return [[float(function(c)) for c in item.candidates] for item in items]
    baseline.__doc__ = function.__doc__
    return baseline


def _odd_one_out(signature):
    def baseline(items, config):
        scores = []
        for item in items:
            keys = [signature(c) for c in item.candidates]
            counts = collections.Counter(keys)
            scores.append([float(-counts[k]) for k in keys])
        return scores
    return baseline


def middle_length_scores(items: list[Item], config) -> list[list[float]]:
    """Minus the distance of each candidate's length to the row's median length:
    catches positives that sit in the middle because every foil edits them."""
    scores = []
    for item in items:
        lengths = [caption_length(c) for c in item.candidates]
        middle = statistics.median(lengths)
        scores.append([-abs(length - middle) for length in lengths])
    return scores


def centroid_scores(items: list[Item], config) -> list[list[float]]:
    """Summed word 1-2-gram Jaccard similarity to the other candidates of the row.

    When every negative is a different one-edit foil of the positive, the
    positive is the candidate closest to all others: this rule finds it.

    >>> item = Item("productivity", "atom", 4, 1, "a red cup on a table",
    ...             ("a blue cup on a table", "a red mug on a table", "a red cup under a table"))
    >>> scores = centroid_scores([item], None)[0]
    >>> max(range(4), key=scores.__getitem__)
    0
    """
    scores = []
    for item in items:
        grams = []
        for candidate in item.candidates:
            tokens = words(candidate)
            grams.append(frozenset(tokens).union(zip(tokens, tokens[1:])))
        total = [0.0] * len(grams)
        for i in range(len(grams)):
            for j in range(i + 1, len(grams)):
                shared = len(grams[i] & grams[j])
                union = len(grams[i]) + len(grams[j]) - shared
                similarity = shared / union if union else 1.0
                total[i] += similarity
                total[j] += similarity
        scores.append(total)
    return scores


def unknown_words_scores(items: list[Item], config) -> list[list[float]]:
    """Minus the number of words never seen in the positives of *other* images
    (other source scenes, when images are copies)."""
    images_by_word: dict[str, set] = collections.defaultdict(set)
    for item in items:
        for word in set(words(item.positive)):
            images_by_word[word].add(item.scene_group)
    scores = []
    for item in items:
        row = []
        for candidate in item.candidates:
            unknown = 0
            for word in words(candidate):
                seen_in = images_by_word.get(word, ())
                if not seen_in or (len(seen_in) == 1 and item.scene_group in seen_in):
                    unknown += 1
            row.append(float(-unknown))
        scores.append(row)
    return scores


def classifier_scores(items: list[Item], config) -> list[list[float]] | None:
    """Out-of-fold scores of the text-only classifier
    (:func:`crepe_gen.textonly.classifier.out_of_fold_scores`) for every
    candidate, trained on the items of other images only."""
    texts, labels, groups = [], [], []
    for item in items:
        for position, candidate in enumerate(item.candidates):
            texts.append(candidate)
            labels.append(int(position == 0))
            groups.append(item.scene_group)
    return _per_item(items, out_of_fold_scores(texts, labels, groups, folds=config.folds, seed=config.seed,
                                               progress=config.progress,
                                               description=f"n-gram classifier ({items[0].foil})"))


def structure_scores(items: list[Item], config) -> list[list[float]] | None:
    """Out-of-fold scores of the structure-aware classifier
    (:func:`crepe_gen.evaluation.structure.structure_decisions`): features of
    each candidate relative to the others of its row."""
    return _per_item(items, structure_decisions(items, config))


def _per_item(items: list[Item], decision) -> list[list[float]] | None:
    """A flat array of candidate scores cut into one list per item."""
    if decision is None:
        return None
    scores, start = [], 0
    for item in items:
        end = start + len(item.candidates)
        scores.append(decision[start:end].tolist())
        start = end
    return scores


#: Text-only baselines, in report order. Each maps (items of one pool, config)
#: to one score array per item (higher = more likely the positive), or None.
BASELINES = {
    "no_negation": _per_candidate(lambda text: not has_negation(text)),
    "shortest": _per_candidate(shortest),
    "longest": _per_candidate(longest),
    "lowercase": _per_candidate(lambda text: text == text.lower()),
    "odd_casing": _odd_one_out(casing_signature),
    "odd_punctuation": _odd_one_out(punctuation_signature),
    "middle_length": middle_length_scores,
    "centroid": centroid_scores,
    "unknown_words": unknown_words_scores,
    "ngram_classifier": classifier_scores,
    "structure_classifier": structure_scores,
}
#: What each column of the audit table picks, for its legend.
LEGEND = {"no-neg": "the only candidate without a negation word", "short": "the shortest", "long": "the longest",
          "lower": "the all-lower-case one", "case": "the odd casing out", "punct": "the odd punctuation out",
          "middle": "the one nearest the median length", "centroid": "the one sharing most words with the others",
          "unknown": "the one with the fewest words unseen in other images' positives",
          "ngram": "an n-gram classifier trained on other images",
          "struct": "a classifier reading each candidate against the others of its row",
          "equal": "share of negatives equal to their positive once normalized (not a Recall@1)",
          "margin": "the best baseline's Recall@1 minus chance, in points"}
#: The baselines that read one row alone (no training, no other rows): the
#: evaluation offers each as a ``text:NAME`` model, scored as the audit scores it.
ROW_RULES = ("no_negation", "shortest", "longest", "lowercase", "odd_casing", "odd_punctuation", "middle_length",
             "centroid")
SHORT_NAMES = {"no_negation": "no-neg", "shortest": "short", "longest": "long",
               "lowercase": "lower", "odd_casing": "case", "odd_punctuation": "punct",
               "middle_length": "middle", "centroid": "centroid", "unknown_words": "unknown", "ngram_classifier": "ngram",
               "structure_classifier": "struct"}
