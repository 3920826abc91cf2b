"""Grouped text-classifier scoring and rank-uniform selection (crepe_gen.debias)."""

import collections
import random

from crepe_gen.debias import select_by_rank, text_classifier_scores

WORDS = ["red", "blue", "green", "cup", "table", "dog", "on", "near", "large", "small"]


def planted_items(count=40, seed=0):
    """Positives carry the cue word 'shiny'; foils never do."""
    rng = random.Random(seed)
    items = []
    for image_id in range(count):
        positive = " ".join(rng.choice(WORDS) for _ in range(5)) + " shiny"
        negatives = [" ".join(rng.choice(WORDS) for _ in range(6)) for _ in range(4)]
        items.append((image_id, positive, negatives))
    return items


def test_out_of_fold_classifier_learns_a_cue_from_other_images():
    scores = text_classifier_scores(planted_items(), folds=5, seed=0)
    assert all(positive > max(negatives) for positive, negatives in scores)


def test_scores_are_deterministic():
    items = planted_items(seed=3)
    assert text_classifier_scores(items, folds=4, seed=1) == text_classifier_scores(items, folds=4, seed=1)


def test_selected_ranks_are_uniform():
    rng = random.Random(0)
    scores = [(0.0, [rng.uniform(-1, 1) for _ in range(10)]) for _ in range(300)]
    picks = select_by_rank(scores, 5, random.Random(1))
    ranks = collections.Counter(sum(scores[i][1][j] >= 0.0 for j in pick)
                                for i, pick in enumerate(picks) if pick is not None)
    assert set(ranks) == set(range(6))
    assert max(ranks.values()) - min(ranks.values()) <= 2


def test_rows_that_cannot_be_balanced_are_dropped():
    # Every negative scores below the positive: only rank 0 is feasible, so
    # after a couple of rows the positive would be first too often.
    scores = [(1.0, [0.0, -1.0, -2.0])] * 10
    picks = select_by_rank(scores, 2, random.Random(0))
    assert sum(pick is None for pick in picks) >= 8
