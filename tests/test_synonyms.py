"""The one synonym test (``Lexicon.same_meaning``) and its use by both sets:
no foil means the same as what it replaces, no two foils of a row mean the same."""

import itertools
import random

import pytest

from crepe_gen.language.lexicon import (AtomTally, Lexicon, draw, same_attribute, same_predicate, spelling_key,
                                        synonym_predicates)
from crepe_gen.language.names import Canonicalizer, read_alias_groups
from crepe_gen.productivity.captions import scene_from_subgraph
from crepe_gen.productivity.negatives import NegativeConfig, atom_foils, names_clash
from crepe_gen.productivity.sampling import sample_subgraph
from crepe_gen.productivity.weights import atom_statistics
from crepe_gen.vg.graph import build_graph
from crepe_gen.vg.reader import VisualGenome, bundled_sample
from crepe_gen.vg.scene import Mention, Scene

KINDS = {"replace_object": "object", "replace_attribute": "attribute", "replace_predicate": "relation"}


@pytest.fixture(scope="module")
def vg():
    return VisualGenome()


@pytest.fixture(scope="module")
def lexicon(vg):
    tally = AtomTally(vg.canon.alias_groups)
    for graph in vg.scene_graphs():
        tally.add(graph)
    return tally.lexicon()


def test_alias_groups_keep_lines_not_their_closure(tmp_path):
    path = tmp_path / "relationship_alias.txt"
    path.write_text("near,by\nnear,around\nsitting on,Sitting In \nsitting in,sitting in a\nalone\n",
                    encoding="utf-8")
    groups = read_alias_groups(path)
    assert groups["near"] == {0, 1} and groups["sitting in"] == {2, 3}
    assert not groups["by"] & groups["around"]
    assert "alone" not in groups  # a line of one word pairs it with nothing
    canon = Canonicalizer.from_files(None, path)
    assert canon.alias_groups == {"relation": groups}
    assert canon.predicate("sitting in") == "sitting in"  # canonical on its own line: kept


def test_spelling_variants():
    assert spelling_key("Grey") == spelling_key("gray") and spelling_key("colour") == "color"
    assert spelling_key("light grey") == "light gray" and spelling_key("t-shirt") == "t shirt"
    assert same_attribute("grey", "gray") and same_attribute("colourful", "colorful")
    assert not same_attribute("grey", "green")


def test_predicate_paraphrases_and_containment():
    for a, b in [("sitting in", "sitting on"), ("on", "on top of"), ("in", "inside"), ("has", "with"),
                 ("hanging from", "hanging on"), ("watching", "looking at")]:
        assert synonym_predicates(a, b) and synonym_predicates(b, a) and same_predicate(a, b), (a, b)
    assert same_predicate("on", "parked on") and not synonym_predicates("on", "parked on")
    assert not synonym_predicates("on", "under") and not synonym_predicates("sitting on", "standing on")


@pytest.mark.parametrize("kind, a, b", [
    ("object", "couch", "sofa"),            # one WordNet synset (VG's sense)
    ("object", "phone", "telephone"),
    ("attribute", "grey", "gray"),          # spelling
    ("attribute", "big", "large"),          # word classes and the main WordNet adjective sense
    ("relation", "sitting in", "sitting on"),
    ("relation", "on top of", "above"),     # a line of relationship_alias.txt
    ("relation", "near", "around"),
    ("relation", "has", "holding"),         # main WordNet verb sense
])
def test_same_meaning(lexicon, kind, a, b):
    assert lexicon.same_meaning(kind, a, b) and lexicon.same_meaning(kind, b, a)


@pytest.mark.parametrize("kind, a, b", [
    ("object", "couch", "chair"), ("object", "man", "woman"), ("attribute", "clear", "open"),
    ("attribute", "white", "black"), ("relation", "on", "under"), ("relation", "by", "around"),
    ("relation", "on", "parked on"), ("relation", "riding", "driving"),
])
def test_not_same_meaning(lexicon, kind, a, b):
    assert not lexicon.same_meaning(kind, a, b)


def test_alias_lines_count_only_with_the_folder(lexicon):
    without = Lexicon.from_counts(lexicon.object_counts, lexicon.attribute_counts, lexicon.predicate_counts,
                                  synsets=lexicon.synsets)
    assert lexicon.same_meaning("relation", "on top of", "above")
    assert not without.same_meaning("relation", "on top of", "above")
    assert "above" in dict(without.predicate_candidates("on top of"))
    assert "above" not in dict(lexicon.predicate_candidates("on top of"))


