"""Hard negatives of one row: HN-Atom (:func:`atom_negatives`), HN-Comp
(:func:`comp_negatives`, from the recombinations of :func:`comp_edits`) and
combined (:func:`combined_negatives`), each checked false for the image and
each with the :class:`~crepe_gen.vg.scene.Edit` that made it (type ``atom``,
``comp`` or ``combined``; a combined edit chains its comp and atom edits).

Replacement atoms come from an :class:`AtomPool` (seen atoms of the same sense
or category); a :class:`Balance` keeps the atoms a list inserts in step with
those it removes; a :class:`RowContext` carries what one row's negatives are
made and checked with. No replacement means the same
(:meth:`~crepe_gen.language.lexicon.Lexicon.same_meaning`) as the atom it
replaces, as an atom of its kind the caption already has, or (objects) as a
name of an image object the replaced name may denote; no two HN-Atom
negatives of a row mean the same; and no negative shows a fluency fault
(:func:`crepe_gen.language.fluency.fluent`).
"""

from __future__ import annotations

import collections
import dataclasses
import math
import random
from dataclasses import dataclass
from typing import Iterator

from ..language import lexicon
from ..language.fluency import fluent
from .bigrams import BigramIndex
from ..language.tokens import tokenize
from ..vg.scene import Edit
from .captions import Caption, Slot, fix_articles, surface_form
from .facts import ImageFacts, false_statements
from .plausibility import CompoundPlausibility

__all__ = ["AtomPool", "Balance", "Negative", "RowContext", "atom_negatives", "combined_negatives",
           "comp_edits", "comp_negatives", "replacements"]


@dataclass
class Negative:
    """One negative caption: its text, the edit that made it, the
    statements it makes that are false for the image, its plausibility
    (:class:`~crepe_gen.systematicity.plausibility.CompoundPlausibility`)
    and whether every compound it states anew is seen in other images
    (:meth:`RowContext.possible`)."""

    text: str
    edit: Edit
    false: list
    plausibility: float = 0.0
    possible: bool = True

    def provenance(self) -> dict:
        """The negative as written to the JSONL provenance records."""
        return {"text": self.text, "edit": self.edit.to_dict(), "false": [list(s) for s in self.false],
                "plausibility": self.plausibility, "possible": self.possible}


class AtomPool:
    """Replacement atoms of one training set: candidates of the same sense or
    category (:class:`crepe_gen.language.lexicon.Lexicon`) that occur among the set's
    positives and that the training set has seen, weighted by their frequency
    among the positives.

    Parameters
    ----------
    lex : Lexicon
        Candidates by sense and category (Visual Genome's scene graphs).
    frequencies : dict
        ``{kind: Counter}`` of atoms among the positives (the weights).
    counts : dict
        The training set's :data:`~crepe_gen.systematicity.counting.CorpusCounts`.
    min_count : int
        Atoms counted fewer times are unseen and never drawn.
    """

    def __init__(self, lex, frequencies: dict, counts: dict, min_count: int):
        self.lexicon = lex.reweighted(frequencies["object"], frequencies["attribute"],
                                      frequencies["relation"])
        self.counts = counts
        self.min_count = min_count
        self._candidates = {
            "object": self.lexicon.object_candidates,
            "attribute": self.lexicon.attribute_candidates,
            "relation": self.lexicon.predicate_candidates,
        }
        self._seen: dict[tuple, list] = {}

    def candidates(self, kind: str, current: str) -> list[tuple[str, int]]:
        """Seen replacements of *current* with their weights (memoized)."""
        key = (kind, current)
        if key not in self._seen:
            self._seen[key] = [(name, weight) for name, weight in self._candidates[kind](current)
                               if self.counts.get((kind, name), 0) >= self.min_count]
        return self._seen[key]

    def means_taken(self, kind: str, name: str, taken, nodes=()) -> bool:
        """Whether *name* means the same as one of the atoms *taken* of its kind,
        or (objects) as a name of one of the scene-graph *nodes*."""
        return any(self.lexicon.same_meaning(kind, name, other) for other in taken) or \
            (kind == "object" and self.lexicon.names_object(name, nodes))


