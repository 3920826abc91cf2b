"""Blind-bias control: pick foils (or rows) so a text-only classifier finds the positive at chance.

The text-only classifier of :mod:`crepe_gen.textonly.classifier` (the one
the audit judges with) is trained to tell positives from foils with
cross-validation grouped by image, so every candidate is scored
by a model that never saw its image (:func:`text_classifier_scores`). Then
:func:`select_by_rank` chooses, per row, foils such that the positive's rank
among the kept candidates is uniform over the rows: a classifier trained on
the final set then ranks the positive first about as often as chance.
Rows whose candidates cannot be balanced are dropped (None).
:func:`balance_rounds` refits the classifier on the choices and chooses
again, round after round; :func:`balance_foils` is those rounds with
:func:`select_by_rank` as the choice (the productivity atom foils and the
systematicity negatives). :func:`select_rows_by_rank` chooses whole rows
(each with all its foils) so that the positive's rank is uniform instead.

Rank balancing cannot remove a cue that most rows share (a recombination such
as "shirt wearing man" reads worse than its positive nearly every time): a
classifier retrained on the balanced rows learns it again.
:func:`drop_predictable` then removes, round after round, the rows whose
positive a classifier retrained on the rows kept so far finds most surely,
until it finds positives no more often than chance (adversarial filtering).

Examples
--------
>>> import random
>>> items = [(i, f"a red cup {i}", [f"a blue cup {i}", f"a green cup {i}", f"a red mug {i}"])
...          for i in range(6)]
>>> scores = text_classifier_scores(items, folds=3, seed=0)
>>> len(scores), len(scores[0][1])
(6, 3)
>>> picks = select_by_rank(scores, 2, random.Random(0))
>>> all(pick is None or len(pick) == 2 for pick in picks)
True
>>> keep = drop_predictable(items, folds=3, seed=0)
>>> len(keep), all(isinstance(k, bool) for k in keep)
(6, True)
"""

from __future__ import annotations

import collections
import itertools
import math
import random

from .classifier import out_of_fold_scores, tie_split_credit

__all__ = ["text_classifier_scores", "select_by_rank", "select_by_ranks", "balance_rounds", "balance_foils",
           "positive_rank", "select_rows_by_rank", "select_rows_by_ranks", "drop_predictable"]


def text_classifier_scores(items: list[tuple[int, str, list[str]]], *, folds: int, seed: int,
                           train_picks: list | None = None) -> list:
    """Out-of-fold scores of the text-only classifier
    (:func:`crepe_gen.textonly.classifier.out_of_fold_scores`), trained on
    other images only; ``[(positive score, [negative scores])]`` per item.

    With *train_picks* (per item, the chosen negatives' indices or None), the
    classifier learns from those choices only, as one trained on the final
    set would, and scores every candidate."""
    texts, labels, groups, usable = [], [], [], []
    for number, (image_id, positive, negatives) in enumerate(items):
        pick = None if train_picks is None else train_picks[number]
        for position, text in enumerate([positive, *negatives]):
            texts.append(text)
            labels.append(int(position == 0))
            groups.append(image_id)
            usable.append(train_picks is None or (pick is not None and (position == 0 or position - 1 in pick)))
    decision = out_of_fold_scores(texts, labels, groups, folds=folds, seed=seed, trainable=usable)
    if decision is None:
        decision = [0.0] * len(texts)
    scores, start = [], 0
    for _, _, negatives in items:
        scores.append((float(decision[start]), [float(d) for d in decision[start + 1:start + 1 + len(negatives)]]))
        start += 1 + len(negatives)
    return scores


