"""How plausible a caption's compounds are, from Visual Genome's compound
statistics in other images (:class:`CompoundPlausibility`).

A pretrained language model finds the positive among recombinations such as
"a computer sitting at a man" or replacements such as "a purple carpet is
parked" because they describe scenes it has rarely read about. The same
signal is in how many scene graphs annotate each compound (image counts of
:func:`crepe_gen.productivity.weights.graph_compounds`, counted in the
stage's one pass over the graphs). A caption's plausibility is the sum, over
its attribute-object and subject-relation-object compounds, of the
compound's log-probability interpolated with backoffs (the relation with its
subject, or with its object, times the other object's frequency; then the
atoms' own frequencies), plus the log-frequency of each object in no
compound. The image the caption is about does not count (:meth:`scorer`
leaves its graph out), so a positive is not more plausible for being
annotated in its own image. It scores compounds from counts, a few
dictionary look-ups each: cheap at full scale, and unlike the audit's
language-model attacker, which scores whole captions.

Examples
--------
>>> from crepe_gen.vg.reader import VisualGenome
>>> graphs = list(VisualGenome().scene_graphs())
>>> model = CompoundPlausibility.of_graphs(graphs)
>>> model.relation("man", "wearing", "shirt") > model.relation("shirt", "wearing", "man")
True
>>> model.attribute("blue", "sky") > model.attribute("blue", "man")
True
"""

from __future__ import annotations

import collections
import math

from ..language.lexicon import attribute_category
from ..language.senses import lexical_file
from ..productivity.weights import graph_compounds

__all__ = ["CompoundPlausibility"]