class Balance:
    """Keeps the atoms a list of negatives inserts in step with the atoms it removes.

    A text-only classifier finds the positive when some words occur more often
    in negatives than in positives. Each replacement removes one atom and
    inserts another; preferring to insert atoms removed more often than
    inserted so far (and to remove atoms inserted more often than removed)
    drives every atom's surplus to zero, so no word tells negatives apart.
    """

    def __init__(self):
        self.surplus = collections.Counter()  # inserted minus removed, by (kind, name)

    def order_atoms(self, rng: random.Random, atoms: list) -> list[int]:
        """Atom indices, those most inserted elsewhere first (random among ties)."""
        keys = {i: (-self.surplus[slot.kind, slot.name], rng.random()) for i, slot in enumerate(atoms)}
        return sorted(keys, key=keys.get)

    def record(self, kind: str, removed: str, inserted: str) -> None:
        """Count one replacement of *removed* by *inserted*."""
        self.surplus[kind, removed] -= 1
        self.surplus[kind, inserted] += 1

    def record_edit(self, edit: Edit) -> None:
        """Count the replacement an atom edit (``replace_<kind>``, see :func:`replacements`) made."""
        self.record(edit.rule.removeprefix("replace_"), edit.old[0], edit.new[0])



@dataclass
class RowContext:
    """What the negatives of one row are made and checked with."""

    facts: ImageFacts
    positive: Caption
    pool: AtomPool
    rng: random.Random
    bigrams: BigramIndex
    own_bigrams: collections.Counter
    tries: int

    tolerance: float = 0.0
    compounds: CompoundPlausibility | None = None  # with the row's own image left out
    weigh_plausibility: bool = False  # replacement draws weighted by plausibility too
    plausibility_bigrams: bool = False  # plausibility adds the caption's bigram log-likelihood

    def plausibility(self, caption: Caption) -> float:
        """Of the caption's compounds in other images (0 without :attr:`compounds`),
        plus with :attr:`plausibility_bigrams` its :meth:`log_likelihood`."""
        score = self.compounds.score(caption) if self.compounds is not None else 0.0
        return score + self.log_likelihood(caption) if self.plausibility_bigrams else score

    def draw_weight(self, caption: Caption, plausibility: float) -> float:
        """Log-weight of a replacement: its :meth:`log_likelihood`, with
        :attr:`weigh_plausibility` its compounds' plausibility too."""
        if not self.weigh_plausibility:
            return self.log_likelihood(caption)
        return plausibility if self.plausibility_bigrams else self.log_likelihood(caption) + plausibility

    def log_likelihood(self, caption: Caption) -> float:
        """Under the bigram model of the other images' captions."""
        return self.bigrams.log_likelihood(tokenize(caption.text()), self.own_bigrams)

    def possible(self, edited: Caption) -> bool:
        """Whether every compound the edit states anew is seen in other images
        (:meth:`~crepe_gen.systematicity.plausibility.CompoundPlausibility.admits`);
        True without :attr:`compounds`."""
        return self.compounds is None or self.compounds.admits(edited, self.positive, self.pool.lexicon)

    def plausible(self, edited: Caption) -> bool:
        """Every new bigram occurs in another image, and the edit is at least
        as likely as the positive (within the tolerance)."""
        positive = tokenize(self.positive.text())
        negative = tokenize(edited.text())
        if not self.bigrams.attested(negative, self.own_bigrams, BigramIndex.bigrams(positive)):
            return False
        if self._positive_score is None:
            self._positive_score = self.bigrams.log_likelihood(positive, self.own_bigrams)
        return self.bigrams.log_likelihood(negative, self.own_bigrams) >= self._positive_score - self.tolerance

    _positive_score: float | None = dataclasses.field(default=None, init=False, repr=False)


def atom_negatives(ctx: RowContext, balance: Balance, *, limit: int, forbidden: set) -> list[Negative]:
    """HN-Atom: the same atom of the positive replaced by up to *limit* seen atoms of its kind.

    All negatives of a row edit one slot, so the candidates differ from each
    other exactly as they differ from the positive (no candidate is the
    "centre" of the others). The first slot (in :class:`Balance` order) with
    *limit* valid replacements is used, else the one with the most.
    """
    best = []
    for index in balance.order_atoms(ctx.rng, ctx.positive.atoms()):
        found = replacements(ctx, ctx.positive, index, forbidden=forbidden, limit=limit)
        if len(found) > len(best):
            best = found
        if len(best) >= limit:
            break
    for negative, _ in best:
        balance.record_edit(negative.edit)
    return [negative for negative, _ in best]


