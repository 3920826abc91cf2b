"""The structure-aware attacker: can the positive be found from how a row's candidates relate to each other?

The other baselines read each candidate alone (its length, its words, its
n-grams). A careful blind reader also compares them: when every foil edits a
different word of the positive, the positive holds the majority value at every
slot where the candidates differ; when the positive alone denies a word that no
other candidate mentions, that word gives it away; when every candidate is a
Boolean combination of the same few statements and exactly one is true, the one
consistent truth assignment names the positive.

:func:`row_features` describes every candidate *relative to its row*
(:data:`FEATURES`, each explained below); :func:`structure_scores`, the
baseline ``structure_classifier`` of :data:`~crepe_gen.evaluation.baselines.BASELINES`,
learns which of these relations mark the positive with gradient-boosted trees,
out of fold with folds grouped by image
(:func:`~crepe_gen.textonly.classifier.out_of_fold_decisions`), exactly as the
n-gram classifier is trained and scored.

Words are those of :func:`crepe_gen.language.tokens.words`; a *statement* is a
sentence or ``;``-separated clause, its *core* the statement with negation
words, ``n't``, articles and the forms of "be" and "do" dropped, its polarity
whether it is negated (:func:`statements`).

Examples
--------
>>> row = ("a red cup on a table", "a blue cup on a table", "a red mug on a table", "a red cup under a table")
>>> features = row_features(row)
>>> [round(f["majority_agreement"], 2) for f in features]
[1.0, 0.67, 0.67, 0.67]
>>> [f["unique_words"] for f in features]
[0.0, 1.0, 1.0, 1.0]
>>> statements("The cup isn't red. A mug is on the table.")
[(('cup', 'red'), False), (('mug', 'on', 'table'), True)]
"""

from __future__ import annotations

import collections
import itertools
import re

import numpy as np

from ..language.tokens import NEGATION_WORDS, words

__all__ = ["FEATURES", "row_features", "statements", "exactly_one_true", "structure_decisions"]

_STATEMENT_END = re.compile(r"[.;!?]+")
_SCOPE_END = re.compile(r"[.;,!?]")
_FILLER = frozenset("a an the is are was were be been being do does did".split())
#: Rows with more distinct statement cores than this skip the truth-assignment
#: features (2**cores assignments are tried): CREPE's negate rows have 3 to 13.
MAX_CORES = 12


def statements(text: str) -> list[tuple[tuple[str, ...], bool]]:
    """``(core, asserted)`` of each sentence or clause of *text*: *core* is its
    words without negations, articles and forms of "be"/"do", *asserted* is
    False when it holds an odd number of negations.

    >>> statements("There is no dog; a cat is not on a mat")
    [(('there', 'dog'), False), (('cat', 'on', 'mat'), False)]
    """
    found = []
    for part in _STATEMENT_END.split(text):
        core, negations = [], 0
        for word in words(part):
            if word in NEGATION_WORDS:
                negations += 1
                continue
            if word.endswith("n't"):
                negations += 1
                word = {"won't": "will", "can't": "can"}.get(word, word[:-3])
            if word not in _FILLER:
                core.append(word)
        if core:
            found.append((tuple(core), negations % 2 == 0))
    return found


def _negated_words(text: str) -> set[str]:
    """Words in the scope of a negation: from the negation to the next punctuation mark."""
    scoped = set()
    for part in _SCOPE_END.split(text):
        tokens = words(part)
        for index, word in enumerate(tokens):
            if word in NEGATION_WORDS or word.endswith("n't"):
                scoped.update(t for t in tokens[index + 1:] if t not in NEGATION_WORDS and t not in _FILLER)
                break
    return scoped


def exactly_one_true(literal_sets: list[frozenset]) -> tuple[list[float], list[float]]:
    """The deduction "exactly one candidate is true".

    Each candidate is the conjunction of its literals ``(core, asserted)``.
    Over every truth assignment of the row's cores under which exactly one
    candidate is true, returns per candidate (a) the share of those
    assignments in which it is the true one and (b) its share among the
    assignments that make the most literals of the whole row true (the reading
    that keeps the most of what the candidates say). Both are zero when no
    assignment makes exactly one candidate true, or the row has more than
    :data:`MAX_CORES` cores.

    >>> a, b = frozenset({("x", True), ("y", True)}), frozenset({("x", False), ("y", True)})
    >>> c = frozenset({("x", True), ("y", False)})
    >>> exactly_one_true([a, b, c])[1]
    [1.0, 0.0, 0.0]
    """
    cores = sorted({core for literals in literal_sets for core, _ in literals})
    count = len(literal_sets)
    if not cores or len(cores) > MAX_CORES:
        return [0.0] * count, [0.0] * count
    index = {core: i for i, core in enumerate(cores)}
    assignments = np.array(list(itertools.product((False, True), repeat=len(cores))), dtype=bool)
    truths = np.ones((len(assignments), count), dtype=bool)
    satisfied = np.zeros(len(assignments), dtype=int)
    for j, literals in enumerate(literal_sets):
        for core, asserted in literals:
            holds = assignments[:, index[core]] == asserted
            truths[:, j] &= holds
            satisfied += holds
    single = truths.sum(axis=1) == 1
    if not single.any():
        return [0.0] * count, [0.0] * count
    which = truths[single].argmax(axis=1)
    share = np.bincount(which, minlength=count) / single.sum()
    best = satisfied[single] == satisfied[single].max()
    best_share = np.bincount(which[best], minlength=count) / best.sum()
    return share.tolist(), best_share.tolist()


