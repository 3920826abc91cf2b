"""The scene-graph model: one ``networkx.MultiDiGraph`` per image (or region).

Graph attributes
    ``image_id`` (int), ``width``/``height`` (ints or None), ``folder``
    (``"VG_100K"``, ``"VG_100K_2"`` or None), ``dropped_self_relations``
    (the raw relationship records removed by the self-relation rule below).
    Graphs read by :class:`~crepe_gen.vg.reader.VisualGenome` also carry
    ``image_path`` (the JPEG, or None without images) and ``scale``; when the
    JPEG's size differs from image_data.json's, boxes and ``width``/``height``
    are the JPEG's and ``annotated_size`` keeps image_data.json's size.
Nodes: one per VG object, keyed by ``object_id``
    ``name``: canonical name of the first name (see :mod:`crepe_gen.language.names`);
    ``label``: that name normalized but not aliased, for captions;
    ``names``/``raw_names``: all names, canonical and as in the file;
    ``synsets``: WordNet synset names (may be empty);
    ``x``, ``y``, ``w``, ``h``: the box in image pixels;
    ``attributes``/``raw_attributes``: canonical (deduplicated, order kept)
    and raw attribute strings; empty when the file has no ``attributes`` key;
    ``same_box``: ids of other objects with exactly the same box (VG often
    annotates one thing twice; checks of truth must look at both).
Edges: one per relationship, ``subject -> object``, keyed by ``relationship_id``
    ``predicate`` (canonical), ``label`` (normalized, not aliased),
    ``raw_predicate``, ``synsets``, ``relationship_id``, ``duplicate_ids``.
    Several edges between one pair are allowed (``man -holding-> cup`` and
    ``man -near-> cup``); edges keep the order of the file.

Rules for VG's quirks
    * A relationship from an object to itself is dropped; its record is kept
      in ``graph.graph["dropped_self_relations"]``.
    * Duplicate triples (same subject, canonical predicate and object) become
      one edge: the one with the lowest id, whose ``duplicate_ids`` lists the
      others.
    * Names and attributes that are empty after normalization are dropped; an
      object left with no name is a bad record, and so is one whose box holds
      a NaN or infinite value or a negative size
      (:func:`~crepe_gen.vg.geometry.box_fault`). A zero width or height is
      kept: VG has a few such boxes, and the stages that crop count them.

:func:`graph_to_vg` turns a graph back into a VG-shaped record, and
``build_graph(graph_to_vg(g))`` equals ``g``.

Examples
--------
>>> record = {"image_id": 7, "objects": [
...     {"object_id": 1, "names": ["Man "], "x": 0, "y": 0, "w": 10, "h": 20,
...      "synsets": ["man.n.01"], "attributes": ["tall"]},
...     {"object_id": 2, "names": ["shirt"], "x": 2, "y": 2, "w": 5, "h": 5, "synsets": []}],
...   "relationships": [{"relationship_id": 9, "predicate": "WEARING",
...     "subject_id": 1, "object_id": 2, "synsets": ["wear.v.01"]}]}
>>> g = build_graph(record)
>>> g.nodes[1]["name"], g.nodes[1]["attributes"], g.edges[1, 2, 9]["predicate"]
('man', ('tall',), 'wearing')
>>> build_graph(graph_to_vg(g)).nodes(data=True) == g.nodes(data=True)
True
"""

from __future__ import annotations

import json

import networkx as nx

from ..core.errors import InputError, Problems
from ..language.names import Canonicalizer
from .geometry import box_fault

__all__ = ["build_graph", "image_folder", "graph_to_vg", "union_box"]

_DEFAULT_CANON = Canonicalizer()
_NUMBER_TYPES = frozenset((int, float))
_INF = float("inf")
#: The keys of a VG object's box, in the order of a box tuple.
_BOX_KEYS = ("x", "y", "w", "h")


