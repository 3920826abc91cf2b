"""Canonical names: normalization, alias files, noun lemmas."""

from __future__ import annotations

import pytest

from crepe_gen.core.errors import InputError
from crepe_gen.language.names import Canonicalizer, noun_lemma, normalize, read_alias_file
from crepe_gen.vg.reader import bundled_sample


@pytest.mark.parametrize("raw, expected", [
    ("ON", "on"),
    ("Framed ", "framed"),
    ("  red   car ", "red car"),
    ("white\u00a0 clouds\t", "white clouds"),
    ('"t-shirt.', "t-shirt"),
    ("man's", "man's"),
    ("\u201cbeahc\u201d", "beahc"),
    ("Caf\u00e9", "caf\u00e9"),
    ("\uff34\uff25\uff25", "tee"),  # full-width letters fold under NFKC
    ("...", ""),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_alias_file_with_spaces_and_a_token_on_several_lines(tmp_path):
    path = tmp_path / "object_alias.txt"
    path.write_text("person ,person  is\n"
                    "man,men,guy \n"
                    "guy,fellow\n"          # guy is canonical on its own line: maps to itself
                    "boy,men\n"             # men already taken by the first line that has it
                    "\n"
                    "White  Clouds,white  clouds are\n", encoding="utf-8")
    aliases = read_alias_file(path)
    assert aliases == {"person is": "person", "men": "man", "fellow": "guy",
                       "white clouds are": "white clouds"}
    canon = Canonicalizer(object_aliases=aliases)
    assert canon.object("Person  Is ") == "person"
    assert canon.object("guy") == "guy" and canon.object("Men") == "man"


def test_real_alias_files():
    sample = bundled_sample()
    canon = Canonicalizer.from_files(sample / "object_alias.txt", sample / "relationship_alias.txt")
    objects = read_alias_file(sample / "object_alias.txt")
    predicates = read_alias_file(sample / "relationship_alias.txt")
    assert len(objects) > 1000 and len(predicates) > 1000
    assert all(k == normalize(k) and v == normalize(v) and k != v for k, v in objects.items())
    assert canon.object("savers") == "saver"
    assert canon.predicate("next to") == canon.predicate("Next  To ")


def test_alias_file_errors(tmp_path):
    with pytest.raises(InputError, match="missing.txt: file not found"):
        read_alias_file(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9,cafe\n")
    with pytest.raises(InputError, match="bad.txt: bytes that are not UTF-8"):
        read_alias_file(bad)


@pytest.mark.parametrize("word, lemma", [
    ("trees", "tree"), ("shoes", "shoe"), ("boxes", "box"), ("leaves", "leaf"),
    ("glasses", "glasses"), ("pants", "pants"), ("bus", "bus"), ("men", "man"),
    ("logs", "log"), ("berries", "berry"), ("tree", "tree"), ("cactus", "cactus"),
])
def test_noun_lemma(word, lemma):
    assert noun_lemma(word) == lemma


def test_object_name_is_lemmatized_on_the_last_word_only():
    canon = Canonicalizer()
    assert canon.object("Tall Trees") == "tall tree"
    assert canon.object("glasses case") == "glasses case"
    assert Canonicalizer(lemmatize=False).object("trees") == "trees"


def test_name_lists_and_attribute_lists():
    canon = Canonicalizer()
    assert canon.object_names("Dog") == (("dog",), "dog", ("Dog",))
    assert canon.object_names(["", "Dogs", 3, "dog"]) == (("dog",), "dogs", ("Dogs", "dog"))
    assert canon.object_names([["nested"]]) is None
    assert canon.object_names(None) is None
    assert canon.attributes(None) == ((), ())
    assert canon.attributes("red") == ((), ())
    assert canon.attributes(["Red", ["x"], "red"]) == (("red",), ("Red", "red"))
    assert canon.predicate_label(7) is None and canon.predicate_label("  ") is None


def test_memoized_results_are_stable():
    canon = Canonicalizer()
    first = canon.object_names(["Trees"])
    assert canon.object_names(["Trees"]) is first


def test_lemmas_do_not_import_lemminflect_or_spacy():
    # importing lemminflect imports spaCy when installed: seconds and about 1 GB
    import subprocess
    import sys

    code = ("import sys; from crepe_gen.vg.reader import VisualGenome; "
            "list(VisualGenome().scene_graphs()); "
            "print(sorted(m for m in ('lemminflect', 'spacy', 'torch') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
