"""Sample subgraphs of exact complexity n = objects + attributes + relations.

A subgraph is grown from one object by random moves: add an attribute of a
chosen object (+1), add a relation between two chosen objects (+1), or add a
relation to a new neighbour (+2: the relation and the object). Only atoms a
caption can say are used: attributes of a known category and predicates of a
known class (:mod:`crepe_gen.language.lexicon`), and no two chosen objects share a name
(so every mention is unambiguous). When the image cannot give a connected
subgraph of size n, unconnected objects may be added (``allow_disconnected``).

Every choice draws from a ``random.Random`` seeded by the caller, over sorted
lists, so the same graph and seed always give the same subgraph.

Examples
--------
>>> import random
>>> from crepe_gen.vg.reader import VisualGenome
>>> graph = next(VisualGenome().scene_graphs())
>>> sub = sample_subgraph(graph, 6, random.Random(0))
>>> sub.n, sub.n == sub.n_objects + sub.n_attributes + sub.n_relations
(6, True)
>>> sub == sample_subgraph(graph, 6, random.Random(0))
True
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import networkx as nx

from ..language.fluency import BOUNDARY_WORDS, PSEUDO_OBJECTS
from ..language.lexicon import attribute_category, predicate_class, same_attribute
from ..language.senses import is_lemma, lexical_file, noun_senses

__all__ = ["DEFAULT_ATTEMPTS", "SamplingConfig", "Subgraph", "usable_attributes", "usable_object",
           "usable_name", "usable_relations", "MODES", "sample_subgraph"]

log = logging.getLogger(__name__)

#: Words that make a Visual Genome name more than a noun phrase ("glasses are empty").
_NAME_BREAKS = BOUNDARY_WORDS - {"of", "and"}

#: Attempts to grow a subgraph before giving up on an image and level.
DEFAULT_ATTEMPTS = 30


@dataclass(frozen=True)
class SamplingConfig:
    """``attempts``: growths tried per call; ``allow_disconnected``: whether
    unconnected objects may fill a subgraph the image cannot connect;
    ``max_attributes_per_object``: keeps noun phrases readable."""

    attempts: int = DEFAULT_ATTEMPTS
    allow_disconnected: bool = True
    max_attributes_per_object: int = 3


@dataclass(frozen=True)
class Subgraph:
    """The atoms chosen from one image graph, in the order they were added.

    ``objects``: node ids; ``attributes``: ``(node id, attribute)``;
    ``relations``: ``(subject id, object id, edge key)``.
    """

    image_id: int
    objects: tuple
    attributes: tuple
    relations: tuple

    @property
    def n_objects(self) -> int:
        return len(self.objects)

    @property
    def n_attributes(self) -> int:
        return len(self.attributes)

    @property
    def n_relations(self) -> int:
        return len(self.relations)

    @property
    def n(self) -> int:
        return self.n_objects + self.n_attributes + self.n_relations

    @property
    def key(self) -> tuple:
        """Order-free identity, to keep one image's subgraphs distinct."""
        return (tuple(sorted(self.objects)), tuple(sorted(self.attributes)),
                tuple(sorted(self.relations)))

    @property
    def n_connected_components(self) -> int:
        graph = nx.Graph()
        graph.add_nodes_from(self.objects)
        graph.add_edges_from((s, o) for s, o, _ in self.relations)
        return nx.number_connected_components(graph)


def usable_attributes(graph: nx.MultiDiGraph, object_id) -> list[str]:
    """Attributes of the object a caption can say (of a known category; no
    colour words for people: VG's "white man" rarely means a colour)."""
    node = graph.nodes[object_id]
    person = _is_person(node)
    return sorted(a for a in node["attributes"]
                  if attribute_category(a) and not (person and attribute_category(a) == "colour"))


def _is_person(node: dict) -> bool:
    synsets = node["synsets"] or noun_senses(node["name"])[:1]
    return bool(synsets) and lexical_file(synsets[0]) == "noun.person"


def usable_object(graph: nx.MultiDiGraph, object_id) -> bool:
    """Objects with a box and a plain noun phrase for a name (:func:`usable_name`)."""
    node = graph._node[object_id]
    return node["w"] > 0 and node["h"] > 0 and usable_name(node["name"])


@functools.lru_cache(maxsize=1 << 16)
def usable_name(name: str) -> bool:
    """A name a caption can say: a noun phrase of ASCII words (no verb,
    preposition or article of :data:`~crepe_gen.language.fluency.BOUNDARY_WORDS`
    but "of" and "and") whose last one is a WordNet noun and no Visual Genome
    pseudo-object (:data:`~crepe_gen.language.fluency.PSEUDO_OBJECTS`:
    "scene", "background", "photo" name no thing of their own).

    >>> usable_name("cup of coffee"), usable_name("scene"), usable_name("white background"), usable_name("#1")
    (True, False, False, False)
    >>> usable_name("glasses are empty"), usable_name("man in shirt")
    (False, False)
    """
    words = name.split()
    return bool(words) and name.isascii() and all(w.isalpha() for w in name.replace("-", " ").split()) \
        and words[-1] not in PSEUDO_OBJECTS and not _NAME_BREAKS.intersection(words) and is_lemma(words[-1])