def build_graph(record: dict, *, canon: Canonicalizer | None = None,
                problems: Problems | None = None, path="scene_graphs.json",
                index: int | None = None, image: dict | None = None) -> nx.MultiDiGraph:
    """Build the graph of one ``scene_graphs.json`` record.

    *image* is the matching ``image_data.json`` entry (size and folder), if any.
    Bad objects and relationships are reported to *problems*: strict mode
    raises :class:`InputError`, lenient mode skips the record part and counts it.
    """
    canon = canon or _DEFAULT_CANON
    problems = problems or Problems()
    if not isinstance(record, dict):
        raise InputError(path, f"record is {type(record).__name__}, expected an object", index=index)
    image_id = record.get("image_id", record.get("id"))
    if type(image_id) is not int:
        raise InputError(path, "record has no integer image_id", index=index)

    def bad(reason: str, what: str | None = None):
        problems.report(InputError(path, reason, index=index, image_id=image_id, record=what))

    image = image or {}
    graph = _new_graph()
    graph.graph.update(image_id=image_id, width=image.get("width"), height=image.get("height"),
                       folder=image_folder(image.get("url")), dropped_self_relations=[])
    # The graph is filled through networkx's own dicts (as add_node/add_edge do
    # for a fresh graph): this loop runs millions of times at full scale.
    nodes, succ, pred = graph._node, graph._succ, graph._pred
    object_names, attribute_lists, predicate_label = canon.object_names, canon.attributes, canon.predicate_label
    boxes: dict[tuple, int] = {}
    shared_boxes = []
    for obj in _list(record, "objects", bad):
        # Fast path for a well-formed object; anything unusual goes through
        # _object_node, which handles VG's variants and reports bad records.
        try:
            object_id = obj["object_id"]
            found = object_names(obj["names"])
            box = (obj["x"], obj["y"], obj["w"], obj["h"])
        except (KeyError, TypeError):
            found = None
        if (found is None or type(object_id) is not int or type(box[0]) not in _NUMBER_TYPES
                or type(box[1]) not in _NUMBER_TYPES or type(box[2]) not in _NUMBER_TYPES
                or type(box[3]) not in _NUMBER_TYPES):
            checked = _object_node(obj, canon, bad)
            if checked is None:
                continue
            object_id, node, box = checked
        elif (not (-_INF < box[0] < _INF and -_INF < box[1] < _INF and 0 <= box[2] < _INF and 0 <= box[3] < _INF)
              and _bad_box(object_id, box, bad)):  # (comparisons with NaN are false)
            continue
        else:
            names, label, raw_names = found
            attributes, raw_attributes = attribute_lists(raw := obj.get("attributes"))
            if raw and len(raw_attributes) != len(raw):
                _bad_attributes(object_id, raw, bad)
            synsets = obj.get("synsets")
            node = {"name": names[0], "label": label, "names": names, "raw_names": raw_names,
                    "synsets": tuple(synsets) if synsets else (),
                    "x": box[0], "y": box[1], "w": box[2], "h": box[3],
                    "attributes": attributes, "raw_attributes": raw_attributes, "same_box": ()}
        if object_id in nodes:
            bad("duplicate object_id", f"object {object_id}")
            continue
        nodes[object_id] = node
        succ[object_id] = {}
        pred[object_id] = {}
        if boxes.setdefault(box, object_id) != object_id:
            shared_boxes.append(box)
    if shared_boxes:
        _mark_same_boxes(nodes, shared_boxes)

    kept: dict[tuple, dict] = {}  # (subject, predicate, object) -> edge data
    seen_ids = set()
    for rel in _list(record, "relationships", bad):
        try:
            rel_id, subject, obj = rel["relationship_id"], rel["subject_id"], rel["object_id"]
            found = predicate_label(rel["predicate"])
            good = found is not None and type(rel_id) is int and subject in nodes and obj in nodes
        except (KeyError, TypeError):
            good = False
        if good:
            predicate, label = found
        else:
            checked = _relationship(rel, nodes, canon, bad)
            if checked is None:
                continue
            rel_id, subject, obj, predicate, label = checked
        if subject == obj:
            graph.graph["dropped_self_relations"].append(rel)
            continue
        if rel_id in seen_ids:
            bad("duplicate relationship_id", f"relationship {rel_id}")
            continue
        seen_ids.add(rel_id)
        triple = (subject, predicate, obj)
        edge = kept.get(triple)
        if edge is not None and rel_id > edge["relationship_id"]:
            edge["duplicate_ids"].append(rel_id)
            edge["duplicate_ids"].sort()
            continue
        synsets = rel.get("synsets")
        data = {"predicate": predicate, "label": label, "raw_predicate": rel["predicate"],
                "synsets": tuple(synsets) if synsets else (), "relationship_id": rel_id,
                "duplicate_ids": []}
        keys = succ[subject].get(obj)
        if edge is None:
            if keys is None:
                keys = succ[subject][obj] = pred[obj][subject] = {}
        else:
            # The lowest id stands for the triple, in the place of the one it replaces.
            del keys[edge["relationship_id"]]
            data["duplicate_ids"] = sorted(edge["duplicate_ids"] + [edge["relationship_id"]])
        keys[rel_id] = kept[triple] = data
    return graph


