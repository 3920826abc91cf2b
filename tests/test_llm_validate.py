"""The LLM validation of denials: a negation word right before the denied atom, nowhere else."""

from __future__ import annotations

import pytest

from crepe_gen.llm.validate import Expectation, check_text
from crepe_gen.vg.scene import Scene

OBJECT_WORDS = frozenset({"man", "shirt", "hat", "dog"})
MAN = Scene.build({1: "man", 2: "shirt"}, [(1, "tall"), (2, "white")], [(1, "wearing", 2)])


@pytest.mark.parametrize("atom, text", [
    (("relation", 0), "A tall man is not wearing a white shirt."),
    (("relation", 0), "A tall man isn't wearing the white shirt."),
    (("attribute", 2, "white"), "A tall man is wearing a shirt that is not white."),
    (("object", 2), "A tall man is wearing no white shirt."),
    (("object", 2), "A tall man is wearing not a single white shirt."),
])
def test_a_denial_said_in_place_passes(atom, text):
    assert check_text(text, Expectation(MAN.negating(atom), "negate"), OBJECT_WORDS) == []


@pytest.mark.parametrize("atom, text, failure", [
    (("relation", 0), "A tall man is wearing a white shirt.", "negation_missing:wearing"),
    (("attribute", 2, "white"), "A tall man is not wearing a white shirt.", "negation_missing:white"),
    (("object", 2), "A man who is not very tall at all is wearing no white shirt.", "negation"),
])
def test_a_denial_missing_or_misplaced_fails(atom, text, failure):
    assert failure in check_text(text, Expectation(MAN.negating(atom), "negate"), OBJECT_WORDS)


def test_a_caption_without_a_denial_may_not_negate():
    assert check_text("A tall man is not wearing a white shirt.", Expectation(MAN), OBJECT_WORDS) == ["negation"]
