"""The atom-statistics pass of the productivity stage: what every image's work shares.

One pass over the scene graphs counts, for :class:`AtomStatistics`, the
lexicon (atom counts, :class:`~crepe_gen.language.lexicon.Lexicon`) and in how many
images each compound (object, attribute-object, relation and its halves)
occurs; :func:`plausibility_scorer` turns those image counts into the
plausibility score of a foil scene.

Examples
--------
>>> from crepe_gen.vg.reader import VisualGenome
>>> graphs = list(VisualGenome().scene_graphs())[:20]
>>> statistics = atom_statistics(graphs)
>>> statistics.images, ("o", "man") in statistics.compounds
(20, True)
>>> score = plausibility_scorer(statistics, graphs[0])
>>> score.__name__
'score'
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass, field

from ..language.lexicon import AtomTally, Lexicon, LexiconConfig, predicate_phrase

__all__ = ["AtomStatistics", "atom_statistics", "graph_compounds", "scene_compounds", "plausibility_scorer"]


@dataclass(frozen=True)
class AtomStatistics:
    """Counts over the images read: the lexicon, the number of images and the
    image count of each compound (see :func:`graph_compounds`)."""

    lexicon: Lexicon
    images: int = 0
    compounds: dict = field(default_factory=dict)


def graph_compounds(graph) -> set:
    """The image's compounds: ``("o", name)``, ``("a", attribute, name)``,
    ``("r", subject, predicate, object)``, ``("sp", subject, predicate)``, ``("po", predicate, object)``."""
    found = set()
    nodes = graph._node  # direct access: this runs for every image of VG
    for node in nodes.values():
        name = node["name"]
        found.add(("o", name))
        for attribute in node["attributes"]:
            found.add(("a", attribute, name))
    for subject, neighbours in graph._adj.items():
        for obj, edges in neighbours.items():
            for edge in edges.values():
                found.update(_relation_compounds(nodes[subject]["name"], predicate_phrase(edge["predicate"]),
                                                 nodes[obj]["name"]))
    return found


def scene_compounds(scene) -> list:
    """The compounds of a caption scene, as :func:`graph_compounds` names them (with repeats)."""
    names = {m.object_id: m.name for m in scene.objects}
    found = [("o", m.name) for m in scene.objects]
    found += [("a", a, m.name) for m in scene.objects for a in m.attributes]
    for s, p, o in scene.relations:
        found.extend(_relation_compounds(names[s], p, names[o]))
    return found


def _relation_compounds(subject, predicate, obj):
    return [("r", subject, predicate, obj), ("sp", subject, predicate), ("po", predicate, obj)]


def plausibility_scorer(statistics: AtomStatistics, graph):
    """``scene -> float``: mean log image frequency of the scene's compounds in
    OTHER images (this image's own annotations do not count), a text-only
    measure of how usual a caption's combinations are."""
    own = graph_compounds(graph)
    counts = statistics.compounds

    def score(scene) -> float:
        found = scene_compounds(scene)
        return sum(math.log1p(max(0, counts.get(c, 0) - (c in own))) for c in found) / max(1, len(found))
    return score


def atom_statistics(graphs, config: LexiconConfig = LexiconConfig(), aliases: dict | None = None) -> AtomStatistics:
    """Count atoms (for the lexicon) and image frequencies of compounds over *graphs*.

    *aliases* are the VG folder's alias lines
    (:attr:`crepe_gen.language.names.Canonicalizer.alias_groups`) for the
    lexicon's synonym test.
    """
    tally = AtomTally(aliases)
    compounds = collections.Counter()
    images = 0
    for graph in graphs:
        images += 1
        tally.add(graph)
        compounds.update(graph_compounds(graph))
    return AtomStatistics(tally.lexicon(config), images, dict(compounds))