def _new_graph() -> nx.MultiDiGraph:
    """An empty ``MultiDiGraph``. ``MultiDiGraph()`` first asks networkx's backend
    dispatcher which backend should create it (about 8 us, a tenth of building a
    whole image graph); the graphs here are always plain networkx ones."""
    graph = object.__new__(nx.MultiDiGraph)
    nx.MultiDiGraph.__init__(graph)
    return graph


def _mark_same_boxes(nodes: dict, shared_boxes: list) -> None:
    groups: dict[tuple, list] = {box: [] for box in shared_boxes}
    for object_id, node in nodes.items():
        group = groups.get((node["x"], node["y"], node["w"], node["h"]))
        if group is not None:
            group.append(object_id)
    for ids in groups.values():
        for object_id in ids:
            nodes[object_id]["same_box"] = tuple(i for i in ids if i != object_id)


def _list(record: dict, key: str, bad) -> list:
    value = record.get(key)
    if type(value) is list:
        return value
    if value is None:
        return []
    bad(f"'{key}' is {type(value).__name__}, expected a list")
    return []


def _object_node(obj, canon: Canonicalizer, bad) -> tuple[int, dict, tuple] | None:
    """``(object_id, node attributes, box)`` of a VG object, or None when it is bad."""
    # Subscripts in try blocks: faster than .get() for keys that are almost always there.
    if type(obj) is not dict:
        bad("object is not a JSON object")
        return None
    try:
        object_id = obj["object_id"]
    except KeyError:
        object_id = obj.get("id")
    if type(object_id) is not int:
        bad("object has no integer object_id")
        return None
    try:
        raw_names = obj["names"]
    except KeyError:
        raw_names = obj.get("name")  # v1.2 objects carry a single name
    found = canon.object_names(raw_names)
    if found is None:
        bad("object has no name", f"object {object_id}")
        return None
    try:
        box = (obj["x"], obj["y"], obj["w"], obj["h"])
    except KeyError:
        box = (None,)
    for value in box:
        if type(value) not in _NUMBER_TYPES:
            bad("object has no box (x, y, w, h)", f"object {object_id}")
            return None
    if _bad_box(object_id, box, bad):
        return None
    names, label, raw_names = found
    attributes, raw_attributes = canon.attributes(raw := obj.get("attributes"))
    if raw and len(raw_attributes) != len(raw):
        _bad_attributes(object_id, raw, bad)
    synsets = obj.get("synsets")
    return object_id, {"name": names[0], "label": label, "names": names, "raw_names": raw_names,
                       "synsets": tuple(synsets) if synsets else (),
                       "x": box[0], "y": box[1], "w": box[2], "h": box[3],
                       "attributes": attributes, "raw_attributes": raw_attributes,
                       "same_box": ()}, box


