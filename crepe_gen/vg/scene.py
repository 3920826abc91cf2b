"""What a caption states about an image's scene graph: :class:`Scene`,
:class:`Mention` and the :class:`Edit` that turns a scene into a foil.

A :class:`Scene` is the structured meaning of one caption: object mentions
(graph node id, canonical name, attributes), relations between them as
``(subject id, predicate, object id)`` and names said to be absent ("there is
no umbrella"). The productivity set renders scenes into captions
(:mod:`crepe_gen.productivity.captions`) and edits them into foils
(:mod:`crepe_gen.productivity.negatives`), each foil with its :class:`Edit`;
the LLM pass checks that a fluent sentence states exactly its scene
(:mod:`crepe_gen.llm.validate`). Rows' provenance holds :meth:`Scene.to_dict`.

Examples
--------
>>> scene = Scene.build({2: "hat", 1: "man"}, [(2, "red")], [(1, "wearing", 2)], ["dog"])
>>> scene.objects[0], scene.mention(2).attributes
(Mention(object_id=1, name='man', attributes=()), ('red',))
>>> scene.facts()
'man; red hat; man wearing hat; no dog'
>>> Scene.from_dict(scene.to_dict()) == scene
True
>>> Edit("atom", "replace_attribute", (2,), ("red",), ("blue",)).to_dict()["new"]
['blue']
"""

from __future__ import annotations

from dataclasses import dataclass

from .truth import Statement

__all__ = ["Edit", "Mention", "Scene"]


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
    object id)``; ``absent``: names the caption says are not there."""

    objects: tuple
    relations: tuple = ()
    absent: tuple = ()

    @classmethod
    def build(cls, objects: dict, attributes=(), relations=(), absent=()) -> "Scene":
        """From ``{id: name}``, ``[(id, attribute)]``, ``[(subject, predicate, object)]``
        and absent names; objects in id order."""
        held: dict[int, list[str]] = {i: [] for i in objects}
        for object_id, attribute in attributes:
            held[object_id].append(attribute)
        return cls(tuple(Mention(i, name, tuple(held[i])) for i, name in sorted(objects.items())),
                   tuple(tuple(r) for r in relations), tuple(absent))

    @classmethod
    def from_dict(cls, data: dict) -> "Scene":
        """From :meth:`to_dict` (the rows' provenance); objects keep their order.

        >>> Scene.from_dict({"objects": [{"id": 1, "name": "cup", "attributes": ["red"]}],
        ...                  "relations": [], "absent": ["dog"]}).facts()
        'red cup; no dog'
        """
        return cls(tuple(Mention(o["id"], o["name"], tuple(o["attributes"])) for o in data["objects"]),
                   tuple(tuple(r) for r in data.get("relations", ())), tuple(data.get("absent", ())))

    def to_dict(self) -> dict:
        """The scene as JSON data (the rows' provenance)."""
        return {"objects": [{"id": m.object_id, "name": m.name, "attributes": list(m.attributes)}
                            for m in self.objects],
                "relations": [list(r) for r in self.relations], "absent": list(self.absent)}

    def mention(self, object_id) -> Mention:
        """The mention of graph node *object_id*."""
        return next(m for m in self.objects if m.object_id == object_id)

    def in_id_order(self) -> "Scene":
        """The same scene with its objects in id order (the order the LLM pass states them in).

        >>> Scene((Mention(2, "hat"), Mention(1, "man"))).in_id_order().facts()
        'man; hat'
        """
        return Scene(tuple(sorted(self.objects, key=lambda m: m.object_id)), self.relations, self.absent)

    def statement(self) -> Statement:
        """The scene as a :class:`~crepe_gen.vg.truth.Statement` to check against a graph."""
        return Statement({m.object_id: (m.name, tuple(m.attributes)) for m in self.objects},
                         tuple(self.relations), tuple(self.absent))

    def facts(self) -> str:
        """The scene as prompt text: ``"tall man; white shirt; man wearing shirt"``."""
        parts = [" ".join([*m.attributes, m.name]) for m in self.objects]
        parts += [f"{self.mention(s).name} {predicate} {self.mention(o).name}"
                  for s, predicate, o in self.relations]
        parts += [f"no {name}" for name in self.absent]
        return "; ".join(parts)


@dataclass(frozen=True)
class Edit:
    """What a foil changed. ``rule``: e.g. ``replace_object``, ``permute_names``;
    ``target``: which atoms (object ids, relation indexes); ``old``/``new``: the words."""

    type: str
    rule: str
    target: tuple
    old: tuple
    new: tuple

    def to_dict(self) -> dict:
        """The edit as JSON data (the foils' provenance)."""
        return {"type": self.type, "rule": self.rule, "target": list(self.target),
                "old": list(self.old), "new": list(self.new)}
