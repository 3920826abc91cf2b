"""Foils: false against the full graph (negations: at the crop), whole-token edits, swaps keep
the words, every negate candidate denies one unstated atom in place."""

import collections
import itertools
import random
import re

import pytest

from crepe_gen.language.lexicon import attribute_category
from crepe_gen.language.names import plural_only_form
from crepe_gen.language.senses import is_lemma

from crepe_gen.evaluation.audit import normalized
from crepe_gen.language.tokens import negation_count
from crepe_gen.productivity.captions import render, scene_from_subgraph
from crepe_gen.productivity.negatives import (FOIL_TYPES, NEGATE_DROPS, NegativeConfig, names_clash, negate_foils,
                                             unstated_atoms)
from crepe_gen.productivity.weights import atom_statistics, plausibility_scorer
from crepe_gen.productivity.sampling import sample_subgraph
from crepe_gen.vg import crop
from crepe_gen.vg.graph import union_box
from crepe_gen.vg.truth import statement_holds
from crepe_gen.vg.reader import VisualGenome
from crepe_gen.vg.scene import Mention, Scene

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
                kwargs["box"] = union_box(graph, sub.objects)
            result = FOIL_TYPES[foil_type](graph, scene, statistics.lexicon, rng, NegativeConfig(), **kwargs)
            if result is not None:
                made.append((graph, *result, scene, union_box(graph, sub.objects)))
    assert len(made) >= 20, f"too few {foil_type} rows to test"
    return made


@pytest.mark.parametrize("foil_type", sorted(FOIL_TYPES))
def test_foils_are_false_distinct_and_counted(sample, foil_type):
    for graph, positive, foils, _, box in rows(sample, foil_type):
        assert statement_holds(graph, positive.statement())
        assert len(foils) == NegativeConfig().negatives
        texts = [normalized(render(positive))] + [normalized(render(f)) for f, _ in foils]
        assert len(set(texts)) == len(texts)
        for foil, edit in foils:
            assert edit.type == foil_type
            if foil_type == "negate":  # a denial is judged at the crop, where objects outside do not count
                assert crop.negative_false_at_crop(graph, foil.statement(), box)
            else:
                assert not statement_holds(graph, foil.statement())


def test_atom_edits_replace_whole_tokens(sample):
    rules = collections.Counter()
    for graph, positive, foils, *_ in rows(sample, "atom"):
        before = words(render(positive))
        for foil, edit in foils:
            rules[edit.rule] += 1
            after = words(render(foil))
            # "and" joins colour words: "black, blue and purple" -> "blonde black and blue"
            said = plural_only_form if edit.rule == "replace_object" else str  # "short" said "shorts"
            old_words = set(" ".join(map(said, edit.old)).split()) | ARTICLES | {"and"}
            new_words = set(" ".join(map(said, edit.new)).split()) | ARTICLES | {"and"}
            # words gone and words come, as multisets: colour words may reorder
            # ("black and blue" -> "blue and white")
            gone = collections.Counter(before) - collections.Counter(after)
            come = collections.Counter(after) - collections.Counter(before)
            assert set(gone) <= old_words, (before, after, edit)
            assert set(come) <= new_words, (before, after, edit)
    # a predicate is replaced only where the new relation is seen possible, rare on 100 images
    assert {"replace_object", "replace_attribute"} <= set(rules) <= {"replace_object", "replace_attribute",
                                                                      "replace_predicate"}


def test_swaps_permute_three_atoms_and_keep_the_words(sample):
    for graph, positive, foils, *_ in rows(sample, "swap"):
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


def test_every_negate_candidate_is_the_caption_plus_one_denial_of_its_own(sample):
    """Each candidate keeps the whole caption and denies, in place, one atom of
    the image the caption does not state: the positive a replaced atom (true at
    the crop), each foil a true atom (false at the crop), no two the same atom."""
    kinds = collections.Counter()
    for graph, positive, foils, scene, box in rows(sample, "negate"):
        unstated = {atom for _, atom in unstated_atoms(graph, scene, sample[1].lexicon, box)}
        candidates = [positive, *(foil for foil, _ in foils)]
        assert all(negation_count(render(c)) == 1 for c in candidates)
        for candidate in candidates:
            stated = candidate.negating(())
            assert set(scene.relations) <= set(stated.relations)
            assert all(set(m.attributes) <= set(stated.mention(m.object_id).attributes) for m in scene.objects)
        assert crop.positive_true_at_crop(graph, positive.statement(), box)
        assert not statement_holds(graph, positive.negating(()).statement())  # it denies a false atom
        for foil, edit in foils:
            assert foil.negated in unstated and statement_holds(graph, foil.negating(()).statement())
            assert edit.rule == f"deny_{foil.negated[0]}"
            kinds[foil.negated[0]] += 1
        assert len({foil.negating(()) for foil, _ in foils}) == len(foils)
        # every denied atom is one the lexicon could replace (no stray VG name), and no
        # object the caption does not name is named by two candidates
        lexicon, caption_names = sample[1].lexicon, {m.name for m in scene.objects}
        new_names = [{m.name for m in c.objects} - caption_names for c in candidates]
        assert all(not names_clash(x, Scene((Mention(0, y, ()),)), lexicon)
                   for a, b in itertools.combinations(new_names, 2) for x in a for y in b), new_names
        assert all(is_lemma(name) and lexicon.object_candidates(name)
                   and lexicon.attribute_counts.get(name, 0) <= lexicon.object_counts.get(name, 0)  # no "no grey"
                   for names in new_names for name in names)
        # nor do two deny attributes of one category of one object ("not wood", "not wooden")
        slots = [(c.negated[1], attribute_category(c.negated[2]) or c.negated[2])
                 for c in candidates if c.negated[0] == "attribute"]
        assert len(slots) == len(set(slots)), slots
    assert set(kinds) == {"object", "attribute", "relation"}


