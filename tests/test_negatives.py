"""Foils: false against the full graph, whole-token edits, swaps keep the words, negation balanced."""

import collections
import difflib
import random
import re

import pytest

from crepe_gen.language.names import plural_only_form

from crepe_gen.evaluation.audit import normalized
from crepe_gen.language.tokens import has_negation
from crepe_gen.productivity.captions import render, scene_from_subgraph
from crepe_gen.productivity.negatives import FOIL_TYPES, NEGATE_DROPS, NegativeConfig, negate_foils
from crepe_gen.productivity.weights import atom_statistics, plausibility_scorer
from crepe_gen.productivity.sampling import sample_subgraph
from crepe_gen.vg.crop import object_box
from crepe_gen.vg.geometry import fraction_inside
from crepe_gen.vg.graph import union_box
from crepe_gen.vg.truth import name_in_image, objects_named, statement_holds
from crepe_gen.vg.reader import VisualGenome

ARTICLES = {"a", "an", "the", "is", "are", "has", "have"}  # grammar words that agree


def words(text):
    return re.findall(r"[a-z'-]+", text.lower())


@pytest.fixture(scope="module")
def sample():
    graphs = list(VisualGenome().scene_graphs())
    return graphs[:30], atom_statistics(graphs)


def rows(sample, foil_type, levels=(4, 6, 9, 12)):
    graphs, statistics = sample
    made = []
    for graph in graphs:
        rng = random.Random(graph.graph["image_id"])
        for n in levels:
            sub = sample_subgraph(graph, n, rng, mode="mixed" if foil_type == "swap" else "connected_first")
            if sub is None:
                continue
            scene = scene_from_subgraph(graph, sub)
            kwargs = {"plausibility": plausibility_scorer(statistics, graph)}
            if foil_type == "negate":
                kwargs["absent_weights"] = statistics.absent_weights
            result = FOIL_TYPES[foil_type](graph, scene, statistics.lexicon, rng, NegativeConfig(), **kwargs)
            if result is not None:
                made.append((graph, *result))
    assert len(made) >= 20, f"too few {foil_type} rows to test"
    return made


@pytest.mark.parametrize("foil_type", sorted(FOIL_TYPES))
def test_foils_are_false_distinct_and_counted(sample, foil_type):
    for graph, positive, foils in rows(sample, foil_type):
        assert statement_holds(graph, positive.statement())
        assert len(foils) == NegativeConfig().negatives
        texts = [normalized(render(positive))] + [normalized(render(f)) for f, _ in foils]
        assert len(set(texts)) == len(texts)
        for foil, edit in foils:
            assert edit.type == foil_type
            assert not statement_holds(graph, foil.statement())


def test_atom_edits_replace_whole_tokens(sample):
    rules = collections.Counter()
    for graph, positive, foils in rows(sample, "atom"):
        before = words(render(positive))
        for foil, edit in foils:
            rules[edit.rule] += 1
            after = words(render(foil))
            # "and" joins colour words: "black, blue and purple" -> "blonde black and blue"
            said = plural_only_form if edit.rule == "replace_object" else str  # "short" said "shorts"
            old_words = set(" ".join(map(said, edit.old)).split()) | ARTICLES | {"and"}
            new_words = set(" ".join(map(said, edit.new)).split()) | ARTICLES | {"and"}
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
                if tag != "equal":
                    assert set(before[i1:i2]) <= old_words, (before, after, edit)
                    assert set(after[j1:j2]) <= new_words, (before, after, edit)
    assert set(rules) == {"replace_object", "replace_attribute", "replace_predicate"}


def test_swaps_permute_three_atoms_and_keep_the_words(sample):
    for graph, positive, foils in rows(sample, "swap"):
        content = {w for w in words(render(positive)) if w not in ARTICLES}
        edits = [edit for _, edit in foils]
        assert len({(e.rule, e.target) for e in edits}) == 1          # one triple per row
        assert sorted(e.new for e in edits) == sorted(
            tuple(edits[0].old[i] for i in order) for order in
            [(0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)])  # its five other orders
        for foil, edit in foils:
            assert {w for w in words(render(foil)) if w not in ARTICLES} == content
            # a relation only turned around (symmetric ones always) would hold: never a foil
            assert not statement_holds(graph, foil.statement())


