"""The scene-graph model: one ``networkx.MultiDiGraph`` per image (or region).

Graph attributes
    ``image_id`` (int), ``width``/``height`` (ints or None), ``folder``
    (``"VG_100K"``, ``"VG_100K_2"`` or None), ``dropped_self_relations``
    (the raw relationship records removed by the self-relation rule below).
Nodes: one per VG object, keyed by ``object_id``
    ``name``: canonical name of the first name (see :mod:`crepe_gen.names`);
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
    ``man -near-> cup``).

Rules for VG's quirks
    * A relationship from an object to itself is dropped; its record is kept
      in ``graph.graph["dropped_self_relations"]``.
    * Duplicate triples (same subject, canonical predicate and object) become
      one edge: the one with the lowest id, whose ``duplicate_ids`` lists the
      others.
    * Names and attributes that are empty after normalization are dropped; an
      object left with no name is a bad record.

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

import networkx as nx

from .errors import InputError, Problems
from .names import Canonicalizer, normalize

_DEFAULT_CANON = Canonicalizer()


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
    if not isinstance(image_id, int):
        raise InputError(path, "record has no integer image_id", index=index)

    def bad(reason: str, what: str | None = None):
        problems.report(InputError(path, reason, index=index, image_id=image_id, record=what))

    image = image or {}
    graph = nx.MultiDiGraph(image_id=image_id, width=image.get("width"), height=image.get("height"),
                            folder=image_folder(image.get("url")), dropped_self_relations=[])
    nodes = graph._node  # direct access: this loop runs millions of times at full scale
    boxes: dict[tuple, list[int]] = {}
    for obj in _list(record, "objects", bad):
        node = _object_node(obj, canon, bad)
        if node is None:
            continue
        object_id = node.pop("object_id")
        if object_id in nodes:
            bad("duplicate object_id", f"object {object_id}")
            continue
        graph.add_node(object_id, **node)
        boxes.setdefault((node["x"], node["y"], node["w"], node["h"]), []).append(object_id)
    for ids in boxes.values():
        if len(ids) > 1:
            for object_id in ids:
                nodes[object_id]["same_box"] = tuple(i for i in ids if i != object_id)

    triples: dict[tuple, int] = {}
    edges = sorted((r for r in _list(record, "relationships", bad) if isinstance(r, dict)),
                   key=lambda r: (r.get("relationship_id") is None, r.get("relationship_id") or 0))
    for rel in edges:
        rel_id = rel.get("relationship_id")
        what = f"relationship {rel_id}"
        subject, obj = rel.get("subject_id"), rel.get("object_id")
        raw = rel.get("predicate")
        if not isinstance(rel_id, int):
            bad("relationship has no integer relationship_id", what)
            continue
        if subject not in nodes or obj not in nodes:
            missing = subject if subject not in nodes else obj
            bad("relationship points at a missing object", f"{what} -> object {missing}")
            continue
        if not isinstance(raw, str) or not normalize(raw):
            bad("relationship has no predicate", what)
            continue
        if subject == obj:
            graph.graph["dropped_self_relations"].append(rel)
            continue
        predicate = canon.predicate(raw)
        key = (subject, predicate, obj)
        if key in triples:
            graph.edges[subject, obj, triples[key]]["duplicate_ids"].append(rel_id)
            continue
        triples[key] = rel_id
        graph.add_edge(subject, obj, key=rel_id, predicate=predicate, label=normalize(raw),
                       raw_predicate=raw, synsets=tuple(rel.get("synsets") or ()),
                       relationship_id=rel_id, duplicate_ids=[])
    return graph


def _list(record: dict, key: str, bad) -> list:
    value = record.get(key, [])
    if isinstance(value, list):
        return value
    bad(f"'{key}' is {type(value).__name__}, expected a list")
    return []


def _object_node(obj, canon: Canonicalizer, bad) -> dict | None:
    if not isinstance(obj, dict):
        bad("object is not a JSON object")
        return None
    object_id = obj.get("object_id", obj.get("id"))
    what = f"object {object_id}"
    if not isinstance(object_id, int):
        bad("object has no integer object_id")
        return None
    raw_names = obj.get("names")
    if raw_names is None and "name" in obj:  # v1.2 objects carry a single name
        raw_names = [obj["name"]]
    if isinstance(raw_names, str):
        raw_names = [raw_names]
    raw_names = [n for n in (raw_names or []) if isinstance(n, str) and normalize(n)]
    if not raw_names:
        bad("object has no name", what)
        return None
    box = [obj.get(k) for k in ("x", "y", "w", "h")]
    if not all(isinstance(v, (int, float)) for v in box):
        bad("object has no box (x, y, w, h)", what)
        return None
    raw_attributes = [a for a in (obj.get("attributes") or []) if isinstance(a, str)]
    attributes = dict.fromkeys(canon.attribute(a) for a in raw_attributes)
    attributes.pop("", None)
    names = tuple(dict.fromkeys(canon.object(n) for n in raw_names))
    return {"object_id": object_id, "name": names[0], "label": normalize(raw_names[0]),
            "names": names, "raw_names": tuple(raw_names),
            "synsets": tuple(obj.get("synsets") or ()),
            "x": box[0], "y": box[1], "w": box[2], "h": box[3],
            "attributes": tuple(attributes), "raw_attributes": tuple(raw_attributes),
            "same_box": ()}


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