def usable_relations(graph: nx.MultiDiGraph) -> list[tuple]:
    """``(subject, object, key)`` of edges a caption can say, sorted."""
    return sorted((s, o, k) for s, o, k, edge in graph.edges(keys=True, data=True)
                  if predicate_class(edge["predicate"]) and s != o)


#: How unconnected objects may enter a subgraph, by sampling mode.
MODES = {
    "connected": ("never",),                       # connected subgraphs only
    "connected_first": ("never", "when_stuck"),    # unconnected objects only if the image forces it
    "mixed": ("always",),                          # unconnected objects compete with connected moves
}


def sample_subgraph(graph: nx.MultiDiGraph, n: int, rng, config: SamplingConfig = SamplingConfig(),
                    exclude=frozenset(), mode: str = "connected_first") -> Subgraph | None:
    """A random subgraph with exactly *n* atoms, or None when none is found.

    *exclude* holds :attr:`Subgraph.key` values already used for this image.
    *mode* is a key of :data:`MODES`; ``config.allow_disconnected=False``
    makes every mode ``"connected"``.
    """
    objects, by_object, usable = _atoms(graph)
    if not objects:
        return None
    phases = MODES[mode] if config.allow_disconnected else MODES["connected"]
    for lone in phases:
        tries = config.attempts if lone != "when_stuck" else max(1, config.attempts // 2)
        for _ in range(tries):
            found = _grow(graph, n, rng, objects, by_object, usable, config, lone)
            if found is not None and found.key not in exclude:
                return found
    return None


def _atoms(graph: nx.MultiDiGraph) -> tuple[list, dict, dict]:
    """Usable objects and, per object, its usable relations and attributes (memoized on the graph)."""
    cache = graph.graph.get("_sampling_cache")
    if cache is None:
        objects = sorted(o for o in graph.nodes if usable_object(graph, o))
        usable = set(objects)
        by_object: dict = {o: [] for o in objects}
        for relation in usable_relations(graph):
            if relation[0] in usable and relation[1] in usable:
                by_object[relation[0]].append(relation)
                by_object[relation[1]].append(relation)
        attributes = {o: usable_attributes(graph, o) for o in objects}
        cache = graph.graph["_sampling_cache"] = (objects, by_object, attributes)
    return cache


def _fits(graph, object_id, chosen, names) -> bool:
    """A new object must not share a name with, or be the same-box twin of, a chosen one."""
    if graph._node[object_id]["name"] in names:
        return False
    twins = graph.nodes[object_id].get("same_box", ())
    return not any(other in twins for other in chosen)


def _grow(graph, n, rng, objects, by_object, usable, config, lone: str) -> Subgraph | None:
    start = rng.choice(objects)
    chosen = [start]
    names = {graph._node[start]["name"]}
    attributes: list = []
    relations: list = []
    pairs: list = []  # one relation per pair of objects: no "the man has the shirt" twice
    size = 1
    while size < n:
        moves = []
        budget = n - size
        for object_id in chosen:
            held = sum(1 for o, _ in attributes if o == object_id)
            if held < config.max_attributes_per_object:
                for attribute in usable[object_id]:
                    if not any(o == object_id and same_attribute(a, attribute) for o, a in attributes):
                        moves.append(("attribute", (object_id, attribute)))
            for relation in by_object[object_id]:
                if {relation[0], relation[1]} in pairs:
                    continue
                other = relation[1] if relation[0] == object_id else relation[0]
                if other in chosen:
                    if relation[0] == object_id:  # an inner edge is listed once
                        moves.append(("relation", relation))
                elif budget >= 2 and _fits(graph, other, chosen, names):
                    moves.append(("neighbour", relation))
        if lone == "always" or (lone == "when_stuck" and not moves):
            moves += [("object", o) for o in objects if o not in chosen and _fits(graph, o, chosen, names)]
        if not moves:
            return None
        kind, atom = rng.choice(moves)
        if kind == "attribute":
            attributes.append(atom)
            size += 1
        elif kind == "relation":
            relations.append(atom)
            pairs.append({atom[0], atom[1]})
            size += 1
        elif kind == "neighbour":
            other = atom[1] if atom[0] in chosen else atom[0]
            chosen.append(other)
            names.add(graph._node[other]["name"])
            relations.append(atom)
            pairs.append({atom[0], atom[1]})
            size += 2
        else:
            chosen.append(atom)
            names.add(graph._node[atom]["name"])
            size += 1
    return Subgraph(graph.graph["image_id"], tuple(chosen), tuple(attributes), tuple(relations))
