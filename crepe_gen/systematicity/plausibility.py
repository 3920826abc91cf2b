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

    def __init__(self, compounds: dict, own: frozenset = frozenset(), weights: tuple = (0.6, 0.3, 0.1)):
        self.compounds = compounds
        self.own = own
        self.weights = weights
        self.marginals = collections.Counter()  # ("ta", attribute), ("tr", predicate): summed image counts
        self.totals = collections.Counter()     # by compound kind
        for key, count in compounds.items():
            self.totals[key[0]] += count
            if key[0] == "a":
                self.marginals["ta", key[1]] += count
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
        return CompoundPlausibility(self.compounds, frozenset(graph_compounds(graph)), self.weights)

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
