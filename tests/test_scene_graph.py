"""The graph model and its rules for Visual Genome's quirks (DESIGN.md section 4)."""

from __future__ import annotations

import pytest

from crepe_gen.core.errors import InputError, Problems
from crepe_gen.language.names import Canonicalizer
from crepe_gen.vg.graph import build_graph, graph_to_vg, image_folder, union_box
from crepe_gen.vg.reader import VisualGenome


def obj(object_id, *names, x=0, y=0, w=10, h=10, **extra):
    return {"object_id": object_id, "names": list(names), "synsets": extra.pop("synsets", ["x.n.01"]),
            "x": x, "y": y, "w": w, "h": h, **extra}


def rel(rel_id, subject, predicate, target, synsets=("on.r.01",)):
    return {"relationship_id": rel_id, "predicate": predicate, "synsets": list(synsets),
            "subject_id": subject, "object_id": target}


def graph_of(objects, relationships=(), **kwargs):
    return build_graph({"image_id": 5, "objects": objects, "relationships": list(relationships)}, **kwargs)


def test_missing_attributes_key_gives_empty_attributes():
    g = graph_of([obj(1, "man"), obj(2, "shirt", attributes=["red"])])
    assert g.nodes[1]["attributes"] == () and g.nodes[1]["raw_attributes"] == ()
    assert g.nodes[2]["attributes"] == ("red",)


def test_upper_case_and_spaces_are_folded_raw_strings_kept():
    g = graph_of([obj(1, "Red  Car ", attributes=["Framed ", " WHITE", "white"]), obj(2, "ROAD")],
                 [rel(3, 1, "  ON ", 2)])
    node = g.nodes[1]
    assert node["name"] == "red car" and node["label"] == "red car"
    assert node["raw_names"] == ("Red  Car ",)
    assert node["attributes"] == ("framed", "white")
    assert node["raw_attributes"] == ("Framed ", " WHITE", "white")
    edge = g.edges[1, 2, 3]
    assert (edge["predicate"], edge["label"], edge["raw_predicate"]) == ("on", "on", "  ON ")


def test_several_names_per_object():
    g = graph_of([obj(1, "Man", "person", "man ")])
    assert g.nodes[1]["name"] == "man"
    assert g.nodes[1]["names"] == ("man", "person")
    assert g.nodes[1]["raw_names"] == ("Man", "person", "man ")


def test_v12_single_name_and_v10_ids():
    record = {"id": 9, "objects": [{"id": 1, "name": "dog", "x": 1, "y": 2, "w": 3, "h": 4}]}
    g = build_graph(record)
    assert g.graph["image_id"] == 9 and g.nodes[1]["name"] == "dog" and g.nodes[1]["synsets"] == ()


def test_empty_synsets():
    g = graph_of([obj(1, "sky", synsets=[]), obj(2, "cloud")], [rel(3, 2, "in", 1, synsets=())])
    assert g.nodes[1]["synsets"] == () and g.edges[2, 1, 3]["synsets"] == ()


def test_duplicate_boxes_with_different_ids_are_linked_by_same_box():
    g = graph_of([obj(1, "man", x=5, y=5), obj(2, "person", x=5, y=5), obj(3, "guy", x=5, y=5),
                  obj(4, "hat", x=0, y=0)])
    assert g.nodes[1]["same_box"] == (2, 3)
    assert g.nodes[2]["same_box"] == (1, 3)
    assert g.nodes[4]["same_box"] == ()


def test_duplicate_triples_become_one_edge_with_the_lowest_id():
    g = graph_of([obj(1, "man"), obj(2, "cup", x=3)],
                 [rel(30, 1, "holding", 2), rel(10, 1, "HOLDING ", 2), rel(20, 1, "holding", 2),
                  rel(40, 1, "near", 2)])
    assert sorted(g.edges(keys=True)) == [(1, 2, 10), (1, 2, 40)]
    assert g.edges[1, 2, 10]["duplicate_ids"] == [20, 30]
    assert g.edges[1, 2, 10]["raw_predicate"] == "HOLDING "
    assert g.edges[1, 2, 40]["duplicate_ids"] == []


def test_several_edges_between_one_pair_and_both_directions():
    g = graph_of([obj(1, "man"), obj(2, "cup", x=3)],
                 [rel(1, 1, "holding", 2), rel(2, 1, "near", 2), rel(3, 2, "near", 1)])
    assert g.number_of_edges(1, 2) == 2 and g.number_of_edges(2, 1) == 1
    assert {d["predicate"] for _, _, d in g.out_edges(1, data=True)} == {"holding", "near"}
    assert list(g.predecessors(2)) == [1]


def test_self_relation_is_dropped_and_kept_aside():
    self_rel = rel(7, 1, "has", 1)
    g = graph_of([obj(1, "man")], [self_rel])
    assert g.number_of_edges() == 0
    assert g.graph["dropped_self_relations"] == [self_rel]


def test_typos_kept_and_non_ascii_names():
    g = graph_of([obj(1, "beahc"), obj(2, "Café", x=1), obj(3, "ｔｅｅ", x=2), obj(4, "Ñandú", x=3)])
    assert [g.nodes[i]["name"] for i in (1, 2, 3, 4)] == ["beahc", "café", "tee", "ñandú"]