def replacements(ctx: RowContext, base: Caption, index: int, *, forbidden: set, limit: int,
                 as_likely: bool = False, possible_only: bool = False) -> list[tuple[Negative, Caption]]:
    """Up to *limit* copies of *base* with atom number *index* replaced.

    Each states something false that the positive does not. Among the valid
    replacements (at most ``ctx.tries`` candidates are tried, picked uniformly)
    the kept ones are drawn with their probability in context under the
    bigram model of other images' captions, the way a real caption's word is
    drawn, so the positive's word does not stand out; with
    ``ctx.weigh_plausibility``, times their compounds' plausibility
    (:meth:`RowContext.plausibility`), so rare or impossible compounds ("a
    parked carpet") seldom are. With *possible_only*, only edits
    :meth:`RowContext.possible` are kept; with *as_likely*, only
    edits at least as likely as the positive are kept (see :meth:`RowContext.plausible`).
    No two kept replacements mean the same, and none means the same as an
    atom of its kind in *base* or (objects) as a name of an image object that
    the replaced name may denote (:meth:`AtomPool.means_taken`).
    Each negative's edit is ``Edit("atom", "replace_<kind>", (), (old,), (new,))``.
    """
    old = base.atoms()[index]
    in_caption = [s.name for s in base.atoms() if s.kind == old.kind]
    nodes = [ctx.facts.graph.nodes[i] for i in ctx.facts.ids(old.name)] if old.kind == "object" else []
    names = [name for name, _ in ctx.pool.candidates(old.kind, old.name)
             if not ctx.pool.means_taken(old.kind, name, in_caption, nodes)]
    if len(names) > ctx.tries:
        names = sorted(ctx.rng.sample(names, ctx.tries))
    valid = []
    for name in names:
        edited = base.copy()
        slot = edited.atoms()[index]
        slot.name, slot.text = name, surface_form(old.kind, name, old.plural)
        fix_articles(edited.slots)
        text = edited.text()
        if text in forbidden or (as_likely and not ctx.plausible(edited)) or not fluent(text):
            continue
        possible = ctx.possible(edited)
        if possible_only and not possible:
            continue
        false = false_statements(ctx.facts, ctx.positive, edited)
        if false:
            edit = Edit("atom", f"replace_{old.kind}", (), (old.name,), (name,))
            plausibility = ctx.plausibility(edited)
            valid.append((ctx.draw_weight(edited, plausibility),
                          Negative(text, edit, false, plausibility, possible), edited))
    if not valid:
        return []
    top = max(score for score, _, _ in valid)
    weights = [(i, math.exp(score - top)) for i, (score, _, _) in enumerate(valid)]

    def clash(i: int, j: int) -> bool:
        return ctx.pool.lexicon.same_meaning(old.kind, valid[i][1].edit.new[0], valid[j][1].edit.new[0])
    return [valid[i][1:] for i in lexicon.draw(ctx.rng, weights, limit, clash=clash)]


