"""Truth checks against a full scene graph: same-box twins, senses, synonyms, symmetry."""

import pytest

from crepe_gen.vg.graph import build_graph
from crepe_gen.vg.truth import (Statement, has_attribute, has_relation, name_in_image,
                             object_has_name, statement_holds)
from crepe_gen.vg.reader import VisualGenome


def _obj(object_id, name, synset, box=(0, 0, 10, 10), attributes=()):
    x, y, w, h = box
    return {"object_id": object_id, "names": [name], "synsets": [synset] if synset else [],
            "x": x, "y": y, "w": w, "h": h, "attributes": list(attributes)}


def _rel(rel_id, subject, predicate, obj):
    return {"relationship_id": rel_id, "predicate": predicate, "subject_id": subject,
            "object_id": obj, "synsets": []}


@pytest.fixture(scope="module")
def graph():
    return build_graph({"image_id": 1, "objects": [
        _obj(1, "man", "man.n.01", (0, 0, 50, 100), ["tall", "Gray"]),
        _obj(2, "guy", "", (0, 0, 50, 100), ["smiling"]),          # same box as 1
        _obj(3, "horse", "horse.n.01", (0, 50, 80, 80), ["light brown"]),
        _obj(4, "shirt", "shirt.n.01", (5, 5, 20, 20), ["white"]),
        _obj(5, "table", "table.n.02", (100, 100, 50, 50)),
        _obj(6, "cup", "cup.n.01", (110, 90, 5, 10)),
        _obj(7, "animal", "animal.n.01", (300, 300, 5, 5)),
    ], "relationships": [
        _rel(10, 2, "RIDING", 3), _rel(11, 1, "wears", 4), _rel(12, 6, "sitting on", 5),
        _rel(13, 5, "next to", 3),
    ]})


def test_names_by_sense_and_twins(graph):
    assert object_has_name(graph, 1, "man")
    assert object_has_name(graph, 1, "guy")            # the same-box twin's name
    assert object_has_name(graph, 1, "person")         # hypernym: never a valid replacement
    assert not object_has_name(graph, 1, "woman")      # co-hyponym: a valid replacement
    assert object_has_name(graph, 7, "dog")            # an animal may be a dog
    assert not object_has_name(graph, 6, "plate")


def test_attributes_synonyms_and_whole_words(graph):
    assert has_attribute(graph, 1, "grey") and has_attribute(graph, 1, "gray")
    assert has_attribute(graph, 1, "smiling")          # from the twin
    assert has_attribute(graph, 3, "brown")            # whole word of "light brown"
    assert has_attribute(graph, 3, "light")            # cautious: any whole word counts
    assert not has_attribute(graph, 4, "red")
    assert not has_attribute(graph, 4, "whit")         # no partial words


def test_relations(graph):
    assert has_relation(graph, 1, "riding", 3)         # through the twin, canonical case
    assert not has_relation(graph, 3, "riding", 1)     # direction matters
    assert has_relation(graph, 1, "wearing", 4)        # wears == wearing
    assert has_relation(graph, 6, "on", 5)             # contained in "sitting on"
    assert not has_relation(graph, 5, "on", 6)
    assert has_relation(graph, 3, "next to", 5)        # symmetric
    assert has_relation(graph, 5, "near", 6)           # weak: any relation counts
    assert not has_relation(graph, 4, "near", 6)


def test_name_in_image(graph):
    assert name_in_image(graph, "horse") and name_in_image(graph, "person")
    assert name_in_image(graph, "dog")                 # the "animal" may be one
    assert not name_in_image(graph, "car")


def test_statement_search_finds_other_embeddings(graph):
    riding = Statement({"a": ("man", ("tall",)), "b": ("horse", ())}, (("a", "riding", "b"),))
    assert statement_holds(graph, riding)
    assert not statement_holds(graph, Statement({"a": ("horse", ()), "b": ("man", ())},
                                                (("a", "riding", "b"),)))
    assert not statement_holds(graph, Statement({"a": ("man", ("short",))}))
    def not_riding(horse_attributes):
        return Statement({"a": ("man", ()), "b": ("horse", horse_attributes)}, (("a", "riding", "b"),),
                         negated=("relation", ("a", "riding", "b")))
    assert not statement_holds(graph, not_riding(("brown",)))
    assert statement_holds(graph, not_riding(()))  # the animal may be a horse no one rides


def test_real_sample_positive_statements_hold():
    for graph in list(VisualGenome().scene_graphs())[:10]:
        for subject, obj, edge in graph.edges(data=True):
            assert has_relation(graph, subject, edge["predicate"], obj)
            names = {"s": (graph.nodes[subject]["name"], graph.nodes[subject]["attributes"]),
                     "o": (graph.nodes[obj]["name"], graph.nodes[obj]["attributes"])}
            assert statement_holds(graph, Statement(names, (("s", edge["predicate"], "o"),)))
