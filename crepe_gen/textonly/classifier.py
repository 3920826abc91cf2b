"""The one text-only classifier: can a model that never sees the image tell positives from negatives?

A logistic regression on hashed word 1-2-grams and character 3-grams
(:func:`ngram_features`), unweighted (:data:`CLASS_WEIGHT`), learns
"positive caption" against "negative caption" and scores every candidate
*out of fold*: folds are grouped
(:func:`grouped_folds`), so a candidate is only ever scored by a model
trained on other groups (images). The generators balance their foils against
it (:mod:`crepe_gen.textonly.balance`) and the audit judges with it
(:mod:`crepe_gen.evaluation.audit`): both call :func:`out_of_fold_scores`,
and both count a pick of the best-scored candidate with
:func:`tie_split_credit` (ties split evenly, so a rule that carries no
information scores chance exactly).

Examples
--------
>>> texts = ["a red cup", "a cup red", "a blue hat", "a hat blue"] * 3
>>> labels = [1, 0, 1, 0] * 3
>>> groups = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
>>> scores = out_of_fold_scores(texts, labels, groups, folds=3, seed=0)
>>> len(scores), bool(scores[0] > scores[1])
(12, True)
"""

from __future__ import annotations

import warnings

import numpy as np
from tqdm import tqdm

__all__ = ["CLASS_WEIGHT", "grouped_folds", "ngram_features", "out_of_fold_decisions", "out_of_fold_scores",
           "tie_split_credit"]

#: The class-weight policy of every fit, for the generators and the audit alike:
#: unweighted (a row's one positive against its several negatives, as they
#: come). Measured on the bundled sample (docs/benchmarks.md), sets balanced
#: against the unweighted classifier also hold against the class-balanced one
#: (pooled productivity atom Recall@1 21.8% unweighted, 21.4% balanced; chance
#: 16.7%), while sets balanced against the class-balanced classifier did not
#: hold against it (26.3%).
CLASS_WEIGHT = None


