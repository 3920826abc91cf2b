"""The VG names table (:class:`VGNames`): the canonical objects, attributes and
relations of a Visual Genome folder and every surface form (alias, plural)
that reaches them, which the extractors look names up in."""

from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..language.names import Canonicalizer, normalize
from .extraction import AUXILIARIES, DETERMINERS, PREPOSITIONS, STOPWORDS

__all__ = ["VGNames", "load_names", "save_names", "vg_names"]


@dataclass(frozen=True)
class VGNames:
    """The canonical atoms of a VG folder and the surface forms that reach them.

    ``surfaces`` maps a lower-case text form (as it can appear in a caption:
    raw VG name, alias, plural) to ``(object, attribute, relation)`` canonical
    names, ``None`` where the form is not of that kind.

    Examples
    --------
    >>> names = VGNames.build({"tree": 3, "stop sign": 1}, {"green": 2}, {"on top of": 1})
    >>> names.surfaces["trees"], names.surfaces["on top of"]
    (('tree', None, None, 0), (None, None, 'on top of', 2))
    """

    objects: frozenset
    attributes: frozenset
    relations: frozenset
    surfaces: dict = field(compare=False, repr=False)
    digest: str = ""

    @classmethod
    def build(cls, object_counts: dict, attribute_counts: dict, relation_counts: dict, *,
              canon: Canonicalizer | None = None, min_count: int = 1) -> "VGNames":
        """The names table from canonical-name counts.

        Names seen fewer than *min_count* times, function words and numerals,
        objects ending in a preposition (``"back of"``) and attributes starting
        with one (``"on desk"``) are left out. A form of several kinds keeps
        them all; the last field of its entry is the index of the most
        frequent kind in VG, used when the context does not decide.
        """
        canon = canon or Canonicalizer()

        def keep(counts, bad):
            return {name: n for name, n in counts.items()
                    if n >= min_count and name and name not in STOPWORDS and not bad(name)}

        objects = keep(object_counts, lambda name: name.rsplit(" ", 1)[-1] in STOPWORDS | PREPOSITIONS)
        attributes = keep(attribute_counts, lambda name: name.split(" ", 1)[0] in STOPWORDS | PREPOSITIONS)
        relations = keep(relation_counts, lambda name: False)
        table: dict[str, list] = {}

        def add(surface, slot, name, count):
            surface = normalize(surface)
            words = surface.split(" ")
            # "floor has tiles" is a sentence some annotator typed as a name
            if slot < 2 and (not (STOPWORDS | AUXILIARIES).isdisjoint(words) or words[0] in PREPOSITIONS
                             or words[-1] in PREPOSITIONS and slot == 0):
                return
            if slot == 2 and (words[0] in DETERMINERS or words[-1] in DETERMINERS):
                return
            if slot == 2 and len(words) > 1 and words[0] in AUXILIARIES:
                return   # "is on", "are empty": the auxiliary stays a gap word
            if slot == 2 and len(words) > 1 and words[0] in table and table[words[0]][2] is None \
                    and table[words[0]][1] is None and not words[0].endswith(("ing", "ed")):
                return   # a noun, not a predicate: "chair in"; a parse never reads it so
            if surface and surface not in STOPWORDS:
                entry = table.setdefault(surface, [None, None, None, 0, 0, 0])
                if entry[slot] is None:
                    entry[slot], entry[slot + 3] = name, count

        for name in sorted(objects):
            add(name, 0, name, objects[name])
            for surface in _plurals(name):
                if canon.object(surface) == name:
                    add(surface, 0, name, objects[name])
        for alias in sorted(canon.object_aliases):
            for surface in (alias, *_plurals(alias)):
                name = canon.object(surface)
                if name in objects:
                    add(surface, 0, name, objects[name])
        for name in sorted(attributes):
            # a multi-word attribute ending in a noun ("white computer") would
            # swallow the object it modifies
            if " " not in name or name.rsplit(" ", 1)[1] not in table:
                add(name, 1, name, attributes[name])
        for name in sorted(relations):
            add(name, 2, name, relations[name])
            words = name.split(" ")
            if len(words) > 2 and words[0] in PREPOSITIONS and words[-1] in PREPOSITIONS:
                # "on the side of": a determiner inside a phrasal preposition
                add(" ".join([words[0], "the", *words[1:]]), 2, name, relations[name])
        for alias in sorted(canon.predicate_aliases):
            name = canon.predicate(alias)
            if name in relations:
                add(alias, 2, name, relations[name])
        surfaces = {}
        for surface, entry in sorted(table.items()):
            counts = entry[3:]
            surfaces[surface] = (*entry[:3], counts.index(max(counts)))
        digest = hashlib.sha256(json.dumps(sorted(surfaces.items())).encode()).hexdigest()[:16]
        return cls(frozenset(objects), frozenset(attributes), frozenset(relations), surfaces, digest)

    @classmethod
    def from_visual_genome(cls, vg, *, min_count: int = 1) -> "VGNames":
        """The names table of every object, attribute and predicate in *vg*'s scene graphs."""
        objects, attributes, relations = Counter(), Counter(), Counter()
        for graph in vg.scene_graphs():
            for _, data in graph.nodes(data=True):
                objects.update(data["names"])
                attributes.update(data["attributes"])
            for _, _, data in graph.edges(data=True):
                relations[data["predicate"]] += 1
        return cls.build(objects, attributes, relations, canon=vg.canon, min_count=min_count)

    def to_dict(self) -> dict:
        """A JSON-ready form (:meth:`from_dict` reads it back)."""
        return {"objects": sorted(self.objects), "attributes": sorted(self.attributes),
                "relations": sorted(self.relations),
                "surfaces": {s: list(v) for s, v in self.surfaces.items()}, "digest": self.digest}

    @classmethod
    def from_dict(cls, data: dict) -> "VGNames":
        """The names table of :meth:`to_dict`'s form."""
        return cls(frozenset(data["objects"]), frozenset(data["attributes"]),
                   frozenset(data["relations"]),
                   {s: tuple(v) for s, v in data["surfaces"].items()}, data["digest"])


def _plurals(name: str) -> list[str]:
    """Plural forms of an object name (its last word inflected)."""
    from lemminflect import getInflection

    head, _, last = name.rpartition(" ")
    forms = getInflection(last, tag="NNS") if last.isalpha() else ()
    return [f"{head} {form}" if head else form for form in forms if form != last]


@functools.lru_cache(maxsize=8)
def vg_names(vg_root: str | None = None, min_count: int = 1, lenient: bool = False) -> VGNames:
    """The (cached) names table of a VG folder; ``None`` is the bundled sample.

    *lenient* is the reader's: bad scene-graph records are skipped (and
    counted) instead of raising an :class:`~crepe_gen.core.errors.InputError`.

    >>> len(vg_names().objects) > 900
    True
    """
    from ..vg.reader import VisualGenome

    return VGNames.from_visual_genome(VisualGenome(vg_root, lenient=lenient), min_count=min_count)


def save_names(names: VGNames, path) -> None:
    """Write *names* as JSON (atomically), for workers and manifests."""
    from ..core.io import write_json_atomic

    write_json_atomic(path, names.to_dict())


def load_names(path) -> VGNames:
    """The names table written by :func:`save_names`."""
    return VGNames.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
