"""Compound plausibility of systematicity negatives (crepe_gen.systematicity.plausibility)
and rank balancing under several scorers at once (crepe_gen.textonly.balance.select_by_ranks)."""

from __future__ import annotations

import collections
import random

from crepe_gen.systematicity.captions import parse_caption
from crepe_gen.systematicity.extract import Extraction
from crepe_gen.systematicity.plausibility import CompoundPlausibility
from crepe_gen.textonly.balance import positive_rank, select_by_ranks

COUNTS = {("o", "man"): 20, ("o", "shirt"): 8, ("o", "computer"): 6, ("o", "carpet"): 3,
          ("a", "red", "shirt"): 4, ("a", "orange", "shirt"): 1, ("a", "red", "car"): 3, ("a", "parked", "car"): 1,
          ("r", "man", "wearing", "shirt"): 7, ("sp", "man", "wearing"): 7, ("po", "wearing", "shirt"): 7,
          ("r", "man", "sitting at", "computer"): 3, ("sp", "man", "sitting at"): 3,
          ("po", "sitting at", "computer"): 3}
SURFACES = {"man": ("man", None, None), "shirt": ("shirt", None, None), "computer": ("computer", None, None),
            "red": (None, "red", None), "orange": (None, "orange", None), "wearing": (None, None, "wearing"),
            "sitting at": (None, None, "sitting at")}


def _caption(text, objects, attributes, relations, pairs, triples):
    return parse_caption(text, Extraction(objects, attributes, relations, pairs, triples), SURFACES)


def test_reversed_relations_are_less_plausible():
    model = CompoundPlausibility(COUNTS)
    positive = _caption("man sitting at computer", ("man", "computer"), (), ("sitting at",), (),
                        (("man", "sitting at", "computer"),))
    reversed_ = _caption("computer sitting at man", ("man", "computer"), (), ("sitting at",), (),
                         (("computer", "sitting at", "man"),))
    assert model.score(positive) > model.score(reversed_)


def test_moved_attributes_are_less_plausible_on_the_wrong_object():
    model = CompoundPlausibility(COUNTS)
    positive = _caption("man in orange shirt", ("man", "shirt"), ("orange",), (), (("orange", "shirt"),), ())
    moved = _caption("orange man in shirt", ("man", "shirt"), ("orange",), (), (("orange", "man"),), ())
    assert model.score(positive) > model.score(moved)


def test_unseen_compounds_back_off_to_their_atoms():
    model = CompoundPlausibility(COUNTS)
    assert model.attribute("red", "man") > model.attribute("parked", "man")  # red is the commoner word
    assert model.relation("man", "wearing", "computer") > model.relation("computer", "wearing", "man")


def test_the_own_image_does_not_count():
    model = CompoundPlausibility({**COUNTS, ("a", "orange", "man"): 1})
    own = CompoundPlausibility(model.compounds, frozenset({("a", "orange", "man"), ("o", "man")}))
    assert own.attribute("orange", "man") < model.attribute("orange", "man")
    assert own._count(("a", "orange", "man")) == 0


def test_select_by_ranks_balances_every_scorer():
    rng = random.Random(3)
    first, second = [], []
    for _ in range(300):
        positive = rng.random()
        first.append((positive, [rng.random() for _ in range(6)]))
        second.append((rng.gauss(1.0, 1.0), [rng.gauss(0.0, 1.0) for _ in range(6)]))  # positives mostly first
    picks = select_by_ranks([first, second], 2, random.Random(0))
    kept = [i for i, pick in enumerate(picks) if pick is not None]
    assert len(kept) > 100
    for scores in (first, second):
        ranks = collections.Counter(positive_rank(scores[i][0], [scores[i][1][j] for j in picks[i]]) for i in kept)
        assert max(ranks.values()) - min(ranks[r] for r in range(3)) <= 2, ranks


def test_select_by_ranks_drops_rows_that_cannot_be_balanced():
    always_first = [(9.0, [1.0, 2.0])] * 10
    picks = select_by_ranks([always_first], 1, random.Random(0))
    assert picks[0] == [0] or picks[0] == [1]
    assert sum(pick is None for pick in picks) >= 8


def test_row_plausibility_and_draw_weights():
    import types

    from crepe_gen.systematicity.negatives import RowContext

    caption = _caption("man in orange shirt", ("man", "shirt"), ("orange",), (), (("orange", "shirt"),), ())
    bigrams = types.SimpleNamespace(log_likelihood=lambda tokens, own: -2.0)
    model = CompoundPlausibility(COUNTS)

    def context(**flags):
        return RowContext(facts=None, positive=caption, pool=None, rng=random.Random(0), bigrams=bigrams,
                          own_bigrams=None, tries=0, compounds=model, **flags)
    compounds = model.score(caption)
    assert context().plausibility(caption) == compounds
    assert context(plausibility_bigrams=True).plausibility(caption) == compounds - 2.0
    assert context().draw_weight(caption, compounds) == -2.0  # the bigram likelihood alone
    assert context(weigh_plausibility=True).draw_weight(caption, compounds) == compounds - 2.0
    assert context(weigh_plausibility=True, plausibility_bigrams=True).draw_weight(caption, compounds - 2.0) \
        == compounds - 2.0
