"""Grouped text-classifier scoring and rank-uniform selection (crepe_gen.textonly.balance)."""

import collections
import random

from crepe_gen.textonly.classifier import tie_split_credit
from crepe_gen.textonly.balance import drop_predictable, select_by_rank, text_classifier_scores

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


def swap_items(count=300, cued=0.6, seed=0):
    """One-negative rows (chance 50%): in a *cued* share the negative is a
    recombination that reads worse ("the shirt wears the man"), in the rest
    positive and negative are exchangeable."""
    rng = random.Random(seed)
    items = []
    for image_id in range(count):
        a, b = rng.sample(WORDS[3:6], 2)
        if rng.random() < cued:
            items.append((image_id, f"the man wears the {a}", [f"the {a} wears the man"]))
        else:
            first, second = rng.sample([f"a {a} near a {b}", f"a {b} near a {a}"], 2)
            items.append((image_id, first, [second]))
    return items


def recall(items, seed):
    scores = text_classifier_scores(items, folds=5, seed=seed)
    return sum(tie_split_credit([p, *n]) for p, n in scores) / len(items)


def test_drop_predictable_brings_a_shared_cue_to_chance():
    items = swap_items()
    assert recall(items, seed=0) > 0.75  # the cue is there
    keep = drop_predictable(items, folds=5, seed=0)
    kept = [item for item, k in zip(items, keep) if k]
    assert 0.3 * len(items) < len(kept) < len(items)
    for seed in (0, 7):  # a classifier retrained on the kept rows, with other folds too
        assert recall(kept, seed) <= 0.55
    assert keep == drop_predictable(items, folds=5, seed=0)  # deterministic


def test_drop_predictable_keeps_rows_without_a_cue():
    items = swap_items(cued=0.0)
    assert sum(drop_predictable(items, folds=5, seed=0)) >= 0.9 * len(items)


def test_rows_a_retrained_classifier_solves_are_dropped():
    from crepe_gen.productivity.balancing import _drop_predictable_rows
    from crepe_gen.productivity.stage import ProductivityConfig

    def row(i, cue):  # with the cue, the positive alone says "under"; else any candidate could be it
        names = ["cup", "mug", "bowl", "plate", "glass", "vase"]
        names = names[i % 6:] + names[:i % 6]
        positive = f"a {names[0]} is {'under' if cue else 'on'} a table {i}"
        foils = [f"a {name} is on a table {i}" for name in names[1:]]
        return {"image_id": i, "caption": positive, "hard_negs": foils}, {}

    cells = {("swap", 4): [row(i, i % 2 == 0) for i in range(60)], ("swap", 5): [row(i, True) for i in range(60, 70)]}
    section = collections.Counter()
    config = ProductivityConfig(levels=(4, 5))
    _drop_predictable_rows(cells, [("swap", 4), ("swap", 5)], 10, config, section)
    kept = cells[("swap", 4)]
    assert len(cells[("swap", 5)]) == 10                       # a cell keeps the rows it must write
    assert section["swap_rows_found_by_classifier"] > 0
    assert sum("under" in csv_row["caption"] for csv_row, _ in kept) < 15 < len(kept)