def _bad_attributes(object_id, raw, bad) -> None:
    """Report an ``attributes`` value that is not a list of strings (lenient: its strings are kept)."""
    if type(raw) is not list:
        bad(f"'attributes' is {type(raw).__name__}, expected a list", f"object {object_id}")
        return
    value = next(a for a in raw if type(a) is not str)
    bad("attribute is not a string", f"object {object_id} (attribute {json.dumps(value)})")


def _bad_box(object_id, box: tuple, bad) -> bool:
    """Report an object whose box is no box (NaN, infinite, negative size); True if it was."""
    fault = box_fault(box)
    if fault is None:
        return False
    position, reason = fault
    bad(reason, f"object {object_id} ({_BOX_KEYS[position]} {box[position]})")
    return True


def _relationship(rel, nodes: dict, canon: Canonicalizer, bad) -> tuple | None:
    """``(id, subject, object, predicate, label)``, or None when bad."""
    if type(rel) is not dict:
        bad("relationship is not a JSON object")
        return None
    try:
        rel_id, subject, obj, raw = (rel["relationship_id"], rel["subject_id"], rel["object_id"],
                                     rel["predicate"])
    except KeyError:
        rel_id, subject, obj, raw = (rel.get("relationship_id"), rel.get("subject_id"),
                                     rel.get("object_id"), rel.get("predicate"))
    if type(rel_id) is not int:
        bad("relationship has no integer relationship_id", f"relationship {rel_id}")
        return None
    for end in (subject, obj):
        if type(end) is not int or end not in nodes:
            bad("relationship points at a missing object", f"relationship {rel_id} -> object {end}")
            return None
    found = canon.predicate_label(raw)
    if found is None:
        bad("relationship has no predicate", f"relationship {rel_id}")
        return None
    return rel_id, subject, obj, found[0], found[1]


def image_folder(url) -> str | None:
    """``"VG_100K"`` or ``"VG_100K_2"`` from an image URL, else None."""
    if not isinstance(url, str):
        return None
    parts = url.rstrip("/").split("/")
    return parts[-2] if len(parts) >= 2 and parts[-2].startswith("VG_100K") else None


def graph_to_vg(graph: nx.MultiDiGraph) -> dict:
    """The VG ``scene_graphs.json`` record of *graph* (raw strings kept)."""
    objects = []
    for object_id, node in graph.nodes(data=True):
        obj = {"object_id": object_id, "names": list(node["raw_names"]),
               "synsets": list(node["synsets"]),
               "x": node["x"], "y": node["y"], "w": node["w"], "h": node["h"]}
        if node["raw_attributes"]:
            obj["attributes"] = list(node["raw_attributes"])
        objects.append(obj)
    relationships = []
    for subject, obj, rel_id, edge in graph.edges(keys=True, data=True):
        for any_id in [rel_id, *edge["duplicate_ids"]]:
            relationships.append({"relationship_id": any_id, "predicate": edge["raw_predicate"],
                                  "synsets": list(edge["synsets"]),
                                  "subject_id": subject, "object_id": obj})
    relationships.extend(graph.graph.get("dropped_self_relations", []))
    return {"image_id": graph.graph["image_id"], "objects": objects, "relationships": relationships}


def union_box(graph: nx.MultiDiGraph, object_ids) -> tuple[float, float, float, float]:
    """``(x, y, width, height)`` of the smallest box holding the given objects.

    >>> g = nx.MultiDiGraph()
    >>> g.add_node(1, x=0, y=0, w=10, h=10); g.add_node(2, x=5, y=5, w=10, h=20)
    >>> union_box(g, [1, 2])
    (0.0, 0.0, 15.0, 25.0)
    """
    boxes = [graph.nodes[i] for i in object_ids]
    left = min(b["x"] for b in boxes)
    top = min(b["y"] for b in boxes)
    right = max(b["x"] + b["w"] for b in boxes)
    bottom = max(b["y"] + b["h"] for b in boxes)
    return float(left), float(top), float(right - left), float(bottom - top)
