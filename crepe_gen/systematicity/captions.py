"""Captions as editable token slots (:class:`Slot`, :class:`Caption`):
:func:`parse_caption` locates an extraction's atoms as whole-token spans
(tokens of :mod:`crepe_gen.language.tokens`), :func:`surface_form` writes an
atom, :func:`fix_articles` makes ``a``/``an`` agree.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
from dataclasses import dataclass

from lemminflect import getInflection

from ..language.names import COUNTABLE_SINGULARS, PLURAL_ONLY
from ..language.tokens import render, tokenize

__all__ = ["ATOM_KINDS", "Caption", "Slot", "fix_articles", "parse_caption", "surface_form"]

#: The kinds of atoms, in the order of a names-table entry (object, attribute, relation).
ATOM_KINDS = ("object", "attribute", "relation")
_MAX_SPAN_WORDS = 4


@dataclass(eq=False)  # slots compare by identity: two "red" tokens are different slots
class Slot:
    """One token of a caption, or one atom spanning several words."""

    text: str
    kind: str | None = None   # "object", "attribute", "relation" or None
    name: str | None = None   # canonical name of the atom
    plural: bool = False      # objects: the surface form is plural


@dataclass
class Caption:
    """A caption as slots, with its compounds pointing at slots."""

    slots: list
    attribute_compounds: list  # [(attribute slot, object slot)]
    relation_compounds: list   # [(subject slot, relation slot, object slot)]

    def text(self) -> str:
        """The caption rendered from its slots."""
        return render(slot.text for slot in self.slots)

    def copy(self) -> "Caption":
        """A copy with its own slots (compounds point at the new slots)."""
        new = {id(slot): dataclasses.replace(slot) for slot in self.slots}
        return Caption([new[id(slot)] for slot in self.slots],
                       [tuple(new[id(s)] for s in pair) for pair in self.attribute_compounds],
                       [tuple(new[id(s)] for s in triple) for triple in self.relation_compounds])

    def statements(self) -> set[tuple]:
        """What the caption states, by names: objects and compounds."""
        found = {("object", s.name) for s in self.slots if s.kind == "object"}
        found |= {("attribute_compound", a.name, o.name) for a, o in self.attribute_compounds}
        found |= {("relation_compound", s.name, r.name, o.name) for s, r, o in self.relation_compounds}
        return found

    def atoms(self) -> list:
        """The slots that are atoms, in caption order."""
        return [slot for slot in self.slots if slot.kind]


def parse_caption(caption: str, extraction, surfaces: dict) -> Caption:
    """Locate the extraction's atoms as whole-token spans of *caption*.

    *surfaces* maps a text form to ``(object, attribute, relation, ...)``
    canonical names (``None`` where the form is not of that kind), as
    :class:`crepe_gen.systematicity.vg_names.VGNames` does. Atoms that cannot be found
    as whole tokens stay plain text and their compounds are left out (such a
    caption is still split, but offers fewer edits).

    >>> from crepe_gen.systematicity.extract import Extraction
    >>> ex = Extraction(("man", "shirt"), ("red",), ("in",), (("red", "shirt"),), (("man", "in", "shirt"),))
    >>> surfaces = {"man": ("man", None, None), "shirt": ("shirt", None, None),
    ...             "red": (None, "red", None), "in": (None, None, "in")}
    >>> parsed = parse_caption("a man in a red shirt", ex, surfaces)
    >>> [(s.text, s.kind) for s in parsed.slots]
    [('a', None), ('man', 'object'), ('in', 'relation'), ('a', None), ('red', 'attribute'), ('shirt', 'object')]
    >>> sorted(parsed.statements())[:2]
    [('attribute_compound', 'red', 'shirt'), ('object', 'man')]
    """
    tokens = tokenize(caption)
    wanted = {"object": set(extraction.objects), "attribute": set(extraction.attributes),
              "relation": set(extraction.relations)}
    claimed = [None] * len(tokens)
    spans = []  # (start, end, kind, name)
    for length in range(min(_MAX_SPAN_WORDS, len(tokens)), 0, -1):  # longest spans first
        for start in range(len(tokens) - length + 1):
            end = start + length
            if any(claimed[start:end]) or not all(_is_word(t) for t in tokens[start:end]):
                continue
            surface = " ".join(tokens[start:end])
            entry = surfaces.get(surface)
            for slot_index, kind in enumerate(ATOM_KINDS):  # objects, attributes, relations
                name = entry[slot_index] if entry else None
                if name is not None and name in wanted[kind]:
                    spans.append((start, end, kind, name))
                    claimed[start:end] = [True] * length
                    break
    spans.sort()
    slots = []
    index = 0
    for start, end, kind, name in spans:
        slots.extend(Slot(t) for t in tokens[index:start])
        surface = " ".join(tokens[start:end])
        slot = Slot(surface, kind, name,
                    plural=kind == "object" and surface.split(" ")[-1] != name.split(" ")[-1])
        slots.append(slot)
        index = end
    slots.extend(Slot(t) for t in tokens[index:])
    position = {id(slot): i for i, slot in enumerate(slots)}
    occurrences = collections.defaultdict(list)
    for slot in slots:
        if slot.kind:
            occurrences[slot.kind, slot.name].append(slot)

    def nearest(kind, name, anchor, side):
        best = None
        for slot in occurrences.get((kind, name), ()):
            gap = position[id(slot)] - anchor
            if side * gap <= 0 and side:
                continue
            if best is None or abs(gap) < abs(position[id(best)] - anchor):
                best = slot
        return best

    attribute_compounds = []
    for attribute, obj in extraction.attribute_compounds:
        pairs = [(abs(position[id(a)] - position[id(o)]), position[id(a)], position[id(o)], a, o)
                 for a in occurrences.get(("attribute", attribute), ())
                 for o in occurrences.get(("object", obj), ())]
        if pairs:
            attribute_compounds.append(min(pairs, key=lambda p: p[:3])[3:])
    relation_compounds = []
    for subject, relation, obj in extraction.relation_compounds:
        for r in occurrences.get(("relation", relation), ()):
            anchor = position[id(r)]
            s = nearest("object", subject, anchor, -1)
            o = nearest("object", obj, anchor, +1)
            if s is not None and o is not None and s is not o:
                relation_compounds.append((s, r, o))
                break
    return Caption(slots, attribute_compounds, relation_compounds)


def _is_word(token: str) -> bool:
    return token[0].isalnum() or token[0] == "'"


@functools.lru_cache(maxsize=1 << 16)
def surface_form(kind: str, name: str, plural: bool) -> str:
    """How an atom is written: objects inflected to the plural when needed.

    >>> surface_form("object", "tree trunk", True), surface_form("object", "pant", False)
    ('tree trunks', 'pants')
    >>> surface_form("object", "tree trunk", False), surface_form("object", "ski", False)
    ('tree trunk', 'ski')
    """
    if kind != "object":
        return name
    head, _, last = name.rpartition(" ")
    inflected = getInflection(last, tag="NNS")
    always_plural = inflected and inflected[0] in PLURAL_ONLY and last not in COUNTABLE_SINGULARS
    if plural or always_plural:  # "pant" is always "pants"
        last = inflected[0] if inflected else last
    return f"{head} {last}" if head else last


def fix_articles(slots: list) -> None:
    """Make every ``a``/``an`` agree with the word after it, and drop it
    before a plural-only noun (``"a pants"`` -> ``"pants"``), in place.

    >>> slots = [Slot("a"), Slot("man"), Slot("in"), Slot("a"), Slot("black", "attribute", "black"),
    ...          Slot("pants", "object", "pant"), Slot("and"), Slot("a"), Slot("apple", "object", "apple")]
    >>> fix_articles(slots); render(s.text for s in slots)
    'a man in black pants and an apple'
    """
    dropped = []
    for i, slot in enumerate(slots[:-1]):
        if slot.kind is None and slot.text in ("a", "an"):
            following = next((s.text for s in slots[i + 1:] if s.text), "")
            if _plural_only_head(slots, i + 1):
                dropped.append(i)
            elif following and _is_word(following):
                slot.text = "an" if following[0] in "aeiou" else "a"
    for i in reversed(dropped):
        del slots[i]


def _plural_only_head(slots: list, start: int) -> bool:
    """Whether the noun phrase at *start* (attributes, then an object) ends in a plural-only noun."""
    while start < len(slots) and slots[start].kind == "attribute":
        start += 1
    if start == len(slots) or slots[start].kind != "object":
        return False
    head = slots[start].text.rsplit(" ", 1)[-1]
    return head in PLURAL_ONLY and head not in COUNTABLE_SINGULARS