def test_candidates_never_mean_the_same(lexicon):
    kinds = {"object": (lexicon.object_counts, lexicon.object_candidates),
             "attribute": (lexicon.attribute_counts, lexicon.attribute_candidates),
             "relation": (lexicon.predicate_counts, lexicon.predicate_candidates)}
    checked = 0
    for kind, (counts, candidates) in kinds.items():
        for word in counts:
            for other, _ in candidates(word):
                assert not lexicon.same_meaning(kind, word, other), (kind, word, other)
                checked += 1
    assert checked > 1000


def test_draw_with_a_clash_never_draws_both():
    pool = [("grey", 5), ("gray", 5), ("red", 1), ("blue", 1), ("green", 1)]
    clash = lambda a, b: spelling_key(a) == spelling_key(b)  # noqa: E731
    for seed in range(50):
        drawn = draw(random.Random(seed), pool, k=4, clash=clash)
        assert not {"grey", "gray"} <= set(drawn) and len(drawn) == 4
    # without a clash among the candidates the draws are the draws of before
    plain = [("red", 1), ("blue", 3), ("green", 2)]
    assert draw(random.Random(3), plain, 3, clash=clash) == draw(random.Random(3), plain, 3)


def test_names_object_and_names_clash(lexicon):
    graph = build_graph({"image_id": 1, "objects": [
        {"object_id": 1, "names": ["monitor", "computer screen"], "synsets": ["monitor.n.04"],
         "x": 0, "y": 0, "w": 5, "h": 5},
        {"object_id": 2, "names": ["sofa"], "synsets": ["sofa.n.01"], "x": 0, "y": 0, "w": 5, "h": 5},
        {"object_id": 3, "names": ["desk"], "synsets": ["desk.n.01"], "x": 9, "y": 9, "w": 5, "h": 5}]})
    nodes = [graph.nodes[i] for i in (1, 2)]  # object 1 and its same-box twin
    assert lexicon.names_object("computer screen", nodes) and lexicon.names_object("couch", nodes)
    assert not lexicon.names_object("desk", nodes)
    scene = Scene((Mention(2, "sofa", ()), Mention(3, "desk", ())), ())
    assert names_clash("couch", scene, lexicon, skip=3)       # "a couch next to a sofa"
    assert not names_clash("chair", scene, lexicon, skip=3)


def _atom_rows(graphs, statistics, levels=(4, 6, 8)):
    for graph in graphs:
        rng = random.Random(graph.graph["image_id"])
        for n in levels:
            sub = sample_subgraph(graph, n, rng, mode="connected_first")
            if sub is None:
                continue
            result = atom_foils(graph, scene_from_subgraph(graph, sub), statistics.lexicon, rng,
                                NegativeConfig(candidates=10))
            if result is not None:
                yield graph, result[1]


def test_productivity_atom_foils_never_mean_the_same(vg):
    graphs = list(vg.scene_graphs())
    statistics = atom_statistics(graphs, aliases=vg.canon.alias_groups)
    lexicon = statistics.lexicon
    rows = 0
    for graph, foils in _atom_rows(graphs[:40], statistics):
        rows += 1
        edits = [edit for _, edit in foils]
        for edit in edits:
            kind = KINDS[edit.rule]
            assert not lexicon.same_meaning(kind, edit.old[0], edit.new[0]), edit
            if kind == "object":
                twins = [graph.nodes[i] for i in (edit.target[0], *graph.nodes[edit.target[0]]["same_box"])]
                assert not lexicon.names_object(edit.new[0], twins), edit
        for e1, e2 in itertools.combinations(edits, 2):
            assert not lexicon.same_meaning(KINDS[e1.rule], e1.new[0], e2.new[0]), (e1, e2)
    assert rows >= 40


def test_weak_predicates_are_not_atom_slots():
    graph = build_graph({"image_id": 1, "objects": [
        {"object_id": 1, "names": ["cup"], "synsets": ["cup.n.01"], "x": 0, "y": 0, "w": 5, "h": 5},
        {"object_id": 2, "names": ["table"], "synsets": ["table.n.02"], "x": 0, "y": 5, "w": 9, "h": 9}],
        "relationships": [{"relationship_id": 3, "predicate": "next to", "subject_id": 1, "object_id": 2,
                           "synsets": []}]})
    scene = Scene((Mention(1, "cup", ()), Mention(2, "table", ())), ((1, "next to", 2),))
    lexicon = Lexicon.from_counts({"cup": 3, "table": 2}, {}, {"next to": 5, "on": 4, "under": 3, "behind": 2,
                                                               "above": 2, "in": 2, "inside": 2, "below": 1})
    assert atom_foils(graph, scene, lexicon, random.Random(0), NegativeConfig(negatives=2)) is None


def test_the_bundled_sample_alias_files_are_read(vg):
    groups = read_alias_groups(bundled_sample() / "relationship_alias.txt")
    assert vg.canon.alias_groups["relation"] == groups
    assert vg.canon.alias_groups["object"]
