"""What a caption states about an image's scene graph: :class:`Scene`,
:class:`Mention` and the :class:`Edit` that made a foil.

A :class:`Scene` is the structured meaning of one caption: object mentions
(graph node id, canonical name, attributes), relations between them as
``(subject id, predicate, object id)`` and at most one *negated* atom, denied
in place ("a man is not wearing a hat", "a hat that is not red", "there is
no cup"). The productivity set renders scenes into captions
(:mod:`crepe_gen.productivity.captions`) and edits them into foils
(:mod:`crepe_gen.productivity.negatives`), each foil with its :class:`Edit`
(as is each systematicity foil, :mod:`crepe_gen.systematicity.negatives`); the
LLM pass checks that a fluent sentence states exactly its scene
(:mod:`crepe_gen.llm.validate`). Rows' provenance holds :meth:`Scene.to_dict`.

Examples
--------
>>> scene = Scene.build({2: "hat", 1: "man"}, [(2, "red")], [(1, "wearing", 2)])
>>> scene.objects[0], scene.mention(2).attributes
(Mention(object_id=1, name='man', attributes=()), ('red',))
>>> scene.facts()
'man; red hat; man wearing hat'
>>> scene.negating(("relation", 0)).facts()
'man; red hat; man not wearing hat'
>>> scene.negating(("object", 2)).facts()
'man; no red hat; man wearing no hat'
>>> Scene.from_dict(scene.negating(("attribute", 2, "red")).to_dict()).facts()
'man; hat not red; man wearing hat'

>>> Edit("atom", "replace_attribute", (2,), ("red",), ("blue",)).to_dict()["new"]
['blue']
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .truth import Statement

__all__ = ["ATOM_KINDS", "Edit", "Mention", "Scene"]

#: The kinds of atom a scene may negate, as the first item of its ``negated`` reference:
#: ``("object", object id)``, ``("attribute", object id, attribute)``, ``("relation", relation index)``.
ATOM_KINDS = ("object", "attribute", "relation")


@dataclass(frozen=True)
class Mention:
    """One object of a caption: its graph node id, canonical name and attributes."""

    object_id: int
    name: str
    attributes: tuple = ()


@dataclass(frozen=True)
class Scene:
    """What a caption says. ``objects``: :class:`Mention` records in the order
    the caption introduces them; ``relations``: ``(subject id, predicate,
    object id)``; ``negated``: the one atom the caption denies, as a reference
    of :data:`ATOM_KINDS` (empty: none). A negated object is denied with its
    attributes and its relation, so it takes part in at most one relation."""

    objects: tuple
    relations: tuple = ()
    negated: tuple = ()

    @classmethod
    def build(cls, objects: dict, attributes=(), relations=(), negated=()) -> "Scene":
        """From ``{id: name}``, ``[(id, attribute)]``, ``[(subject, predicate, object)]``
        and a negated atom reference; objects in id order."""
        held: dict[int, list[str]] = {i: [] for i in objects}
        for object_id, attribute in attributes:
            held[object_id].append(attribute)
        return cls(tuple(Mention(i, name, tuple(held[i])) for i, name in sorted(objects.items())),
                   tuple(tuple(r) for r in relations), tuple(negated))

    def negating(self, atom: tuple) -> "Scene":
        """The same scene with *atom* (a reference of :data:`ATOM_KINDS`) denied."""
        return replace(self, negated=tuple(atom))

    def negated_object(self):
        """The id of the negated object, or None."""
        return self.negated[1] if self.negated[:1] == ("object",) else None

    def negated_relation(self):
        """The index of the negated relation, or None."""
        return self.negated[1] if self.negated[:1] == ("relation",) else None

    def negated_attribute(self):
        """``(object id, attribute)`` of the negated attribute, or None."""
        return tuple(self.negated[1:]) if self.negated[:1] == ("attribute",) else None

    @classmethod
    def from_dict(cls, data: dict) -> "Scene":
        """From :meth:`to_dict` (the rows' provenance); objects keep their order.

        >>> Scene.from_dict({"objects": [{"id": 1, "name": "cup", "attributes": ["red"]}],
        ...                  "relations": [], "negated": ["object", 1]}).facts()
        'no red cup'
        """
        return cls(tuple(Mention(o["id"], o["name"], tuple(o["attributes"])) for o in data["objects"]),
                   tuple(tuple(r) for r in data.get("relations", ())), tuple(data.get("negated", ())))

    def to_dict(self) -> dict:
        """The scene as JSON data (the rows' provenance); ``negated`` only when an atom is."""
        data = {"objects": [{"id": m.object_id, "name": m.name, "attributes": list(m.attributes)}
                            for m in self.objects],
                "relations": [list(r) for r in self.relations]}
        if self.negated:
            data["negated"] = list(self.negated)
        return data

    def mention(self, object_id) -> Mention:
        """The mention of graph node *object_id*."""
        return next(m for m in self.objects if m.object_id == object_id)

    def in_id_order(self) -> "Scene":
        """The same scene with its objects in id order (the order the LLM pass states them in).

        >>> Scene((Mention(2, "hat"), Mention(1, "man"))).in_id_order().facts()
        'man; hat'
        """
        return replace(self, objects=tuple(sorted(self.objects, key=lambda m: m.object_id)))

    def statement(self) -> Statement:
        """The scene as a :class:`~crepe_gen.vg.truth.Statement` to check against a graph."""
        negated = self.negated
        if self.negated_relation() is not None:
            negated = ("relation", self.relations[negated[1]])
        return Statement({m.object_id: (m.name, tuple(m.attributes)) for m in self.objects},
                         tuple(self.relations), tuple(negated))

    def facts(self) -> str:
        """The scene as prompt text: ``"tall man; white shirt; man wearing shirt"``,
        the negated atom with "no" (an object) or "not" (an attribute, a relation)."""
        denied_object, denied_attribute = self.negated_object(), self.negated_attribute()
        parts = []
        for m in self.objects:
            if m.object_id == denied_object:
                parts.append(" ".join(["no", *m.attributes, m.name]))
            elif denied_attribute and denied_attribute[0] == m.object_id:
                kept = [a for a in m.attributes if a != denied_attribute[1]]
                parts.append(" ".join([*kept, m.name, "not", denied_attribute[1]]))
            else:
                parts.append(" ".join([*m.attributes, m.name]))
        for index, (s, predicate, o) in enumerate(self.relations):
            subject, obj = self.mention(s).name, self.mention(o).name
            if index == self.negated_relation():
                predicate = f"not {predicate}"
            elif s == denied_object:
                subject = f"no {subject}"
            elif o == denied_object:
                obj = f"no {obj}"
            parts.append(f"{subject} {predicate} {obj}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Edit:
    """What a foil changed: one edit record for every foil of both sets.

    Parameters
    ----------
    type : str
        The foil type: ``atom``, ``swap`` or ``negate`` (productivity);
        ``atom``, ``comp`` or ``combined`` (systematicity).
    rule : str
        Which edit, e.g. ``replace_object``, ``permute_names``,
        ``swap_attributes``, ``move_attribute``, ``swap_relation_ends``; a
        chained edit joins its parts' rules with ``+``.
    target : tuple
        What the edit is applied to: object ids or relation indexes
        (productivity), the words of the atoms the changed words belong to
        (systematicity); empty when *old* names it.
    old, new : tuple
        The words before and after the edit.
    parts : tuple of Edit, optional
        The edits a chained edit applies in order (a systematicity
        ``combined`` foil: its ``comp`` edit, then its ``atom`` edit); empty
        for a single edit, and then left out of :meth:`to_dict`.

    Examples
    --------
    >>> atom = Edit("atom", "replace_attribute", (), ("red",), ("blue",))
    >>> atom.to_dict()
    {'type': 'atom', 'rule': 'replace_attribute', 'target': [], 'old': ['red'], 'new': ['blue']}
    >>> swap = Edit("comp", "swap_attributes", ("shirt", "pants"), ("red", "black"), ("black", "red"))
    >>> combined = Edit("combined", "swap_attributes+replace_attribute", (), (), (), (swap, atom))
    >>> [part["rule"] for part in combined.to_dict()["parts"]]
    ['swap_attributes', 'replace_attribute']
    >>> Edit.from_dict(combined.to_dict()) == combined
    True
    """

    type: str
    rule: str
    target: tuple
    old: tuple
    new: tuple
    parts: tuple = ()

    @classmethod
    def from_dict(cls, data: dict) -> Edit:
        """From :meth:`to_dict` (the foils' provenance)."""
        return cls(data["type"], data["rule"], tuple(data["target"]), tuple(data["old"]),
                   tuple(data["new"]), tuple(cls.from_dict(part) for part in data.get("parts", ())))

    def to_dict(self) -> dict:
        """The edit as JSON data (the foils' provenance); ``parts`` only when there are any."""
        data = {"type": self.type, "rule": self.rule, "target": list(self.target),
                "old": list(self.old), "new": list(self.new)}
        if self.parts:
            data["parts"] = [part.to_dict() for part in self.parts]
        return data
