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
>>> plausibility = plausibility_scorer(statistics, graphs[0])
>>> plausibility.seen(("o", "man")) <= statistics.compounds[("o", "man")]
True
"""

from __future__ import annotations

import collections
import itertools
import math
from dataclasses import dataclass, field

from ..language.lexicon import AtomTally, Lexicon, LexiconConfig, predicate_phrase

__all__ = ["AtomStatistics", "Plausibility", "atom_statistics", "graph_compounds", "graph_cooccurrences",
           "scene_compounds", "scene_cooccurrences",
           "plausibility_scorer"]


@dataclass(frozen=True)
class AtomStatistics:
    """Counts over the images read: the lexicon, the number of images and the
    image count of each compound (see :func:`graph_compounds`)."""

    lexicon: Lexicon
    images: int = 0
    compounds: dict = field(default_factory=dict)


def graph_compounds(graph) -> set:
    """The image's compounds: ``("o", name)``, ``("a", attribute, name)``,
    ``("r", subject, predicate, object)``, ``("sp", subject, predicate)`` and ``("po", predicate, object)``."""
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
                names = nodes[subject]["name"], nodes[obj]["name"]
                predicate = predicate_phrase(edge["predicate"])
                found.update(_relation_compounds(names[0], predicate, names[1]))
    return found


def graph_cooccurrences(graph) -> set:
    """The image's pairs of object names, ``("co", name, name)`` in name order:
    what a reader knows of which things are found together (a keyboard with a
    monitor, not a knife)."""
    return set(_name_pairs(node["name"] for node in graph._node.values()))


def scene_cooccurrences(scene) -> list:
    """The pairs of different object names of a caption scene, as :func:`graph_cooccurrences` names them."""
    return _name_pairs(m.name for m in scene.objects)


def _name_pairs(names) -> list:
    return [("co", a, b) for a, b in itertools.combinations(sorted(set(names)), 2)]


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


class Plausibility:
    """A text-only plausibility score of caption scenes, from the atom and
    compound statistics of OTHER images (this image's own annotations do not
    count for compounds).

    ``plausibility(scene)`` adds, over the scene's words (object names,
    attributes, predicates), the log frequency of the word less
    ``extra_word_cost`` for every word of it past the first ("tennis racket"
    costs more to say than "racket"), and ``compound_weight`` times, over its
    compounds of two or more atoms (:func:`scene_compounds`), the log image
    frequency of the compound in other images, and ``context_weight`` times,
    summed over its objects, the mean log image frequency (in other images) of
    the object's name together with each other name it mentions
    (:func:`scene_cooccurrences`: "no knife" beside a monitor and a mouse is
    the unusual thing to deny). That is how a pretrained
    language model tends to judge a caption: usual, short words in usual
    combinations. Cheap (dictionary look-ups), so it runs for every candidate
    at full scale; it never reads whole captions.

    >>> from crepe_gen.vg.reader import VisualGenome
    >>> from crepe_gen.vg.scene import Mention, Scene
    >>> graphs = list(VisualGenome().scene_graphs())[:40]
    >>> plausibility = Plausibility(atom_statistics(graphs), graphs[0])
    >>> usual = Scene((Mention(1, "man", ()), Mention(2, "shirt", ())), ((1, "wearing", 2),))
    >>> odd = Scene((Mention(1, "shirt", ()), Mention(2, "man", ())), ((1, "wearing", 2),))
    >>> plausibility(usual) > plausibility(odd), plausibility.possible("man", "wearing", "shirt")
    (True, True)
    >>> plausibility.possible("shirt", "wearing", "man")
    False
    """

    extra_word_cost = 0.5
    compound_weight = 0.5
    context_weight = 0.5

    def __init__(self, statistics: AtomStatistics, graph):
        self.own = graph_compounds(graph) | graph_cooccurrences(graph)
        self.counts = statistics.compounds
        self.lexicon = lexicon = statistics.lexicon
        self._words = {"o": lexicon.object_counts, "a": lexicon.attribute_counts, "p": lexicon.predicate_counts}

    def seen(self, compound: tuple) -> int:
        """In how many other images *compound* occurs."""
        return max(0, self.counts.get(compound, 0) - (compound in self.own))

    def possible(self, subject: str, predicate: str, obj: str) -> bool:
        """Whether a relation of these names is seen in other images, whole or
        as both halves, each half said of the name or of one of its co-hyponyms
        (:meth:`~crepe_gen.language.lexicon.Lexicon.object_candidates`): "a
        man walking on a street" makes "a woman walking on a sidewalk"
        possible, but no "a man walking on a wastebasket" or "a man wearing
        a cpu". Foils whose relations are never seen are the ones a language
        model spots (:meth:`admits`)."""
        if self.seen(("r", subject, predicate, obj)):
            return True
        return any(self.seen(("sp", name, predicate)) for name in self.lexicon.kin(subject)) and \
            any(self.seen(("po", predicate, name)) for name in self.lexicon.kin(obj))

    def attested(self, subject: str, predicate: str, obj: str) -> bool:
        """Whether the relation is seen whole in other images, each name as
        itself or as one of its co-hyponyms: stricter than :meth:`possible`,
        whose halves admit "a building is in a window" from "a building in
        the background" and "a man in a window"."""
        objects = self.lexicon.kin(obj)
        return any(self.seen(("r", name, predicate, other)) for name in self.lexicon.kin(subject) for other in objects)

    def attested_candidates(self, candidates, scene) -> int:
        """How many of *candidates* state anew only :meth:`attested` relations."""
        before = set(scene_compounds(scene))
        return sum(all(self.attested(*c[1:]) for c in set(scene_compounds(candidate)) - before if c[0] == "r")
                   for candidate in candidates)

    def attribute_possible(self, attribute: str, name: str) -> bool:
        """Whether *attribute* is seen said of *name*, or of one of its co-hyponyms, in other images."""
        return any(self.seen(("a", attribute, kin)) for kin in self.lexicon.kin(name))

    def admits(self, candidate, scene) -> bool:
        """Whether every relation and every attribute binding that *candidate*
        states and *scene* does not is :meth:`possible` (:meth:`attribute_possible`):
        a swap's re-bound names ("a parked sidewalk"), an atom foil's new
        name, attribute or predicate.

        >>> from crepe_gen.vg.reader import VisualGenome
        >>> from crepe_gen.vg.scene import Mention, Scene
        >>> graphs = list(VisualGenome().scene_graphs())[:40]
        >>> plausibility = Plausibility(atom_statistics(graphs), graphs[0])
        >>> scene = Scene((Mention(1, "man", ()), Mention(2, "shirt", ())), ((1, "wearing", 2),))
        >>> swapped = Scene((Mention(1, "shirt", ()), Mention(2, "man", ())), ((1, "wearing", 2),))
        >>> plausibility.admits(scene, scene), plausibility.admits(swapped, scene)
        (True, False)
        """
        said_anew = set(scene_compounds(candidate)) - set(scene_compounds(scene))
        return all(self._possible_compound[c[0]](self, *c[1:]) for c in said_anew if c[0] in self._possible_compound)

    #: The test of each kind of compound a foil may say anew (the halves of a new relation are
    #: judged with it, a name alone always passes).
    _possible_compound = {"r": possible, "a": attribute_possible}

    def word_score(self, kind: str, word: str) -> float:
        """The log frequency of an atom word of *kind* (``o``, ``a``, ``p``), less
        ``extra_word_cost`` per word past its first."""
        return math.log1p(self._words[kind].get(word, 0)) - self.extra_word_cost * word.count(" ")

    def __call__(self, scene) -> float:
        words = [self.word_score("o", m.name) for m in scene.objects]
        words += [self.word_score("a", a) for m in scene.objects for a in m.attributes]
        words += [self.word_score("p", p) for _, p, _ in scene.relations]
        compounds = [math.log1p(self.seen(c)) for c in scene_compounds(scene) if c[0] != "o"]
        pairs = [math.log1p(self.seen(c)) for c in scene_cooccurrences(scene)]
        context = sum(pairs) / max(1, len(scene.objects) - 1)  # each object's mean fit, summed
        return sum(words) + self.compound_weight * sum(compounds) + self.context_weight * context


