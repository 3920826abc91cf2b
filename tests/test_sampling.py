"""Subgraph sampling: exact complexity, connectivity, distinctness, determinism."""

import random

import pytest

from crepe_gen.language.lexicon import attribute_category, predicate_class
from crepe_gen.language.fluency import PSEUDO_OBJECTS
from crepe_gen.productivity.sampling import SamplingConfig, sample_subgraph, usable_name
from crepe_gen.vg.graph import build_graph
from crepe_gen.vg.reader import VisualGenome


@pytest.fixture(scope="module")
def graphs():
    return list(VisualGenome().scene_graphs())[:25]


@pytest.mark.parametrize("n", range(4, 13))
def test_exact_complexity_and_usable_atoms(graphs, n):
    found = 0
    for graph in graphs:
        sub = sample_subgraph(graph, n, random.Random(n))
        if sub is None:
            continue
        found += 1
        assert sub.n == n == sub.n_objects + sub.n_attributes + sub.n_relations
        names = [graph.nodes[o]["name"] for o in sub.objects]
        assert len(set(names)) == len(names)                     # every mention unambiguous
        assert all(attribute_category(a) for _, a in sub.attributes)
        for s, o, k in sub.relations:
            assert s in sub.objects and o in sub.objects
            assert predicate_class(graph.edges[s, o, k]["predicate"])
        pairs = [frozenset((s, o)) for s, o, _ in sub.relations]
        assert len(set(pairs)) == len(pairs)                     # one relation per pair
    assert found >= len(graphs) // 2


def test_connected_when_the_image_allows(graphs):
    connected = [sample_subgraph(g, 7, random.Random(1), mode="connected") for g in graphs]
    for sub in filter(None, connected):
        assert sub.n_connected_components == 1
    default = [sample_subgraph(g, 7, random.Random(1)) for g in graphs]
    assert sum(s.n_connected_components == 1 for s in filter(None, default)) >= \
        sum(1 for s in connected if s is not None)


def test_no_duplicate_subgraph_and_seeded(graphs):
    graph = graphs[0]
    used = set()
    for _ in range(10):
        sub = sample_subgraph(graph, 5, random.Random(len(used)), exclude=used)
        assert sub is not None and sub.key not in used
        used.add(sub.key)
    assert sample_subgraph(graph, 9, random.Random(3)) == sample_subgraph(graph, 9, random.Random(3))


def test_too_small_and_empty_graphs_give_none():
    empty = build_graph({"image_id": 5, "objects": [], "relationships": []})
    assert sample_subgraph(empty, 4, random.Random(0)) is None
    tiny = build_graph({"image_id": 6, "objects": [
        {"object_id": 1, "names": ["cup"], "synsets": [], "x": 0, "y": 0, "w": 3, "h": 3,
         "attributes": ["white"]}], "relationships": []})
    assert sample_subgraph(tiny, 4, random.Random(0)) is None
    assert sample_subgraph(tiny, 2, random.Random(0)).n == 2
    assert sample_subgraph(tiny, 2, random.Random(0), SamplingConfig(allow_disconnected=False)).n == 2


def test_pseudo_objects_are_never_sampled():
    objects = [{"object_id": i, "names": [name], "synsets": [], "x": 10 * i, "y": 0, "w": 9, "h": 9, "attributes": []}
               for i, name in enumerate(["cup", "scene", "table", "background", "white background", "plate"], 1)]
    relations = [{"relationship_id": 10 + i, "predicate": "in", "subject_id": s, "object_id": o, "synsets": []}
                 for i, (s, o) in enumerate([(1, 2), (3, 2), (1, 4), (6, 5), (1, 3)])]
    graph = build_graph({"image_id": 1, "objects": objects, "relationships": relations})
    names = set()
    for seed in range(40):
        sub = sample_subgraph(graph, 3, random.Random(seed), mode="mixed")
        names.update(graph.nodes[o]["name"] for o in (sub.objects if sub else ()))
    assert names == {"cup", "table", "plate"}
    assert all(not usable_name(name) for name in PSEUDO_OBJECTS)