def select_by_rank(scores: list, k: int, rng: random.Random, slack: int = 1, lengths: list | None = None) -> list:
    """Pick *k* negatives per item so the positive's rank under *scores* is
    uniform over the items: each item takes the feasible rank used least so
    far. An item whose feasible ranks are all used more than *slack* above
    the least-used one is dropped (None), since it cannot be balanced.

    With *lengths* (per item, the positive's length and its negatives'), the
    negatives of that rank are chosen among a few random draws so that "the
    shortest" and "the longest" candidate is the positive as often as chance.

    >>> picks = select_by_rank([(0.0, [1.0, -1.0, 2.0, -2.0])] * 4, 2, random.Random(0))
    >>> sorted(sum(s > 0 for s in [[1.0, -1.0, 2.0, -2.0][i] for i in p]) for p in picks)
    [0, 1, 2, 2]
    """
    used: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    extremes = _Extremes()
    picks = []
    for number, (positive, negatives) in enumerate(scores):
        size = min(k, len(negatives))
        above = [i for i, score in enumerate(negatives) if score >= positive]
        below = [i for i, score in enumerate(negatives) if score < positive]
        ranks = range(max(0, size - len(below)), min(size, len(above)) + 1)
        counts = used[size]
        least = min(counts[r] for r in range(size + 1))
        best = min(counts[r] for r in ranks)
        if size == 0 or best > least + slack:
            picks.append(None)
            continue
        choices = [r for r in ranks if counts[r] == best]
        rank = choices[rng.randrange(len(choices))]
        counts[rank] += 1
        draws = [sorted(rng.sample(above, rank) + rng.sample(below, size - rank))
                 for _ in range(16 if lengths else 1)]
        chosen = extremes.choose(draws, lengths[number], size) if lengths else draws[0]
        extremes.kept += 1
        picks.append(chosen)
    return picks


class _Extremes:
    """How often the positive was the shortest and the longest kept candidate
    so far (the audit's tie-split credit), to pick choices that keep both at chance."""

    def __init__(self):
        self.short = self.long = 0.0
        self.kept = 0

    @staticmethod
    def credit(own: int, others: list, pick, sign: int) -> float:
        lengths_ = [sign * own] + [sign * others[i] for i in pick]
        best_length = min(lengths_)
        return 1 / lengths_.count(best_length) if lengths_[0] == best_length else 0.0

    def choose(self, draws: list, lengths: tuple, size: int):
        """The draw that keeps both credits nearest chance (counted in)."""
        own, others = lengths
        target = (self.kept + 1) / (size + 1)

        def cost(pick):
            return ((self.short + self.credit(own, others, pick, 1) - target) ** 2
                    + (self.long + self.credit(own, others, pick, -1) - target) ** 2)

        chosen = min(draws, key=cost)
        self.short += self.credit(own, others, chosen, 1)
        self.long += self.credit(own, others, chosen, -1)
        return chosen


def select_by_ranks(score_sets: list, k: int, rng: random.Random, slack: int = 1, draws: int = 64,
                    lengths: list | None = None) -> list:
    """Pick *k* negatives per item so the positive's rank is uniform over the
    items under every scorer at once (*score_sets*: per scorer, per item
    ``(positive, [negatives])`` as for :func:`select_by_rank`).

    Each item takes, among up to *draws* random choices of its negatives
    (every choice when there are fewer), one whose ranks are the least used
    so far, scorer by scorer: the worst excess of a rank's use over the
    least-used rank of that scorer first, then their sum. An item whose best
    choice exceeds *slack* is dropped (None). With *lengths*, ties go to the
    choice that keeps "the shortest" and "the longest" candidate the positive
    as often as chance (as in :func:`select_by_rank`).

    >>> plain = [(0.0, [1.0, -1.0])] * 4
    >>> picks = select_by_ranks([plain, plain], 1, random.Random(0))
    >>> sorted(pick[0] for pick in picks)
    [0, 0, 1, 1]
    """
    used: list = [collections.defaultdict(collections.Counter) for _ in score_sets]
    extremes = _Extremes()
    picks = []
    for number in range(len(score_sets[0])):
        size = min(k, len(score_sets[0][number][1]))
        if size == 0:
            picks.append(None)
            continue
        count = len(score_sets[0][number][1])
        if math.comb(count, size) <= draws:
            choices = [list(c) for c in itertools.combinations(range(count), size)]
        else:
            choices = sorted({tuple(sorted(rng.sample(range(count), size))) for _ in range(draws)})
            choices = [list(c) for c in choices]

        def ranks(choice):
            return [positive_rank(scores[number][0], [scores[number][1][i] for i in choice])
                    for scores in score_sets]

        def cost(choice):
            excess = [counts[size][rank] - min(counts[size][r] for r in range(size + 1))
                      for counts, rank in zip(used, ranks(choice))]
            return max(excess), sum(excess)

        costs = [cost(choice) for choice in choices]
        best = min(costs)
        if best[0] > slack:
            picks.append(None)
            continue
        tied = [choice for choice, c in zip(choices, costs) if c == best]
        rng.shuffle(tied)
        chosen = extremes.choose(tied, lengths[number], size) if lengths else tied[0]
        extremes.kept += 1
        for counts, rank in zip(used, ranks(chosen)):
            counts[size][rank] += 1
        picks.append(chosen)
    return picks