def test_a_denial_counts_as_false_only_whichever_way_the_crop_is_read():
    """"A man is not wearing a hat" with a second, hatless man: true if he is
    in the crop, so never a foil then; the hatless man outside the crop does not count."""
    from crepe_gen.vg.graph import build_graph
    from crepe_gen.vg.scene import Mention, Scene
    graph = build_graph({"image_id": 1, "objects": [
        {"object_id": 1, "names": ["man"], "synsets": ["man.n.01"], "x": 0, "y": 0, "w": 10, "h": 20},
        {"object_id": 2, "names": ["hat"], "synsets": ["hat.n.01"], "x": 2, "y": 0, "w": 6, "h": 4},
        {"object_id": 3, "names": ["man"], "synsets": ["man.n.01"], "x": 100, "y": 0, "w": 10, "h": 20}],
        "relationships": [{"relationship_id": 9, "predicate": "wearing", "subject_id": 1, "object_id": 2,
                           "synsets": []}]})
    denial = Scene((Mention(1, "man"), Mention(2, "hat")), ((1, "wearing", 2),)).negating(("relation", 0))
    assert render(denial) == "A man is not wearing a hat."
    assert crop.negative_false_at_crop(graph, denial.statement(), (0, 0, 10, 20))
    assert not crop.negative_false_at_crop(graph, denial.statement(), (0, 0, 110, 20))
    no_hat = Scene((Mention(1, "man"), Mention(2, "hat")), ((1, "wearing", 2),)).negating(("object", 2))
    assert render(no_hat) == "A man is wearing no hat."
    assert crop.negative_false_at_crop(graph, no_hat.statement(), (0, 0, 10, 20))
    assert not crop.negative_false_at_crop(graph, no_hat.statement(), (0, 3, 10, 17))  # 3/4 of the hat cut off


def test_negation_drops_a_row_that_cannot_get_its_denials_and_counts_why():
    from crepe_gen.language.lexicon import Lexicon
    from crepe_gen.vg.graph import build_graph
    from crepe_gen.vg.scene import Mention, Scene
    graph = build_graph({"image_id": 1, "objects": [
        {"object_id": 1, "names": ["cup"], "synsets": ["cup.n.01"], "x": 0, "y": 0, "w": 10, "h": 10,
         "attributes": ["white", "ceramic"]}], "relationships": []})
    lexicon = Lexicon.from_counts({"cup": 3}, {"white": 5, "red": 2, "black": 3, "ceramic": 2, "plastic": 1}, {})
    cup = Scene((Mention(1, "cup", ()),))
    skipped = collections.Counter()
    # two unstated atoms (the cup's colour and material): too few for five foils
    assert negate_foils(graph, cup, lexicon, random.Random(0), skipped=skipped) is None
    assert skipped == {NEGATE_DROPS["unstated"]: 1}
    positive, foils = negate_foils(graph, cup, lexicon, random.Random(0), NegativeConfig(negatives=1))
    # the positive replaces one of the two and denies it, the foil denies the other as it is
    colour = render(positive) in ("There is a cup that is not red.", "There is a cup that is not black.")
    assert colour or render(positive) == "There is a cup that is not plastic."
    assert [render(foil) for foil, _ in foils] == [f"There is a cup that is not {'ceramic' if colour else 'white'}."]


def test_every_foil_is_fluent(monkeypatch):
    import crepe_gen.productivity.stage as stage
    from crepe_gen.productivity.stage import ProductivityConfig
    from crepe_gen.productivity.captions import TemplateCaptioner

    class Stammering(TemplateCaptioner):  # the first foil of every row says a word twice
        def render_row(self, positive, negatives, edits, style):
            captions = super().render_row(positive, negatives, edits, style)
            return [captions[0], captions[1].replace(" is ", " is is ", 1), *captions[2:]]

    every = list(VisualGenome().scene_graphs())
    graphs, statistics = every[:4], atom_statistics(every)  # foils need compounds seen in other images
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