def test_negation_is_balanced_and_true_only_for_the_positive(sample):
    for graph, positive, foils in rows(sample, "negate"):
        assert has_negation(render(positive)) and len(positive.absent) == 1
        assert not name_in_image(graph, positive.absent[0])
        for foil, edit in foils:
            assert has_negation(render(foil)) and words(render(foil)).count("no") == 1
            assert name_in_image(graph, foil.absent[0])
            assert foil.absent[0] not in {m.name for m in foil.objects}


def test_negation_at_the_crop_names_only_visible_objects_and_counts_drops(sample):
    """The crop rule: a foil's "there is no X" only of an X with at least half
    its box in the crop, the positive's Y of nothing with any part inside;
    rows that cannot get negatives so are dropped and counted by reason."""
    graphs, statistics = sample
    made, skipped = 0, collections.Counter()
    for graph in graphs:
        rng = random.Random(graph.graph["image_id"])
        for n in (4, 6, 9):
            sub = sample_subgraph(graph, n, rng)
            if sub is None:
                continue
            box = union_box(graph, sub.objects)
            result = FOIL_TYPES["negate"](graph, scene_from_subgraph(graph, sub), statistics.lexicon, rng,
                                          NegativeConfig(), box=box, absent_weights=statistics.absent_weights,
                                          skipped=skipped)
            if result is None:
                continue
            made += 1
            positive, foils = result
            def shares(name):
                return [fraction_inside(object_box(graph, o), box) for o in objects_named(graph, name)]
            assert max(shares(positive.absent[0]), default=0.0) == 0.0
            for foil, _ in foils:
                assert max(shares(foil.absent[0])) >= 0.5
    assert made >= 10
    assert skipped and set(skipped) <= set(NEGATE_DROPS.values())


def test_negation_drops_a_row_whose_crop_shows_too_few_objects():
    from crepe_gen.language.lexicon import Lexicon
    from crepe_gen.vg.graph import build_graph
    from crepe_gen.vg.scene import Mention, Scene
    names = ["cup", "dog", "cat", "car", "tree", "lamp", "book"]
    objects = [{"object_id": i + 1, "names": [name], "synsets": [], "x": 100 * i, "y": 0, "w": 10, "h": 10}
               for i, name in enumerate(names)]
    graph = build_graph({"image_id": 1, "objects": objects, "relationships": []})
    lexicon = Lexicon.from_counts({name: 1 for name in names + ["horse"]}, {}, {})
    scene = Scene((Mention(1, "cup", ()),), ())
    skipped = collections.Counter()
    whole = negate_foils(graph, scene, lexicon, random.Random(0), box=(0, 0, 700, 10), skipped=skipped)
    assert whole is not None and {f.absent[0] for f, _ in whole[1]} <= set(names[1:])
    # the crop shows the cup, the dog and half the cat: the other objects never make a foil
    assert negate_foils(graph, scene, lexicon, random.Random(0), box=(0, 0, 205, 10), skipped=skipped) is None
    assert skipped == {NEGATE_DROPS["visible"]: 1}


def test_every_foil_is_fluent(monkeypatch):
    import crepe_gen.productivity.stage as stage
    from crepe_gen.productivity.stage import ProductivityConfig
    from crepe_gen.productivity.captions import TemplateCaptioner

    class Stammering(TemplateCaptioner):  # the first foil of every row says a word twice
        def render_row(self, positive, negatives, edits, style):
            captions = super().render_row(positive, negatives, edits, style)
            return [captions[0], captions[1].replace(" is ", " is is ", 1), *captions[2:]]

    graphs = list(VisualGenome().scene_graphs())[:4]
    statistics = atom_statistics(graphs)
    config = ProductivityConfig(levels=(5,), foil_types=("atom",), balance_ranks=False)
    rows = [row for graph in graphs for row in stage.image_rows(graph, statistics, config)[0]]
    assert rows
    monkeypatch.setitem(stage.CAPTION_BACKENDS, "template", Stammering)
    found, skipped = [], {}
    for graph in graphs:
        image_rows, image_skipped = stage.image_rows(graph, statistics, config)
        found += image_rows
        skipped.update(image_skipped)
    assert not any("is is" in text for _, _, csv_row, _ in found for text in csv_row["hard_negs"])
    assert skipped.get("atom foil not fluent", 0) > 0
