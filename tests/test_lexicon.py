"""Replacement candidates: co-hyponyms by sense, attributes by category, predicates by class."""

import random

import pytest

from crepe_gen.language.lexicon import (SYMMETRIC_PREDICATES, Lexicon, attribute_category, draw, is_symmetric,
                               predicate_class, same_predicate)
from crepe_gen.vg.reader import VisualGenome


@pytest.fixture(scope="module")
def lexicon():
    return Lexicon.from_graphs(VisualGenome().scene_graphs())


def test_objects_replaced_by_co_hyponyms(lexicon):
    man = dict(lexicon.object_candidates("man"))
    assert "woman" in man and "person" not in man and "man" not in man
    plate = dict(lexicon.object_candidates("plate"))
    assert "fork" in plate and "third" not in plate
    for name in ("table", "chair", "car", "shirt"):
        for other, _ in lexicon.object_candidates(name):
            assert other != name


def test_known_wrong_senses_never_drawn():
    lexicon = Lexicon.from_counts({"dog": 5, "cat": 3, "animal": 9, "puppy": 2, "third": 4, "plate": 1,
                                   "sky": 3, "helium": 2},
                                  {}, {}, synsets={"plate": "plate.n.04", "sky": "sky.n.01"})
    assert dict(lexicon.object_candidates("dog")) == {"cat": 3}
    assert "third" not in dict(lexicon.object_candidates("plate"))
    assert "helium" not in dict(lexicon.object_candidates("sky"))


def test_attributes_within_category(lexicon):
    white = dict(lexicon.attribute_candidates("white"))
    assert "black" in white and "white" not in white
    assert all(attribute_category(a) == "colour" for a in white)
    assert "gray" not in dict(lexicon.attribute_candidates("grey"))
    assert lexicon.attribute_candidates("indoors") == []


def test_predicates_within_class(lexicon):
    on = dict(lexicon.predicate_candidates("on"))
    assert "under" in on and "on top of" not in on and "sitting on" not in on
    assert all(predicate_class(p) == "spatial" for p in on)
    assert "wearing" in dict(lexicon.predicate_candidates("holding"))
    assert same_predicate("ON", "on top of") and not same_predicate("behind", "in front of")


def test_symmetric_predicates():
    assert {"next to", "near", "beside", "by"} <= SYMMETRIC_PREDICATES
    assert is_symmetric("Next To ") and not is_symmetric("on")


def test_weighted_draw_is_seeded_and_follows_weights():
    pool = [("common", 90), ("rare", 10)]
    first = [draw(random.Random(s), pool)[0] for s in range(500)]
    assert first == [draw(random.Random(s), pool)[0] for s in range(500)]
    assert 0.82 < first.count("common") / 500 < 0.97
    assert sorted(draw(random.Random(1), pool, k=5)) == ["common", "rare"]
