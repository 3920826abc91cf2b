"""Fluency rules: each flags its bad form and passes the good form."""

import pytest

from crepe_gen.language.fluency import FLUENCY_RULES, PLURAL_ONLY_SINGULARS, PSEUDO_OBJECTS, flagged_rules, noun_heads
from crepe_gen.language.lexicon import MASS_NOUNS
from crepe_gen.language.names import PLURAL_ONLY

#: rule -> (bad forms, good forms)
CASES = {
    "plural_only_singular": (["A man is wearing a pant.", "The woman is wearing a black jean.",
                              "There is an orange scissors.", "A glasses on the man.", "One trousers."],
                             ["A man is wearing pants.", "A woman wears black shorts.", "A short man.",
                              "A pair of jeans.", "A glass is on the table.", "A man is short."]),
    "mass_noun_article": (["The man has a white hair.", "A dog is on a grass."],
                          ["The man has white hair.", "A dog is on grass.", "A hair clip is on a table."]),
    "repeated_word": (["A white white board.", "A yellow yellow wall is here."],
                      ["A white board.", "A wall. Wall paint."]),
    "stacked_colours": (["A black white monitor.", "A red orange cloth."],
                        ["A black and white monitor.", "A red, white and blue flag."]),
    "adjective_order": (["A red old cup.", "A wooden big table.", "A metal white pole."],
                        ["An old red cup.", "A big wooden table.", "A white metal pole.", "A white painted line."]),
    "pseudo_object": (["There is a scene.", "There is an outside.", "There is no colour.",
                       "A table is in a scene.", "There is the background."],
                      ["The man is in front of a car.", "A view of the ocean.", "A cup is in the middle of a table.",
                       "A cat is inside the box.", "A cup is on the left.",
                       "A tree trunk outside the sidewalk."]),
    "a_one": (["A one person is in a picture."], ["One person is in a picture.", "A one-way sign."]),
    "there_is_list": (["There is a cup. There is a plate. There are forks."],
                      ["There is a cup, a plate and a fork.", "There is a cup. There is a plate. There is no dog."]),
}


def test_every_rule_has_cases():
    assert set(CASES) == set(FLUENCY_RULES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_flags_the_bad_form_and_passes_the_good_form(rule):
    bad, good = CASES[rule]
    check = FLUENCY_RULES[rule].check
    assert [text for text in bad if not check(text)] == []
    assert [text for text in good if check(text)] == []


def test_lists_come_from_the_lexicon():
    assert "pant" in PLURAL_ONLY_SINGULARS and "jean" in PLURAL_ONLY_SINGULARS
    assert "glass" not in PLURAL_ONLY_SINGULARS and "short" not in PLURAL_ONLY_SINGULARS
    assert {w + "s" for w in PLURAL_ONLY_SINGULARS} <= PLURAL_ONLY
    assert "grass" in MASS_NOUNS and {"scene", "background", "outside", "colour", "photo"} <= PSEUDO_OBJECTS


def test_flagged_rules_in_registry_order_and_noun_heads():
    assert flagged_rules("A jean is on a white white board.") == ("plural_only_singular", "repeated_word")
    assert flagged_rules("Jeans are on a white board.") == ()
    assert [h[:2] for h in noun_heads("A man is wearing black pants.")] == [("a", "man"), (None, "pants")]
