"""Truth of caption statements for one image (:class:`ImageFacts`, memoized
checks of :mod:`crepe_gen.vg.truth` against the image's full scene graph).

Truth at the region's crop (:mod:`crepe_gen.vg.crop`): a negative's
statements are objects, attribute-object pairs and relations, none of them
"there is no X"; one that no object of the whole image makes true is false
whichever objects of the crop are read as visible, so checking against the
full graph is the cautious reading of the crop rule, and objects outside the
crop can only keep a statement from counting as false, never make it so.
"""

from __future__ import annotations

from ..vg import truth
from .captions import Caption

__all__ = ["ImageFacts", "false_statements"]


class ImageFacts:
    """Truth checks by name against one image's full scene graph (memoized)."""

    def __init__(self, graph):
        self.graph = graph
        self._ids: dict[str, tuple] = {}
        self._answers: dict[tuple, bool] = {}

    def ids(self, name: str) -> tuple:
        """Objects of the image that may be called *name*."""
        if name not in self._ids:
            self._ids[name] = tuple(i for i in sorted(self.graph.nodes)
                                    if truth.object_has_name(self.graph, i, name))
        return self._ids[name]

    def is_false(self, statement: tuple) -> bool:
        """Whether the scene graph rules *statement* out (see :meth:`Caption.statements`)."""
        if statement not in self._answers:
            self._answers[statement] = not self._holds(statement)
        return self._answers[statement]

    def _holds(self, statement: tuple) -> bool:
        kind, graph = statement[0], self.graph
        if kind == "object":
            return bool(self.ids(statement[1]))
        if kind == "attribute_compound":
            return any(truth.has_attribute(graph, i, statement[1]) for i in self.ids(statement[2]))
        _, subject, relation, obj = statement
        return any(truth.has_relation(graph, s, relation, o)
                   for s in self.ids(subject) for o in self.ids(obj) if s != o)


def false_statements(facts: ImageFacts, positive: Caption, negative: Caption) -> list[tuple]:
    """The statements of *negative* that *positive* lacks and the image rules out."""
    new = sorted(negative.statements() - positive.statements())
    return [statement for statement in new if facts.is_false(statement)]
