import pytest

from crepe_gen.errors import ConfigError
from crepe_gen.extract import (EXTRACTORS, Extraction, FastExtractor, VGVocabulary, extract,
                               get_extractor, load_vocabulary, save_vocabulary, trie_pattern,
                               vocabulary_for)
from crepe_gen.names import Canonicalizer


@pytest.fixture(scope="module")
def small():
    canon = Canonicalizer(object_aliases={"guy": "man"}, predicate_aliases={"is on": "on"})
    return VGVocabulary.build({"man": 5, "shirt": 3, "stop sign": 2, "orange": 1, "plate": 2,
                               "back of": 4, "table": 2},
                              {"red": 4, "white": 2, "orange": 3, "tall": 1, "a": 9},
                              {"on": 9, "wearing": 3, "next to": 2, "on top of": 1, "in": 5},
                              canon=canon)


def test_vocabulary_canonical_forms(small):
    assert small.surfaces["shirts"][0] == "shirt"
    assert small.surfaces["guys"][0] == "man"         # alias, plural of the alias
    assert small.surfaces["is on"][2] == "on"         # predicate alias
    assert "back of" not in small.objects              # ends in a preposition
    assert "a" not in small.attributes                 # function word
    assert small.surfaces["orange"][3] == 1            # more frequent as attribute


def test_longest_match_and_canonical_names(small):
    ex = FastExtractor(small)("Two guys wearing red shirts next to a Stop Sign on top of the table")
    assert ex.objects == ("man", "shirt", "stop sign", "table")
    assert ("red", "shirt") in ex.attribute_compounds
    assert ("man", "wearing", "shirt") in ex.relation_compounds
    assert ("shirt", "next to", "stop sign") in ex.relation_compounds
    assert ("stop sign", "on top of", "table") in ex.relation_compounds


def test_ambiguous_word_decided_by_context(small):
    fast = FastExtractor(small)
    assert fast("an orange shirt").attribute_compounds == (("orange", "shirt"),)
    noun = fast("an orange on a plate")
    assert noun.objects == ("orange", "plate") and noun.relation_compounds == (("orange", "on", "plate"),)


def test_predicative_and_coordinated(small):
    fast = FastExtractor(small)
    assert fast("the shirt is red and white").attribute_compounds == (("red", "shirt"), ("white", "shirt"))
    coordinated = fast("a man wearing a red shirt and a white shirt")
    assert coordinated.relation_compounds == (("man", "wearing", "shirt"),)
    assert fast("").objects == () and fast("nothing known here") == Extraction()


def test_whole_words_only(small):
    assert FastExtractor(small)("mankind reddish shirtless").objects == ()


def test_trie_pattern_longest_word_on_a_boundary():
    import re
    finder = re.compile(r"(?<!\w)(?:" + trie_pattern(["on", "on top", "on top of", "onto"]) + r")(?!\w)")
    assert [m.group() for m in finder.finditer("on top of onto on topic")] == ["on top of", "onto", "on"]


def test_default_vocabulary_is_the_bundled_sample():
    vocabulary = vocabulary_for()
    assert {"man", "shirt", "tree"} <= vocabulary.objects
    assert extract("a man wearing a shirt").relation_compounds == (("man", "wearing", "shirt"),)


def test_vocabulary_round_trip(tmp_path, small):
    save_vocabulary(small, tmp_path / "v.json")
    loaded = load_vocabulary(tmp_path / "v.json")
    assert loaded == small and loaded.surfaces == small.surfaces and loaded.digest == small.digest


def test_deterministic_digest():
    a = VGVocabulary.build({"b": 1, "a": 1}, {}, {})
    b = VGVocabulary.build({"a": 1, "b": 1}, {}, {})
    assert a.digest == b.digest


def test_unknown_extractor():
    with pytest.raises(ConfigError):
        get_extractor("nope")
    assert set(EXTRACTORS) == {"fast", "spacy"}


@pytest.mark.slow
def test_spacy_reference_agrees_on_simple_captions(small):
    reference = get_extractor("spacy", small)
    ex = reference("A man wearing a red shirt next to the stop sign.")
    assert ("red", "shirt") in ex.attribute_compounds
    assert ("man", "wearing", "shirt") in ex.relation_compounds
    assert reference("the shirt is red").attribute_compounds == (("red", "shirt"),)
    fast = get_extractor("fast", small)
    for caption in ["a man wearing a red shirt", "the shirt on the table", "a white plate on a table"]:
        assert set(fast(caption).compounds()) == set(reference(caption).compounds()), caption