def balance_rounds(items: list[tuple[int, str, list[str]]], choose, *, rounds: int, folds: int, seed: int,
                   trainable=None) -> list | None:
    """Choose negatives per item *rounds* times, each round under a text-only
    classifier (:func:`text_classifier_scores`) trained on the last round's
    choices (the first round: on every candidate).

    ``choose(scores, round_number)`` gives, per item, the indexes of the
    negatives it keeps (or None: the item is not kept). *trainable* (item
    index -> bool), when given, limits what later rounds learn from to the
    items it accepts (those that will be written). Returns the last round's
    choices (None for zero rounds).

    >>> items = [(i, f"a red cup {i}", [f"a blue cup {i}", f"a red mug {i}"]) for i in range(6)]
    >>> balance_rounds(items, lambda scores, r: [[0]] * len(scores), rounds=2, folds=3, seed=0)
    [[0], [0], [0], [0], [0], [0]]
    """
    picks = None
    for round_number in range(rounds):
        train = picks
        if picks is not None and trainable is not None:
            train = [pick if trainable(i) else None for i, pick in enumerate(picks)]
        scores = text_classifier_scores(items, folds=folds, seed=seed, train_picks=train)
        picks = choose(scores, round_number)
    return picks


def balance_foils(items: list[tuple[int, str, list[str]]], k: int, *, rounds: int, folds: int, seed: int,
                  salt: str, trainable=None, also: list | None = None) -> list | None:
    """*k* negatives per item by :func:`select_by_rank` (lengths balanced
    too), over :func:`balance_rounds`; round *r* draws with
    ``random.Random(f"{salt}:{r}")``. None for an item that cannot be balanced.

    With *also* (a list of further score sets, each per item
    ``(positive, [negatives])``), the positive's rank is balanced under those
    scores and the classifier's at once, by :func:`select_by_ranks`.

    >>> items = [(i, f"a red cup {i}", [f"a blue cup {i}", f"a red mug {i}", f"a cup {i}"]) for i in range(6)]
    >>> picks = balance_foils(items, 2, rounds=2, folds=3, seed=0, salt="0:example")
    >>> all(pick is None or len(pick) == 2 for pick in picks)
    True
    """
    lengths = [(len(caption), [len(n) for n in negatives]) for _, caption, negatives in items]

    def choose(scores, round_number):
        rng = random.Random(f"{salt}:{round_number}")
        if also:
            return select_by_ranks([scores, *also], k, rng, lengths=lengths)
        return select_by_rank(scores, k, rng, lengths=lengths)
    return balance_rounds(items, choose, rounds=rounds, folds=folds, seed=seed, trainable=trainable)


def positive_rank(positive: float, negatives: list) -> int:
    """How many candidates score at least as high as the positive (0: it is first).

    >>> positive_rank(0.5, [0.1, 0.7, 0.5])
    2
    """
    return sum(score >= positive for score in negatives)


def select_rows_by_rank(ranks: list, wanted: int, negatives: int) -> list:
    """Indexes of *wanted* rows (in order) whose positive ranks (0..*negatives*)
    are as uniform as possible: rows are taken in order while their rank is
    among the least used so far, then the rest fill the least-used ranks.

    >>> select_rows_by_rank([0, 0, 0, 1, 2, 0, 1, 2], 6, 2)
    [0, 3, 4, 5, 6, 7]
    """
    used = collections.Counter()
    chosen = []
    for index, rank in enumerate(ranks):
        if len(chosen) == wanted:
            break
        if used[rank] <= min(used[r] for r in range(negatives + 1)):
            used[rank] += 1
            chosen.append(index)
    taken = set(chosen)
    rest = [i for i in range(len(ranks)) if i not in taken]
    while len(chosen) < wanted and rest:
        best = min(rest, key=lambda i: (used[ranks[i]], i))
        used[ranks[best]] += 1
        chosen.append(best)
        rest.remove(best)
    return sorted(chosen)