def test_swaps_permute_atoms_of_one_kind_into_possible_relations(sample):
    from crepe_gen.language.lexicon import attribute_category, predicate_class
    from crepe_gen.language.senses import name_kind

    graphs, statistics = sample
    lexicon = statistics.lexicon
    kinds = {"permute_names": lambda value: name_kind(value, lexicon.object_synset(value)),
             "permute_attributes": attribute_category, "permute_predicates": predicate_class}
    seen = collections.Counter()
    by_image = {g.graph["image_id"]: g for g in graphs}
    for graph, positive, foils, *_ in rows(sample, "swap"):
        plausibility = plausibility_scorer(statistics, by_image[graph.graph["image_id"]])
        edit = foils[0][1]
        seen[edit.rule] += 1
        found = {kinds[edit.rule](value) for value in edit.old}
        assert len(found) == 1 and None not in found and "" not in found, edit  # a colour with a colour
        seen["admitted"] += all(plausibility.admits(foil, positive) for foil, _ in foils)
    assert seen["permute_names"]
    assert seen["admitted"]  # rows whose every foil is admitted exist (preferred: see the next tests)


def test_atom_foils_state_only_possible_relations_and_attributes(sample):
    graphs, statistics = sample
    by_image = {g.graph["image_id"]: g for g in graphs}
    for graph, positive, foils, *_ in rows(sample, "atom"):
        plausibility = plausibility_scorer(statistics, by_image[graph.graph["image_id"]])
        assert all(plausibility.admits(foil, positive) for foil, _ in foils)  # no "a man wearing a cpu"


class _Judge:
    """A plausibility that admits no foil moving attributes (tried first by default)."""

    def __call__(self, scene):
        return 0.0

    def admits(self, candidate, scene):
        return [m.attributes for m in candidate.objects] == [m.attributes for m in scene.objects]


def test_swaps_prefer_triples_whose_foils_are_admitted():
    import networkx as nx
    from crepe_gen.productivity.negatives import swap_foils
    from crepe_gen.vg.scene import Mention, Scene

    graph = nx.MultiDiGraph(image_id=1)
    people = [(1, "man", "red"), (2, "woman", "blue"), (3, "boy", "green")]
    for object_id, name, colour in people:
        graph.add_node(object_id, name=name, names=[name], synsets=[], attributes=[colour],
                       x=10 * object_id, y=0, w=5, h=5, label=name)
    scene = Scene(tuple(Mention(o, name, (colour,)) for o, name, colour in people), ())
    found = set()
    for seed in range(5):
        positive, foils = swap_foils(graph, scene, None, random.Random(seed), NegativeConfig(), plausibility=_Judge())
        found.add(foils[0][1].rule)
    assert found == {"permute_names"}
    # with no judge, the attribute triple comes first
    rules = {swap_foils(graph, scene, None, random.Random(seed), NegativeConfig())[1][0][1].rule for seed in range(5)}
    assert rules == {"permute_attributes"}


def test_a_swap_of_unlike_names_is_never_offered():
    from crepe_gen.productivity.negatives import swap_slots
    from crepe_gen.vg.scene import Mention, Scene

    scene = Scene((Mention(1, "man", ()), Mention(2, "phone", ()), Mention(3, "woman", ()),
                   Mention(4, "girl", ())), ())
    trios = [slot for kind, slot in swap_slots(scene, random.Random(0)) if kind == "names"]
    assert trios == [(1, 3, 4)]


@pytest.mark.parametrize("above", [0.0, 0.6, 1.0])
def test_atom_foils_sit_above_and_below_the_positive_as_drawn(sample, above):
    from crepe_gen.productivity.negatives import _Collector

    graphs, statistics = sample
    checked = 0
    for graph, positive, foils, scene, _ in rows(sample, "atom")[:8]:
        plausibility = plausibility_scorer(statistics, graph)
        collector = _Collector(graph, scene, render, 5, plausibility, oversample=3, above=above)
        for foil, edit in foils:
            collector.offer(foil, edit)
        collector.found = [(f, e) for f, e in foils] * 1  # the same pool, scored afresh
        collector.wanted = collector.keep = 4
        target = plausibility(scene)
        kept = collector._around_rank()
        ups = sum(plausibility(foils[i][0]) > target for i in kept)
        available = sum(plausibility(f) > target for f, _ in foils)
        downs = len(foils) - available
        expected = min(available, max(4 - downs, round(above * 4)))
        assert ups == expected
        checked += 1
    assert checked


def test_copies_of_a_scene_count_once_in_the_compound_statistics():
    import copy

    graph = next(iter(VisualGenome().scene_graphs()))
    twin = copy.deepcopy(graph)
    twin.graph["image_id"] = 10 ** 9
    sources = {twin.graph["image_id"]: graph.graph["image_id"]}
    once = atom_statistics([graph]).compounds
    assert atom_statistics([graph, twin], sources=sources).compounds == once
    assert atom_statistics([graph, twin]).compounds == {c: 2 * n for c, n in once.items()}
    # so a relation of the scene is not "seen in other images" through its copy
    plausibility = plausibility_scorer(atom_statistics([graph, twin], sources=sources), twin)
    assert not any(plausibility.seen(c) for c in once)