def test_aliases_apply_to_name_not_label():
    canon = Canonicalizer(object_aliases={"guy": "man"}, predicate_aliases={"next to": "near"})
    g = graph_of([obj(1, "Guy"), obj(2, "car", x=2)], [rel(3, 1, "next  to", 2)], canon=canon)
    assert (g.nodes[1]["name"], g.nodes[1]["label"]) == ("man", "guy")
    assert (g.edges[1, 2, 3]["predicate"], g.edges[1, 2, 3]["label"]) == ("near", "next to")


@pytest.mark.parametrize("bad_object, reason", [
    ({"object_id": 2, "names": [], "x": 0, "y": 0, "w": 1, "h": 1}, "object has no name"),
    ({"object_id": 2, "names": [" ", "."], "x": 0, "y": 0, "w": 1, "h": 1}, "object has no name"),
    ({"object_id": 2, "x": 0, "y": 0, "w": 1, "h": 1}, "object has no name"),
    ({"object_id": 2, "names": ["cat"], "x": "0", "y": 0, "w": 1, "h": 1}, "object has no box (x, y, w, h)"),
    ({"names": ["cat"], "x": 0, "y": 0, "w": 1, "h": 1}, "object has no integer object_id"),
    ("cat", "object is not a JSON object"),
])
def test_bad_object_strict_raises_lenient_skips(bad_object, reason):
    objects = [obj(1, "man"), bad_object]
    with pytest.raises(InputError) as info:
        build_graph({"image_id": 5, "objects": objects}, path="sg.json", index=4)
    message = str(info.value)
    assert message.startswith("sg.json: image #4 (id 5)") and message.endswith(reason)
    assert "\n" not in message
    problems = Problems(lenient=True)
    g = build_graph({"image_id": 5, "objects": objects}, problems=problems)
    assert list(g) == [1] and problems.counts == {reason: 1}


@pytest.mark.parametrize("bad_rel, reason", [
    (rel(9, 1, "on", 99), "relationship points at a missing object"),
    (rel(9, 99, "on", 1), "relationship points at a missing object"),
    (rel(9, 1, " ", 2), "relationship has no predicate"),
    (rel(9, 1, None, 2), "relationship has no predicate"),
    (rel(None, 1, "on", 2), "relationship has no integer relationship_id"),
    (rel(8, 1, "under", 2), "duplicate relationship_id"),
])
def test_bad_relationship_strict_raises_lenient_skips(bad_rel, reason):
    record = {"image_id": 5, "objects": [obj(1, "man"), obj(2, "cup")],
              "relationships": [rel(8, 1, "holding", 2), bad_rel]}
    with pytest.raises(InputError, match=f"image #0 \\(id 5\\).*{reason}"):
        build_graph(record, index=0)
    problems = Problems(lenient=True)
    g = build_graph(record, problems=problems)
    assert list(g.edges(keys=True)) == [(1, 2, 8)] and problems.total == 1


def test_missing_object_message_names_the_relationship_and_object():
    record = {"image_id": 5, "objects": [obj(1, "man")], "relationships": [rel(9, 1, "on", 99)]}
    with pytest.raises(InputError) as info:
        build_graph(record, path="scene_graphs.json", index=2)
    assert str(info.value) == ("scene_graphs.json: image #2 (id 5): relationship 9 -> object 99: "
                               "relationship points at a missing object")


def test_duplicate_object_id_is_a_bad_record():
    with pytest.raises(InputError, match="duplicate object_id"):
        graph_of([obj(1, "man"), obj(1, "dog")])


def test_record_without_image_id():
    with pytest.raises(InputError, match="no integer image_id"):
        build_graph({"objects": []})
    with pytest.raises(InputError, match="record is list"):
        build_graph([])


def test_image_size_and_folder_from_image_data():
    image = {"image_id": 5, "width": 800, "height": 600, "url": "http://example/a/VG_100K_2/5.jpg"}
    g = graph_of([obj(1, "man")], image=image)
    assert (g.graph["width"], g.graph["height"], g.graph["folder"]) == (800, 600, "VG_100K_2")
    assert image_folder("x/VG_100K/1.jpg") == "VG_100K" and image_folder(None) is None


def test_union_box():
    g = graph_of([obj(1, "a", x=10, y=20, w=5, h=5), obj(2, "b", x=0, y=30, w=4, h=10)])
    assert union_box(g, [1, 2]) == (0.0, 20.0, 15.0, 20.0)


def _same_graph(a, b):
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert list(a.edges(keys=True, data=True)) == list(b.edges(keys=True, data=True))


def test_graph_to_vg_round_trip_on_every_sample_image():
    vg = VisualGenome()
    images = vg.images()
    graphs = list(vg.scene_graphs())
    assert len(graphs) == 100
    for g in graphs:
        record = graph_to_vg(g)
        again = build_graph(record, canon=vg.canon, image=images[g.graph["image_id"]])
        _same_graph(g, again)
        extra = {"image_path", "scale"}
        assert {k: v for k, v in g.graph.items() if k not in extra} == again.graph
        # every annotated relationship comes back, merged or dropped
        assert graph_to_vg(again) == record


def test_round_trip_keeps_duplicates_and_self_relations():
    g = graph_of([obj(1, "man"), obj(2, "cup", x=3)],
                 [rel(30, 1, "holding", 2), rel(10, 1, "holding", 2), rel(5, 2, "has", 2)])
    record = graph_to_vg(g)
    assert sorted(r["relationship_id"] for r in record["relationships"]) == [5, 10, 30]
    _same_graph(build_graph(record), g)
