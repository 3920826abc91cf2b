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

__all__ = ["same_thing", "object_has_name", "has_attribute", "has_relation", "name_in_image",
           "objects_named", "Statement", "statement_holds"]

log = logging.getLogger(__name__)


_CACHE_KEY = "_truth_cache"


def _memoized(graph: nx.MultiDiGraph, key: tuple, compute):
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
    return _memoized(graph, ("name", object_id, name),
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
    return _memoized(graph, ("attribute", object_id, attribute),
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
    return _memoized(graph, ("relation", subject_id, predicate, object_id),
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
    return _memoized(graph, ("named", name),
                     lambda: tuple(sorted(o for o in graph.nodes if object_has_name(graph, o, name))))


# -- whole statements ---------------------------------------------------------------
@dataclass(frozen=True)
class Statement:
    """A caption's meaning as a small graph pattern.

    ``objects``: ``{key: (name, (attribute, ...))}``; ``relations``:
    ``((subject key, predicate, object key), ...)``; ``absent``: names said
    not to be in the image ("there is no dog").
    """

    objects: dict
    relations: tuple = ()
    absent: tuple = field(default=())


def statement_holds(graph: nx.MultiDiGraph, statement: Statement, among=None) -> bool:
    """Whether some objects of the image make every part of *statement* true.

    With *among* (a set of object ids), only those objects may stand for the
    statement's objects (the objects visible in a crop, see
    :mod:`crepe_gen.vg.crop`); relations and same-box twins are still read
    from the whole graph.

    Searches all assignments of image objects to the statement's objects
    (several statement objects may share one image object, which only makes
    the check more cautious). A statement with an ``absent`` name that is in
    the image does not hold.

    >>> from crepe_gen.vg.graph import build_graph
    >>> graph = build_graph({"image_id": 1, "objects": [
    ...     {"object_id": 1, "names": ["cup"], "synsets": ["cup.n.01"], "x": 0, "y": 0, "w": 2, "h": 2},
    ...     {"object_id": 2, "names": ["table"], "synsets": ["table.n.02"], "x": 0, "y": 2, "w": 9, "h": 9,
    ...      "attributes": ["wooden"]}],
    ...   "relationships": [{"relationship_id": 5, "predicate": "on", "subject_id": 1,
    ...                      "object_id": 2, "synsets": []}]})
    >>> statement_holds(graph, Statement({"a": ("cup", ()), "b": ("table", ("wood",))}, (("a", "on", "b"),)))
    True
    >>> statement_holds(graph, Statement({"a": ("cup", ()), "b": ("table", ())}, (("b", "on", "a"),)))
    False
    >>> statement_holds(graph, Statement({"a": ("cup", ())}, absent=("dog",)))
    True
    """
    if any(name_in_image(graph, name) for name in statement.absent):
        return False
    keys = sorted(statement.objects, key=lambda k: -sum(k in (r[0], r[2]) for r in statement.relations))
    candidates = {}
    for key in keys:
        name, attributes = statement.objects[key]
        candidates[key] = [o for o in objects_named(graph, name)
                           if (among is None or o in among) and all(has_attribute(graph, o, a) for a in attributes)]
        if not candidates[key]:
            return False
    relations = list(statement.relations)

    def extend(index: int, assignment: dict) -> bool:
        if index == len(keys):
            return True
        key = keys[index]
        for object_id in candidates[key]:
            assignment[key] = object_id
            if all(has_relation(graph, assignment[s], p, assignment[o]) for s, p, o in relations
                   if s in assignment and o in assignment and key in (s, o)):
                if extend(index + 1, assignment):
                    return True
            del assignment[key]
        return False

    return extend(0, {})