def grouped_folds(groups, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Grouped K-fold ``(train, test)`` index pairs: a group is never on both sides.

    >>> pairs = grouped_folds([1, 1, 2, 2, 3, 3, 4], folds=2, seed=0)
    >>> len(pairs), sorted(int(i) for _, test in pairs for i in test)
    (2, [0, 1, 2, 3, 4, 5, 6])
    """
    from sklearn.model_selection import GroupKFold

    groups = np.asarray(groups)
    n_splits = min(folds, len(np.unique(groups)))
    if n_splits < 2:
        return []
    splitter = GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(groups)), groups=groups))


def ngram_features(texts):
    """Hashed word 1-2-grams and case-sensitive character 3-grams, each row
    l2-normalized. Hashing needs no fitting, so no vocabulary leaks from the
    evaluated fold.

    >>> ngram_features(["a red cup", "a red cup", "a cat"]).shape[0]
    3
    """
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import HashingVectorizer

    unique, inverse = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    unique = unique.tolist()
    word = HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=1 << 20,
                             alternate_sign=False, token_pattern=r"(?u)\b\w+\b|n't")
    char = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 3), n_features=1 << 20,
                             alternate_sign=False, lowercase=False)
    features = hstack([word.transform(unique), char.transform(unique)]).tocsr()
    # Keep only the hashed columns in use: the solver's cost grows with the width.
    features = features[:, np.unique(features.indices)]
    return features[inverse]


def out_of_fold_scores(texts, labels, groups, *, folds: int, seed: int, trainable=None,
                       progress: bool = False,
                       description: str = "text-only classifier") -> np.ndarray | None:
    """Decision scores (higher: more likely a positive) of every text, each
    from a classifier trained on the other folds' groups only.

    Parameters
    ----------
    texts, labels, groups : sequences of equal length
        Candidate texts, 1 for a positive and 0 for a negative, and the group
        (image id) of each.
    folds, seed : int
        Grouped K-fold splits, and the seed of both the split and the solver.
    trainable : sequence of bool, optional
        Which texts a classifier may learn from (all by default); every text
        is scored.

    Returns
    -------
    numpy.ndarray or None
        One score per text (0 for a fold whose training part holds one class
        only), or None when there are fewer than two groups.
    """
    from sklearn.linear_model import LogisticRegression

    if not grouped_folds(groups, folds, seed):
        return None
    # The dual solver is fastest when hashed n-grams outnumber the captions;
    # it shuffles, so it takes the seed.
    return out_of_fold_decisions(
        ngram_features(texts), labels, groups, folds=folds, seed=seed, trainable=trainable,
        make_model=lambda: LogisticRegression(C=1.0, solver="liblinear", dual=True, max_iter=1000,
                                              random_state=seed, class_weight=CLASS_WEIGHT),
        progress=progress, description=description)


def out_of_fold_decisions(features, labels, groups, *, folds: int, seed: int, make_model, trainable=None,
                          progress: bool = False, description: str = "classifier") -> np.ndarray | None:
    """The grouped out-of-fold loop of every learned attacker: for each fold, a
    fresh ``make_model()`` is fit on the other folds' rows of *features* and
    scores this fold's rows (``decision_function``, else the log-odds of
    ``predict_proba``). None when there are fewer than two groups.

    >>> from sklearn.linear_model import LogisticRegression
    >>> features = np.array([[1.0], [0.0]] * 6)
    >>> scores = out_of_fold_decisions(features, [1, 0] * 6, [0, 0, 1, 1, 2, 2] * 2, folds=3, seed=0,
    ...                                make_model=LogisticRegression)
    >>> bool(scores[0] > scores[1])
    True
    """
    from sklearn.exceptions import ConvergenceWarning

    labels = np.asarray(labels)
    pairs = grouped_folds(groups, folds, seed)
    if not pairs:
        return None
    trainable = np.ones(len(labels), dtype=bool) if trainable is None else np.asarray(trainable, dtype=bool)
    decision = np.zeros(len(labels))
    for train, test in tqdm(pairs, desc=description, disable=not progress, leave=False):
        train = train[trainable[train]]
        if len(np.unique(labels[train])) < 2:
            continue
        model = make_model()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(features[train], labels[train])
        if hasattr(model, "decision_function"):
            decision[test] = model.decision_function(features[test])
        else:
            probability = np.clip(model.predict_proba(features[test])[:, 1], 1e-12, 1 - 1e-12)
            decision[test] = np.log(probability / (1 - probability))
    return decision


def tie_split_credit(scores, positive: int = 0) -> float:
    """Recall@1 credit of picking the best-scored candidate, ties split evenly
    (the expected value of breaking ties at random: :func:`rank_with_ties`).

    >>> tie_split_credit([3, 3, 1]), tie_split_credit([1, 3, 3]), tie_split_credit([5, 5, 5, 5])
    (0.5, 0.0, 0.25)
    """
    above, tied = rank_with_ties(scores, positive)
    return expected_recall(above, tied, 1)


def rank_with_ties(scores, positive: int = 0) -> tuple[int, int]:
    """``(above, tied)``: how many other candidates score above the positive,
    and how many score the same (within a relative 1e-9). The one tie policy
    of the audit, the evaluation and the card: a tie is broken at random, so
    the positive's rank is uniform over ``above + 1 .. above + tied + 1``.

    >>> rank_with_ties([3, 3, 1]), rank_with_ties([1, 3, 3]), rank_with_ties([2.0, 1.0, 3.0])
    ((0, 1), (2, 0), (1, 0))
    """
    value = scores[positive]
    close = 1e-9 * max(1.0, abs(value))
    others = [score for i, score in enumerate(scores) if i != positive]
    return sum(1 for s in others if s > value + close), sum(1 for s in others if abs(s - value) <= close)


def expected_recall(above, tied, k: int):
    """Recall@k of a positive ranked :func:`rank_with_ties`, ties broken at
    random (works on numbers or numpy arrays).

    >>> expected_recall(0, 1, 1), expected_recall(2, 0, 1), expected_recall(1, 3, 3)
    (0.5, 0.0, 0.5)
    """
    return min(1.0, max(0.0, (k - above) / (tied + 1))) if isinstance(above, int) else \
        ((k - above) / (tied + 1)).clip(0.0, 1.0)