def _majority_agreement(sets: list[set]) -> list[tuple[float, float]]:
    """Per candidate: the share of differing units (in some candidates, not all)
    at which it sides with the majority (ties count half), and how many it does not."""
    count = len(sets)
    tally = collections.Counter(unit for units in sets for unit in units)
    differing = [unit for unit, n in tally.items() if n < count]
    if not differing:
        return [(1.0, 0.0)] * count
    result = []
    for units in sets:
        agree = 0.0
        for unit in differing:
            present = tally[unit] * 2
            if present == count:
                agree += 0.5
            elif (present > count) == (unit in units):
                agree += 1
        result.append((agree / len(differing), len(differing) - agree))
    return result


def row_features(candidates) -> list[dict[str, float]]:
    """One dict of :data:`FEATURES` per candidate of a row, each relative to the others."""
    count = len(candidates)
    tokens = [words(c) for c in candidates]
    word_sets = [set(t) for t in tokens]
    bigram_sets = [set(zip(t, t[1:])) for t in tokens]
    word_tally = collections.Counter(w for s in word_sets for w in s)
    literal_sets = [frozenset(statements(c)) for c in candidates]
    literal_tally = collections.Counter(lit for s in literal_sets for lit in s)
    core_tally = collections.Counter(core for s in literal_sets for core in {core for core, _ in s})
    negated = [_negated_words(c) for c in candidates]
    negated_tally = collections.Counter(w for s in negated for w in s)
    word_majority = _majority_agreement(word_sets)
    bigram_majority = _majority_agreement(bigram_sets)
    literal_majority = _majority_agreement([set(s) for s in literal_sets])
    share, best_share = exactly_one_true(list(literal_sets))
    others = max(count - 1, 1)
    lengths = [len(t) for t in tokens]
    median_length = float(np.median(lengths))
    rows = []
    for j in range(count):
        unique = {w for w in word_sets[j] if word_tally[w] == 1}
        literals = literal_sets[j] or frozenset()
        literal_shares = [(literal_tally[lit] - 1) / others for lit in literals] or [0.0]
        core_shares = [(core_tally[core] - 1) / others for core in {c for c, _ in literals}] or [0.0]
        rows.append({
            "unique_words": float(len(unique)),
            "missing_words": float(sum(1 for w, n in word_tally.items() if n == count - 1 and w not in word_sets[j])),
            "majority_agreement": word_majority[j][0],
            "majority_disagreements": word_majority[j][1],
            "bigram_majority_agreement": bigram_majority[j][0],
            "statement_majority_agreement": literal_majority[j][0],
            "negated_unique_words": float(len(negated[j] & unique)),
            "negated_words_no_other_negates": float(sum(1 for w in negated[j] if negated_tally[w] == 1)),
            "negated_words": float(len(negated[j])),
            "denials": float(sum(1 for _, asserted in literals if not asserted)),
            "statement_share_min": min(literal_shares),
            "statement_share_mean": float(np.mean(literal_shares)),
            "core_share_min": min(core_shares),
            "unique_statements": float(sum(1 for lit in literals if literal_tally[lit] == 1)),
            "exactly_one_true_share": share[j],
            "exactly_one_true_best": best_share[j],
            "length_from_median": lengths[j] - median_length,
        })
    return rows


#: The features of :func:`row_features`, in column order.
FEATURES = tuple(row_features(("a cup", "a mug"))[0])


def _feature_matrix(items) -> np.ndarray:
    """Every candidate's features, and each feature's offset from its row's mean (a column each)."""
    blocks = []
    for item in items:
        block = np.array([[f[name] for name in FEATURES] for f in row_features(item.candidates)])
        blocks.append(np.hstack([block, block - block.mean(axis=0)]))
    return np.vstack(blocks)


def structure_decisions(items, config) -> np.ndarray | None:
    """Out-of-fold scores, one per candidate of *items* in order, of
    gradient-boosted trees over :func:`row_features` (plus each feature's
    offset from its row's mean), trained on the rows of other images (source
    scenes) only: the ``structure_classifier`` baseline. None with fewer than two groups."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from ..textonly.classifier import out_of_fold_decisions

    labels = [int(position == 0) for item in items for position in range(len(item.candidates))]
    groups = [item.scene_group for item in items for _ in item.candidates]
    return out_of_fold_decisions(
        _feature_matrix(items), labels, groups, folds=config.folds, seed=config.seed,
        make_model=lambda: HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=15,
                                                          min_samples_leaf=10, early_stopping=False,
                                                          random_state=config.seed),
        progress=config.progress, description=f"structure classifier ({items[0].foil})")