class CompoundPlausibility:
    """Log-plausibility of compounds and captions under image counts of compounds.

    Parameters
    ----------
    compounds : dict
        ``{compound: images}`` as :func:`~crepe_gen.productivity.weights.graph_compounds`
        names them (``("o", name)``, ``("a", attribute, name)``,
        ``("r", subject, predicate, object)``, ``("sp", ...)``, ``("po", ...)``).
    own : set
        Compounds of the image left out (each counts one image less).
    weights : tuple
        Interpolation weights of a relation compound's estimates: the
        compound itself, its subject-relation and relation-object halves,
        the atoms alone. An attribute compound gives the halves' weight to
        the compound.
    """

    #: An attribute fits an object it is not seen with when the object (or a co-hyponym) is seen
    #: with this many values of the attribute's category: a property that varies in its kind.
    varied = 3

    def __init__(self, compounds: dict, own: frozenset = frozenset(), weights: tuple = (0.6, 0.3, 0.1),
                 _shared: tuple | None = None):
        self.compounds = compounds
        self.own = own
        self.weights = weights
        if _shared is not None:  # a scorer: the counts' sums, computed once
            self.marginals, self.totals, self.attributes_of = _shared
            return
        self.marginals = collections.Counter()  # ("ta", attribute), ("tr", predicate): summed image counts
        self.totals = collections.Counter()     # by compound kind
        self.attributes_of = collections.defaultdict(list)  # object name: its attributes, by category
        for key, count in compounds.items():
            self.totals[key[0]] += count
            if key[0] == "a":
                self.marginals["ta", key[1]] += count
                self.attributes_of[key[2]].append(key[1])
            elif key[0] == "r":
                self.marginals["tr", key[2]] += count

    @classmethod
    def of_graphs(cls, graphs) -> "CompoundPlausibility":
        """Image counts of the compounds of *graphs* (scene graphs)."""
        counts = collections.Counter()
        for graph in graphs:
            counts.update(graph_compounds(graph))
        return cls(dict(counts))

    def scorer(self, graph) -> "CompoundPlausibility":
        """The same counts with *graph*'s image left out."""
        return CompoundPlausibility(self.compounds, frozenset(graph_compounds(graph)), self.weights,
                                    (self.marginals, self.totals, self.attributes_of))

    def _count(self, key) -> int:
        return max(0, self.compounds.get(key, 0) - (key in self.own))

    def _object(self, name: str) -> float:
        return (self._count(("o", name)) + 1) / (self.totals["o"] + len(self.compounds) + 1)

    def _marginal(self, kind: str, name: str, total: str) -> float:
        own = sum(1 for key in self.own if key[0] == total and key[1 if kind == "ta" else 2] == name)
        return (max(0, self.marginals[kind, name] - own) + 1) / (self.totals[total] + len(self.compounds) + 1)

    def attribute(self, attribute: str, obj: str) -> float:
        """Log-plausibility of the attribute-object compound."""
        alone = self.weights[2]
        seen = self._count(("a", attribute, obj)) / max(self.totals["a"], 1)
        return math.log((1 - alone) * seen + alone * self._marginal("ta", attribute, "a") * self._object(obj))

    def relation(self, subject: str, relation: str, obj: str) -> float:
        """Log-plausibility of the subject-relation-object compound."""
        whole, pairs, alone = self.weights
        total = max(self.totals["r"], 1)
        seen = self._count(("r", subject, relation, obj)) / total
        paired = (self._count(("sp", subject, relation)) * self._object(obj)
                  + self._count(("po", relation, obj)) * self._object(subject)) / (2 * total)
        atoms = self._object(subject) * self._marginal("tr", relation, "r") * self._object(obj)
        return math.log(whole * seen + pairs * paired + alone * atoms)

    def admits(self, edited, positive, lexicon) -> bool:
        """Whether every attribute-object and subject-relation-object compound
        that *edited* states and *positive* does not is seen in other images,
        each object name as itself or as one of its co-hyponyms
        (:meth:`~crepe_gen.language.lexicon.Lexicon.kin` of *lexicon*).

        An attribute moves only to an object it is said of, or to an artefact
        whose kind is seen in :attr:`varied` values of the attribute's
        category: things are made in many colours and materials ("a white
        desk" from a desk seen brown, black and grey), natural things and
        people are not ("a red man", "a brick street"); no colour moves onto a
        person (it would name the skin). A relation is
        reversed only where the reversed relation is seen whole ("a napkin on
        a fork" needs some napkin on some fork). Halves of a relation are not
        enough: "a vase in a flower" has "a vase in" (water) and "in a
        flower" (a bee).

        >>> from crepe_gen.vg.reader import VisualGenome
        >>> from crepe_gen.language.lexicon import AtomTally, LexiconConfig
        >>> from crepe_gen.systematicity.captions import Caption, Slot
        >>> graphs = list(VisualGenome().scene_graphs())
        >>> tally = AtomTally()
        >>> for graph in graphs:
        ...     tally.add(graph)
        >>> lexicon, model = tally.lexicon(LexiconConfig()), CompoundPlausibility.of_graphs(graphs)
        >>> def caption(s, r, o):
        ...     slots = [Slot(s, "object", s), Slot(r, "relation", r), Slot(o, "object", o)]
        ...     return Caption(slots, [], [tuple(slots)])
        >>> usual, reversed_ = caption("man", "wearing", "shirt"), caption("shirt", "wearing", "man")
        >>> model.admits(usual, reversed_, lexicon), model.admits(reversed_, usual, lexicon)
        (True, False)
        """
        for kind, *names in edited.statements() - positive.statements():
            test = self._seen_with_kin.get(kind)
            if test is not None and not test(self, lexicon, *names):
                return False
        return True

    def _attribute_seen(self, lexicon, attribute: str, obj: str) -> bool:
        category, kind = attribute_category(attribute), lexical_file(lexicon.object_synset(obj) or "")
        if category == "colour" and kind == "noun.person":
            return False  # a garment's colour moved onto its wearer names the skin ("a brown man has shoes")
        names = lexicon.kin(obj)
        if any(self._count(("a", attribute, name)) for name in names):
            return True
        if category is None or kind != "noun.artifact":
            return False
        values = {value for name in names for value in self.attributes_of.get(name, ())
                  if attribute_category(value) == category and self._count(("a", value, name))}
        return len(values) >= self.varied

    def _relation_seen(self, lexicon, subject: str, relation: str, obj: str) -> bool:
        objects = lexicon.kin(obj)
        return any(self._count(("r", name, relation, other)) for name in lexicon.kin(subject) for other in objects)

    #: The test of each kind of statement a recombination may make anew (an object alone always passes).
    _seen_with_kin = {"attribute_compound": _attribute_seen, "relation_compound": _relation_seen}

    def score(self, caption) -> float:
        """Log-plausibility of a :class:`~crepe_gen.systematicity.captions.Caption`:
        its compounds' and its objects' in no compound."""
        total, inside = 0.0, set()
        for a, o in caption.attribute_compounds:
            total += self.attribute(a.name, o.name)
            inside.update((id(a), id(o)))
        for s, r, o in caption.relation_compounds:
            total += self.relation(s.name, r.name, o.name)
            inside.update((id(s), id(r), id(o)))
        for slot in caption.atoms():
            if slot.kind == "object" and id(slot) not in inside:
                total += math.log(self._object(slot.name))
        return round(total, 9)