def drop_predictable(items: list[tuple[int, str, list[str]]], *, folds: int, seed: int,
                     step: float = 0.1, max_rounds: int = 40, fold_seeds: int = 3) -> list[bool]:
    """Which items to keep so that a text-only classifier trained on the kept
    items (grouped by image, out of fold) finds the positive no more often
    than chance, whichever folds it is trained with.

    Each round retrains :func:`text_classifier_scores` on the kept items with
    *fold_seeds* different fold splits and drops the items whose positive it
    ranks first by the widest margin (averaged over the splits), while

    * under some split it ranks the positive first more often than chance, or
    * it ranks the positive first by a clear margin more often than last by
      the same margin. Without a cue both are equally likely; the test keeps a
      cue in a few rows from hiding behind the below-chance scores that
      grouped cross-validation gives rows without one.

    At most *step* of the kept items go per round.

    >>> items = [(i, "a cat on a mat", ["a mat on a cat"]) for i in range(20)]
    >>> sum(drop_predictable(items, folds=4, seed=0)) <= 20
    True
    """
    import numpy as np

    keep = [True] * len(items)
    for round_number in range(max_rounds):
        kept = [i for i, k in enumerate(keep) if k]
        if len(kept) < 2 * folds:
            break
        chance = sum(1 / (1 + len(items[i][2])) for i in kept)
        first, last, excess = np.zeros(len(kept)), np.zeros(len(kept)), 0.0
        for offset in range(fold_seeds):
            scores = text_classifier_scores([items[i] for i in kept], folds=folds,
                                            seed=seed + round_number * fold_seeds + offset)
            excess = max(excess, sum(tie_split_credit([p, *n]) for p, n in scores) - chance)
            first += [p - max(n) for p, n in scores]
            last += [min(n) - p for p, n in scores]
        clear = float(np.median(np.abs(first)))
        tail_excess = int(np.sum(first > clear)) - int(np.sum(last > clear))
        wanted = max(excess, tail_excess)
        if wanted <= 0:
            break
        order = np.argsort(-first, kind="stable")
        count = max(1, min(int(wanted + 0.5), int(step * len(kept))))
        for position in order[:count]:
            if first[position] <= 0:
                break
            keep[kept[position]] = False
    return keep


def select_rows_by_ranks(rankings: list, wanted: int, negatives: int) -> list:
    """Indexes of *wanted* rows (in order) whose positive ranks are as uniform as
    possible under every ranking of *rankings* (each a list of ranks 0..*negatives*
    per row, None: not counted): rows are taken in order while each of their ranks
    is among the least used of its ranking, then the rest fill the least-used ranks.

    >>> select_rows_by_ranks([[0, 0, 1, 1, 2, 2], [0, 1, 0, 2, 1, 2]], 3, 2)
    [0, 3, 4]
    """
    used = [collections.Counter() for _ in rankings]
    rows = len(rankings[0]) if rankings else 0

    def load(index):
        return sum(counter[ranks[index]] for counter, ranks in zip(used, rankings) if ranks[index] is not None)

    def take(index):
        for counter, ranks in zip(used, rankings):
            if ranks[index] is not None:
                counter[ranks[index]] += 1
    chosen = []
    for index in range(rows):
        if len(chosen) == wanted:
            break
        if all(ranks[index] is None or counter[ranks[index]] <= min(counter[r] for r in range(negatives + 1))
               for counter, ranks in zip(used, rankings)):
            take(index)
            chosen.append(index)
    taken = set(chosen)
    rest = [i for i in range(rows) if i not in taken]
    while len(chosen) < wanted and rest:
        best = min(rest, key=lambda i: (load(i), i))
        take(best)
        chosen.append(best)
        rest.remove(best)
    return sorted(chosen)
