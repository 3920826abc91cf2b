"""Is a statement true of an image? Checks against the image's FULL scene graph.

A negative caption is only useful when it is false for its image. These
checks answer "does the graph say this holds, or can it not rule it out?",
so a caption they call false is false by every reading of the annotation:

* an object is the same thing as the objects listed in its ``same_box``
  (Visual Genome often annotates one thing twice, under two names);
* names compare canonically and by WordNet sense (:func:`crepe_gen.language.senses.name_may_denote`):
  a ``man`` is a ``person``, and an ``animal`` may be a ``dog``; so
  ``person`` is never a replacement that makes a caption about a man false;
* attributes compare with their synonyms (``grey``/``gray``) and whole words
  (a ``light brown`` object is ``brown``);
* predicates compare with their synonyms and contained phrases (``on`` holds
  when ``sitting on`` does); symmetric ones (``next to``) hold both ways, and
  weak ones (``near``, ``has``) hold whenever the two objects are related at all.

Names, attributes and predicates passed in are canonical (as in the graph,
see :mod:`crepe_gen.language.names`).

Examples
--------
>>> from crepe_gen.vg.graph import build_graph
>>> graph = build_graph({"image_id": 1, "objects": [
...     {"object_id": 1, "names": ["man"], "synsets": ["man.n.01"], "x": 0, "y": 0, "w": 9, "h": 9,
...      "attributes": ["tall"]},
...     {"object_id": 2, "names": ["horse"], "synsets": ["horse.n.01"], "x": 0, "y": 5, "w": 9, "h": 9,
...      "attributes": ["brown"]},
...     {"object_id": 3, "names": ["guy"], "synsets": [], "x": 0, "y": 0, "w": 9, "h": 9}],
...   "relationships": [{"relationship_id": 5, "predicate": "riding", "subject_id": 3,
...                      "object_id": 2, "synsets": []}]})
>>> object_has_name(graph, 1, "person"), object_has_name(graph, 1, "woman")
(True, False)
>>> has_attribute(graph, 2, "brown"), has_attribute(graph, 2, "white")
(True, False)
>>> has_relation(graph, 1, "riding", 2), has_relation(graph, 2, "riding", 1)
(True, False)
>>> name_in_image(graph, "horse"), name_in_image(graph, "dog")
(True, False)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import networkx as nx

from ..language.lexicon import is_symmetric, is_weak, same_attribute, same_predicate
from ..language.senses import name_may_denote, noun_senses
from ..language.names import normalize

__all__ = ["memoized", "same_thing", "object_has_name", "has_attribute", "has_relation", "name_in_image",
           "objects_named", "Statement", "statement_holds"]

log = logging.getLogger(__name__)


_CACHE_KEY = "_truth_cache"


def memoized(graph: nx.MultiDiGraph, key: tuple, compute):
    """The answer to *key* for *graph*, computed once (answers are kept in the
    graph's attributes; graphs are not changed after loading, so they stay valid)."""
    cache = graph.graph.get(_CACHE_KEY)
    if cache is None:
        cache = graph.graph[_CACHE_KEY] = {}
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def same_thing(graph: nx.MultiDiGraph, object_id) -> tuple:
    """*object_id* followed by the ids of objects with exactly its box."""
    return (object_id, *graph.nodes[object_id].get("same_box", ()))


def _object_synsets(node: dict) -> tuple[str, ...]:
    if node["synsets"]:
        return tuple(node["synsets"])
    return tuple(senses[0] for senses in map(noun_senses, node["names"]) if senses)


def object_has_name(graph: nx.MultiDiGraph, object_id, name: str) -> bool:
    """Whether the object may be called *name* (any of its names, its
    same-box twins' names, or a hypernym/hyponym of their senses)."""
    return memoized(graph, ("name", object_id, name),
                    lambda: _object_has_name(graph, object_id, normalize(name)))


def _object_has_name(graph, object_id, name: str) -> bool:
    for twin in same_thing(graph, object_id):
        node = graph.nodes[twin]
        if name in node["names"] or name == node["label"]:
            return True
        if name_may_denote(name, _object_synsets(node)):
            return True
    return False


def has_attribute(graph: nx.MultiDiGraph, object_id, attribute: str) -> bool:
    """Whether the object (or a same-box twin) has *attribute*, a synonym of
    it, or an attribute containing it as a whole word."""
    return memoized(graph, ("attribute", object_id, attribute),
                    lambda: _has_attribute(graph, object_id, normalize(attribute)))


def _has_attribute(graph, object_id, attribute: str) -> bool:
    words = attribute.split()
    for twin in same_thing(graph, object_id):
        for held in graph.nodes[twin]["attributes"]:
            if same_attribute(held, attribute):
                return True
            held_words = held.split()
            if any(held_words[i:i + len(words)] == words for i in range(len(held_words))):
                return True
    return False


def has_relation(graph: nx.MultiDiGraph, subject_id, predicate: str, object_id) -> bool:
    """Whether ``subject predicate object`` holds between the two objects
    (or their same-box twins); see the module docstring for the matching rules."""
    return memoized(graph, ("relation", subject_id, predicate, object_id),
                    lambda: _has_relation(graph, subject_id, predicate, object_id))


def _has_relation(graph, subject_id, predicate: str, object_id) -> bool:
    subjects, objects = same_thing(graph, subject_id), same_thing(graph, object_id)
    both_ways = is_symmetric(predicate) or is_weak(predicate)
    for subject in subjects:
        for obj in objects:
            for _, edge in graph.get_edge_data(subject, obj, default={}).items():
                if is_weak(predicate) or same_predicate(edge["predicate"], predicate):
                    return True
            if both_ways:
                for _, edge in graph.get_edge_data(obj, subject, default={}).items():
                    if is_weak(predicate) or same_predicate(edge["predicate"], predicate):
                        return True
    return False


def name_in_image(graph: nx.MultiDiGraph, name: str) -> bool:
    """Whether some object of the image may be called *name*."""
    return bool(objects_named(graph, name))


def objects_named(graph: nx.MultiDiGraph, name: str) -> tuple:
    """Ids of the objects that may be called *name*, sorted."""
    return memoized(graph, ("named", name),
                    lambda: tuple(sorted(o for o in graph.nodes if object_has_name(graph, o, name))))


# -- whole statements ---------------------------------------------------------------
@dataclass(frozen=True)
class Statement:
    """A caption's meaning as a small graph pattern.

    ``objects``: ``{key: (name, (attribute, ...))}``; ``relations``:
    ``((subject key, predicate, object key), ...)``; ``negated``: the one
    atom the caption denies (empty: none), ``("object", key)`` (that object,
    with its attributes and relations, is not there), ``("attribute", key,
    attribute)`` or ``("relation", (subject key, predicate, object key))``.
    """

    objects: dict
    relations: tuple = ()
    negated: tuple = field(default=())


def statement_holds(graph: nx.MultiDiGraph, statement: Statement, among=None, witnesses=None) -> bool:
    """Whether some objects of the image make every part of *statement* true.

    With *among* (a set of object ids), only those objects may stand for the
    statement's objects (the objects visible in a crop, see
    :mod:`crepe_gen.vg.crop`); relations and same-box twins are still read
    from the whole graph.

    Searches all assignments of image objects to the statement's objects
    (several statement objects may share one image object, which only makes
    the check more cautious). A negated atom must fail for the assignment: a
    negated attribute or relation is not held by the assigned objects, and no
    object of *witnesses* (default: every object) fits a negated object
    (its name, its attributes and its relations to the assigned objects).

    >>> from crepe_gen.vg.graph import build_graph
    >>> graph = build_graph({"image_id": 1, "objects": [
    ...     {"object_id": 1, "names": ["cup"], "synsets": ["cup.n.01"], "x": 0, "y": 0, "w": 2, "h": 2},
    ...     {"object_id": 2, "names": ["table"], "synsets": ["table.n.02"], "x": 0, "y": 2, "w": 9, "h": 9,
    ...      "attributes": ["wooden"]}],
    ...   "relationships": [{"relationship_id": 5, "predicate": "on", "subject_id": 1,
    ...                      "object_id": 2, "synsets": []}]})
    >>> cup_on_table = Statement({"a": ("cup", ()), "b": ("table", ("wood",))}, (("a", "on", "b"),))
    >>> statement_holds(graph, cup_on_table)
    True
    >>> statement_holds(graph, Statement({"a": ("cup", ()), "b": ("table", ())}, (("b", "on", "a"),)))
    False
    >>> from dataclasses import replace
    >>> statement_holds(graph, replace(cup_on_table, negated=("relation", ("a", "on", "b"))))
    False
    >>> statement_holds(graph, replace(cup_on_table, negated=("attribute", "b", "red")))
    True
    >>> statement_holds(graph, Statement({"a": ("cup", ()), "d": ("dog", ())}, negated=("object", "d")))
    True
    """
    kind = statement.negated[0] if statement.negated else None
    objects = dict(statement.objects)
    relations = list(statement.relations)
    denied = None
    if kind == "object":
        key = statement.negated[1]
        denied = (key, objects.pop(key), [r for r in relations if key in (r[0], r[2])])
        relations = [r for r in relations if key not in (r[0], r[2])]
        focus = {end for s, _, o in denied[2] for end in (s, o)} - {key}
    elif kind == "attribute":
        _, key, attribute = statement.negated
        name, attributes = objects[key]
        objects[key] = (name, tuple(a for a in attributes if a != attribute))
        focus = {key}
    elif kind == "relation":
        relations.remove(tuple(statement.negated[1]))
        focus = {statement.negated[1][0], statement.negated[1][2]}
    else:
        focus = set()

    def accept(assignment: dict) -> bool:
        if kind == "attribute":
            return not has_attribute(graph, assignment[statement.negated[1]], statement.negated[2])
        if kind == "relation":
            s, p, o = statement.negated[1]
            return not has_relation(graph, assignment[s], p, assignment[o])
        if kind == "object":
            return not _object_fits(graph, denied, assignment, witnesses)
        return True

    # Parts of the caption that share no relation are assigned independently: only
    # the part the denial touches needs every assignment tried, the others one each
    # (so "five windows and a door" does not cost windows to the fifth power).
    parts = _connected_parts(objects, relations)
    focused = {k for part in parts if part & focus for k in part}
    for part in parts:
        if not part & focused and next(_assignments(graph, _only(objects, part), _within(relations, part),
                                                    among), None) is None:
            return False
    return any(accept(assignment) for assignment in _assignments(
        graph, _only(objects, focused), _within(relations, focused), among))


def _connected_parts(objects: dict, relations: list) -> list[set]:
    """The keys of *objects* grouped by the relations that join them."""
    joined = nx.Graph()
    joined.add_nodes_from(objects)
    joined.add_edges_from((s, o) for s, _, o in relations)
    return list(nx.connected_components(joined))


def _only(objects: dict, keys: set) -> dict:
    return {k: v for k, v in objects.items() if k in keys}


def _within(relations: list, keys: set) -> list:
    return [r for r in relations if r[0] in keys and r[2] in keys]


def _object_fits(graph, denied, assignment: dict, witnesses) -> bool:
    """Whether some object of *witnesses* (None: all) fits the denied object."""
    key, (name, attributes), relations = denied
    for object_id in objects_named(graph, name):
        if witnesses is not None and object_id not in witnesses:
            continue
        if all(has_attribute(graph, object_id, a) for a in attributes) and all(
                has_relation(graph, object_id if s == key else assignment[s], p,
                             object_id if o == key else assignment[o]) for s, p, o in relations):
            return True
    return False


def _assignments(graph, objects: dict, relations: list, among):
    """Every assignment ``{key: object id}`` of image objects to *objects* that makes
    their names, attributes and *relations* hold (lazily; relations are tested
    as soon as both ends are assigned)."""
    keys = sorted(objects, key=lambda k: -sum(k in (r[0], r[2]) for r in relations))
    candidates = {}
    for key in keys:
        name, attributes = objects[key]
        candidates[key] = [o for o in objects_named(graph, name)
                           if (among is None or o in among) and all(has_attribute(graph, o, a) for a in attributes)]
        if not candidates[key]:
            return

    def extend(index: int, assignment: dict):
        if index == len(keys):
            yield dict(assignment)
            return
        key = keys[index]
        for object_id in candidates[key]:
            assignment[key] = object_id
            if all(has_relation(graph, assignment[s], p, assignment[o]) for s, p, o in relations
                   if s in assignment and o in assignment and key in (s, o)):
                yield from extend(index + 1, assignment)
            del assignment[key]

    yield from extend(0, {})