def plausibility_scorer(statistics: AtomStatistics, graph) -> Plausibility:
    """The :class:`Plausibility` score of caption scenes of the image *graph*."""
    return Plausibility(statistics, graph)


def atom_statistics(graphs, config: LexiconConfig = LexiconConfig(), aliases: dict | None = None,
                    sources: dict | None = None) -> AtomStatistics:
    """Count atoms (for the lexicon) and image frequencies of compounds over *graphs*.

    *aliases* are the VG folder's alias lines
    (:attr:`crepe_gen.language.names.Canonicalizer.alias_groups`) for the
    lexicon's synonym test. *sources* (``{image id: source image id}``,
    :meth:`crepe_gen.vg.reader.VisualGenome.image_sources`): compounds are
    counted once per source scene, so the copies of a scene never make its
    own compounds look seen elsewhere.
    """
    tally = AtomTally(aliases)
    compounds = collections.Counter()
    images = 0
    counted = set()
    for graph in graphs:
        images += 1
        tally.add(graph)
        image_id = graph.graph["image_id"]
        source = sources.get(image_id, image_id) if sources else image_id
        if source not in counted:
            counted.add(source)
            compounds.update(graph_compounds(graph) | graph_cooccurrences(graph))
    return AtomStatistics(tally.lexicon(config), images, dict(compounds))