def comp_edits(caption: Caption) -> Iterator[tuple[Edit, Caption]]:
    """Every recombination of the caption's atoms into other compounds, with its
    ``comp`` :class:`~crepe_gen.vg.scene.Edit`:

    * ``swap_attributes``: target the two objects, old their attributes, new
      the attributes swapped;
    * ``move_attribute``: target the attribute, old its object, new the object
      it moves to;
    * ``swap_relation_ends``: target the relation, old ``(subject, object)``,
      new ``(object, subject)``.
    """
    pairs = caption.attribute_compounds
    attributive = [(a, o) for a, o in pairs if a in _noun_phrase(caption, o)]  # "red car", not "car is red"
    for i, (a1, o1) in enumerate(attributive):
        for a2, o2 in attributive[i + 1:]:
            if a1.name != a2.name and o1.name != o2.name and a1 is not a2 and o1 is not o2:
                edited = caption.copy()
                slots = edited.atoms()
                ia, ib = caption.atoms().index(a1), caption.atoms().index(a2)
                slots[ia].name, slots[ia].text, slots[ib].name, slots[ib].text = (
                    slots[ib].name, slots[ib].text, slots[ia].name, slots[ia].text)
                yield Edit("comp", "swap_attributes", (o1.name, o2.name), (a1.name, a2.name),
                           (a2.name, a1.name)), edited
    objects = [s for s in caption.atoms() if s.kind == "object"]
    for attribute, owner in pairs:
        at = caption.slots.index(attribute)
        if at + 1 != caption.slots.index(owner) or (at > 0 and caption.slots[at - 1].text in ("and", ",")):
            continue  # only attributive adjectives move cleanly, not the last of a list ("red and blue")
        for target in objects:
            if target.name == owner.name or _has_attributive(caption, target):
                continue
            edited = caption.copy()
            moved = edited.atoms()[caption.atoms().index(attribute)]
            new_owner = edited.atoms()[caption.atoms().index(target)]
            edited.slots.remove(moved)
            edited.slots.insert(edited.slots.index(new_owner), moved)
            edited.attribute_compounds = [(a, new_owner if a is moved else o)
                                          for a, o in edited.attribute_compounds]
            fix_articles(edited.slots)
            yield Edit("comp", "move_attribute", (attribute.name,), (owner.name,), (target.name,)), edited
    for subject, relation, obj in caption.relation_compounds:
        if subject.name == obj.name:
            continue
        edited = caption.copy()
        atoms = edited.atoms()
        s = atoms[caption.atoms().index(subject)]
        o = atoms[caption.atoms().index(obj)]
        r = atoms[caption.atoms().index(relation)]
        s_span, o_span = _noun_phrase(edited, s), _noun_phrase(edited, o)
        if set(map(id, s_span)) & set(map(id, o_span)):
            continue
        s_plural, o_plural = s.plural, o.plural
        first, second = sorted((s_span, o_span), key=lambda span: edited.slots.index(span[0]))
        start1, end1 = edited.slots.index(first[0]), edited.slots.index(first[-1]) + 1
        start2, end2 = edited.slots.index(second[0]), edited.slots.index(second[-1]) + 1
        edited.slots[start1:end2] = second + edited.slots[end1:start2] + first
        s.plural, o.plural = o_plural, s_plural  # number belongs to the position
        s.text, o.text = surface_form("object", s.name, s.plural), surface_form("object", o.name, o.plural)
        edited.relation_compounds = [(o, r, s) if (x, y, z) == (s, r, o) else (x, y, z)
                                     for x, y, z in edited.relation_compounds]
        fix_articles(edited.slots)
        yield Edit("comp", "swap_relation_ends", (relation.name,), (subject.name, obj.name),
                   (obj.name, subject.name)), edited


def _has_attributive(caption: Caption, obj: Slot) -> bool:
    i = caption.slots.index(obj)
    return i > 0 and caption.slots[i - 1].kind == "attribute"


def _noun_phrase(caption: Caption, obj: Slot) -> list:
    """The object's slot with the attribute slots right before it."""
    end = caption.slots.index(obj)
    start = end
    while start > 0 and caption.slots[start - 1].kind == "attribute":
        start -= 1
    return caption.slots[start:end + 1]


def comp_negatives(ctx: RowContext, *, limit: int, forbidden: set, likely_only: bool = False,
                   possible_only: bool = True) -> list[tuple[Negative, Caption]]:
    """HN-Comp: recombinations of the positive's atoms that are false for the
    image (with *possible_only*, only those :meth:`RowContext.possible`; with
    *likely_only*, only those :meth:`RowContext.plausible`)."""
    found, texts = [], set(forbidden)
    for edit, edited in comp_edits(ctx.positive):
        text = edited.text()
        if text in texts or (likely_only and not ctx.plausible(edited)) or not fluent(text):
            continue
        possible = ctx.possible(edited)
        if possible_only and not possible:
            continue
        false = false_statements(ctx.facts, ctx.positive, edited)
        if false:
            found.append((Negative(text, edit, false, ctx.plausibility(edited), possible), edited))
            texts.add(text)
    if len(found) > limit:
        found = [found[i] for i in sorted(ctx.rng.sample(range(len(found)), limit))]
    return found


def combined_negatives(ctx: RowContext, comps: list, balance: Balance, *, limit: int,
                       forbidden: set, likely_only: bool = False, possible_only: bool = True) -> list[Negative]:
    """Combined: each HN-Comp negative with one atom replaced as in HN-Atom
    (with *likely_only*, only when :meth:`RowContext.plausible`); the edit is
    ``combined``, with the comp and the atom edit as its parts."""
    found = []
    for comp, edited in comps[:limit]:
        taken = forbidden | {n.text for n in found} | {c.text for c, _ in comps}
        for index in balance.order_atoms(ctx.rng, edited.atoms()):
            result = replacements(ctx, edited, index, forbidden=taken, limit=1, as_likely=likely_only,
                                  possible_only=possible_only)
            if result:
                negative = result[0][0]
                balance.record_edit(negative.edit)
                parts = (comp.edit, negative.edit)
                negative.edit = Edit("combined", "+".join(part.rule for part in parts), (), (), (), parts)
                found.append(negative)
                break
    return found
