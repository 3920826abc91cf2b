"""Atom, swap and negation foils: edited scenes that are false for the image.

Every foil is an edited :class:`~crepe_gen.vg.scene.Scene`, never an edited
string, so replacements are whole words by construction and every candidate
is rendered by the same code. Each foil is checked false against the image's
FULL scene graph (:func:`crepe_gen.vg.truth.statement_holds`), its text differs
from the positive and from the other foils, and it carries an
:class:`~crepe_gen.vg.scene.Edit` saying what changed (type, rule, atom, old -> new).

Foil types (:data:`FOIL_TYPES`, keyed by the CLI/file name):

``atom``
    one atom slot of the caption (an object, an attribute or a predicate)
    filled by a different co-hyponym, attribute of the same category or
    predicate of the same class in each foil
    (:class:`~crepe_gen.language.lexicon.Lexicon`), drawn by frequency. No
    replacement means the same (:meth:`~crepe_gen.language.lexicon.Lexicon.same_meaning`)
    as the word it replaces, as a name of the replaced object or of its
    same-box twins, as another object the caption names or as another
    attribute of the same object; no two foils of a row mean the same.
``swap``
    three atoms of one kind (object names, attributes of three objects, or
    predicates of three relations) in their five other orders. The words stay
    the same, and no candidate is closer to the others than the positive.
``negate``
    every candidate is the whole caption plus the denial, in place, of one
    atom of the image that the caption does not state, as CREPE's negations
    read ("a man that is not smiling", "the man is not under the car", "there
    is no hat"): the positive's denied atom is a replacement (true), each
    foil's a true atom (false for the row's crop by the rule of
    :mod:`crepe_gen.vg.crop`). The candidates share everything but their own
    denial, so only the image tells which denial is true (``docs/negation.md``).

Examples
--------
>>> import random
>>> from crepe_gen.vg.graph import build_graph
>>> from crepe_gen.language.lexicon import Lexicon
>>> from crepe_gen.productivity.captions import render
>>> from crepe_gen.vg.scene import Mention, Scene
>>> graph = build_graph({"image_id": 1, "objects": [
...     {"object_id": 1, "names": ["cup"], "synsets": ["cup.n.01"], "x": 0, "y": 0, "w": 5, "h": 5,
...      "attributes": ["white"]},
...     {"object_id": 2, "names": ["table"], "synsets": ["table.n.02"], "x": 0, "y": 5, "w": 9, "h": 9}],
...   "relationships": [{"relationship_id": 3, "predicate": "on", "subject_id": 1, "object_id": 2,
...                      "synsets": []}]})
>>> scene = Scene((Mention(1, "cup", ("white",)), Mention(2, "table", ())), ((1, "on", 2),))
>>> lexicon = Lexicon.from_counts({"cup": 3, "table": 2}, {"white": 5, "red": 2, "black": 3, "blue": 1,
...                                "green": 4, "pink": 1}, {"on": 4})
>>> positive, foils = atom_foils(graph, scene, lexicon, random.Random(0), NegativeConfig(negatives=3))
>>> [render(foil) for foil, edit in foils]
['A black cup is on a table.', 'A green cup is on a table.', 'A pink cup is on a table.']
>>> sorted({edit.rule for foil, edit in foils})
['replace_attribute']
"""

from __future__ import annotations

import collections
import itertools
import logging
from dataclasses import dataclass, replace

import networkx as nx

from .captions import render
from ..language.lexicon import Lexicon, attribute_category, draw, is_weak, predicate_class, predicate_phrase
from ..language.senses import is_lemma, name_kind, name_may_denote, noun_senses
from ..language.names import caption_key
from ..language.tokens import has_negation
from ..vg import crop
from ..vg.graph import union_box
from ..vg.scene import Edit, Mention, Scene
from ..vg.truth import object_has_name, same_thing, statement_holds

__all__ = ["FOIL_TYPES", "NEGATE_DROPS", "NegativeConfig", "atom_foils", "names_clash",
           "negate_foils", "permuted", "swap_foils", "swap_slots", "unstated_atoms"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NegativeConfig:
    """``negatives``: foils per row; ``slots``: atom slots (atom) or atom
    triples (swap) or atoms to replace (the negate positive) tried per row;
    ``oversample``: valid foils gathered per foil kept when a plausibility
    scorer chooses; ``shortlist``: negate positives drawn by frequency among
    which a plausibility scorer picks the one nearest the drawn rank; ``min_overlap``: share of an object's box inside the crop
    for it to be visible there (:data:`crepe_gen.vg.crop.VISIBLE_FRACTION`);
    ``candidates``: atom and negate foils kept per row
    (0: ``negatives``), more than needed when a later step chooses among them
    (:mod:`crepe_gen.textonly.balance`)."""

    negatives: int = 5
    candidates: int = 0
    slots: int = 8
    oversample: int = 3
    shortlist: int = 6
    max_plausibility_lead: float | None = 0.0
    min_overlap: float = crop.VISIBLE_FRACTION


class _Collector:
    """Keeps foils that are false for the image and read differently from the
    positive and from each other.

    With a *plausibility* scorer it gathers ``wanted * oversample`` valid foils
    and keeps the ``wanted`` whose plausibility is closest to the positive's, so
    a text-only judge of plausibility finds the positive in the middle of its
    foils rather than on top.
    """

    def __init__(self, graph, positive: Scene, renderer, wanted: int, plausibility=None,
                 oversample: int = 1, max_lead: float | None = None, keep: int = 0, is_false=None,
                 above: float | None = None, admissible=None):
        self.graph, self.renderer, self.wanted, self.max_lead = graph, renderer, wanted, max_lead
        self.above = above
        self.is_false = is_false or (lambda scene: not statement_holds(graph, scene.statement()))
        self.admissible = admissible or (lambda scene: True)
        self.positive, self.plausibility = positive, plausibility
        self.keep = max(wanted, keep)  # foils returned when that many are found
        self.capacity = self.keep * (oversample if plausibility else 1)
        self.seen = {caption_key(renderer(positive))}
        self.found: list[tuple[Scene, Edit]] = []

    @property
    def full(self) -> bool:
        return len(self.found) >= self.capacity

    @property
    def enough(self) -> bool:
        return len(self.found) >= self.wanted

    def offer(self, scene: Scene, edit: Edit) -> bool:
        if self.full:
            return False
        text = caption_key(self.renderer(scene))
        if text in self.seen or not self.admissible(scene) or not self.is_false(scene):
            return False
        self.seen.add(text)
        self.found.append((scene, edit))
        return True

    def result(self):
        """``(positive, foils)`` or None when too few valid foils were found."""
        if not self.enough:
            return None
        foils = self.found
        if self.plausibility is not None and self.above is not None:
            return self.positive, [foils[i] for i in self._around_rank()]
        if self.plausibility is not None:
            target = self.plausibility(self.positive)
            scores = [self.plausibility(scene) for scene, _ in foils]
            ranked = sorted(range(len(foils)), key=lambda i: (abs(scores[i] - target), i))
            closest = ranked[:self.wanted]
            if self.max_lead is not None and target > max(scores[i] for i in closest) + self.max_lead:
                return None  # the positive would be the most plausible candidate by far
            foils = [foils[i] for i in sorted(ranked[:self.keep])]
        return self.positive, foils[:self.keep]


    def _around_rank(self) -> list:
        """Indexes of the foils kept when a share ``above`` of them is to be more
        plausible than the positive: the closest above and the closest below it
        (the other side fills in when one runs short)."""
        target = self.plausibility(self.positive)
        scores = [self.plausibility(scene) for scene, _ in self.found]
        closest = sorted(range(len(scores)), key=lambda i: (abs(scores[i] - target), i))
        above = [i for i in closest if scores[i] > target]
        below = [i for i in closest if scores[i] <= target]
        size = min(self.keep, len(scores))
        up = min(len(above), max(size - len(below), round(self.above * size)))
        return sorted(above[:up] + below[:size - up])


def _renderer(renderer):
    return renderer or (lambda scene: render(scene))


def _mention_synsets(lexicon: Lexicon | None, name: str) -> tuple:
    synset = lexicon.object_synset(name) if lexicon else None
    if synset:
        return (synset,)
    senses = noun_senses(name)
    return senses[:1]


def names_clash(name: str, scene: Scene, lexicon: Lexicon | None = None, skip=None) -> bool:
    """Whether *name* equals, means the same as (with a *lexicon*), or may denote
    (or be denoted by) a name the scene already uses: a caption would then be
    ambiguous or contradict itself."""
    for mention in scene.objects:
        if mention.object_id == skip:
            continue
        if name == mention.name or (lexicon is not None and lexicon.same_meaning("object", name, mention.name)):
            return True
        if name_may_denote(name, _mention_synsets(lexicon, mention.name)) or \
                name_may_denote(mention.name, _mention_synsets(lexicon, name)):
            return True
    return False


def _with_mention(scene: Scene, object_id, **changes) -> Scene:
    return replace(scene, objects=tuple(replace(m, **changes) if m.object_id == object_id else m
                                        for m in scene.objects))


# -- atom ---------------------------------------------------------------------------------
def atom_foils(graph: nx.MultiDiGraph, scene: Scene, lexicon: Lexicon, rng,
               config: NegativeConfig = NegativeConfig(), renderer=None, plausibility=None):
    """``(positive, [(foil scene, edit), ...])``: one atom slot, a different replacement in each foil.

    All foils of a row replace the SAME atom, so the candidates differ from
    each other exactly as they differ from the positive (foils editing
    different atoms would leave the positive as the one closest to all
    others). With ``config.candidates`` above ``negatives``, up to that many
    foils are returned for a later choice. Slots are tried in a seeded order until one has enough valid
    replacements. *plausibility* (``scene -> float``), when given, picks among
    extra valid foils the closest above and below the positive, a share drawn
    uniformly (0, 1/negatives, ..., 1) above it, so the positive's rank under
    plausibility is uniform over rows (see :class:`_Collector`).
    """
    renderer = _renderer(renderer)
    slots = [("object", m.object_id) for m in scene.objects]
    slots += [("attribute", (m.object_id, a)) for m in scene.objects for a in m.attributes]
    # A weak predicate ("next to", "near") holds whenever its two objects are
    # related, so no foil could ever say it: only the positive would.
    slots += [("relation", i) for i, (_, predicate, _) in enumerate(scene.relations) if not is_weak(predicate)]
    rng.shuffle(slots)
    # the share of foils more plausible than the positive, drawn uniformly: the
    # positive's rank under plausibility is then uniform over rows
    above = rng.randrange(config.negatives + 1) / config.negatives if plausibility is not None else None
    for kind, slot in slots[:config.slots]:
        collector = _Collector(graph, scene, renderer, config.negatives, plausibility, config.oversample,
                               config.max_plausibility_lead, keep=config.candidates, above=above,
                               admissible=_possible_foils(scene, plausibility))
        for made in _ATOM_RULES[kind](graph, scene, lexicon, rng, slot, collector.capacity * 2):
            collector.offer(*made)
            if collector.full:
                break
        result = collector.result()
        if result is not None:
            return result
    return None


def _clash(lexicon: Lexicon, kind: str):
    """``(word, word) -> bool``: whether two replacements mean the same (never both in one row)."""
    return lambda a, b: lexicon.same_meaning(kind, a, b)


def _replace_object(graph, scene, lexicon, rng, object_id, k):
    mention = scene.mention(object_id)
    same_object = [graph.nodes[i] for i in same_thing(graph, object_id)]
    pool = [(name, weight) for name, weight in lexicon.object_candidates(mention.name)
            if not names_clash(name, scene, lexicon, skip=object_id)
            and not object_has_name(graph, object_id, name) and not lexicon.names_object(name, same_object)]
    for new in draw(rng, pool, k, clash=_clash(lexicon, "object")):
        yield (_with_mention(scene, object_id, name=new),
               Edit("atom", "replace_object", (object_id,), (mention.name,), (new,)))


def _replace_attribute(graph, scene, lexicon, rng, atom, k):
    object_id, old = atom
    mention = scene.mention(object_id)
    pool = [(a, weight) for a, weight in lexicon.attribute_candidates(old)
            if not any(lexicon.same_meaning("attribute", a, held) for held in mention.attributes)]
    for new in draw(rng, pool, k, clash=_clash(lexicon, "attribute")):
        attributes = tuple(new if a == old else a for a in mention.attributes)
        yield (_with_mention(scene, object_id, attributes=attributes),
               Edit("atom", "replace_attribute", (object_id,), (old,), (new,)))


def _replace_predicate(graph, scene, lexicon, rng, index, k):
    subject, old, obj = scene.relations[index]
    for new in draw(rng, lexicon.predicate_candidates(old), k, clash=_clash(lexicon, "relation")):
        relations = list(scene.relations)
        relations[index] = (subject, new, obj)
        yield (replace(scene, relations=tuple(relations)),
               Edit("atom", "replace_predicate", (index,), (old,), (new,)))


_ATOM_RULES = {"object": _replace_object, "attribute": _replace_attribute, "relation": _replace_predicate}


# -- swap ---------------------------------------------------------------------------------
def _one_kind(values) -> bool:
    values = list(values)
    return bool(values[0]) and len(set(values)) == 1


def swap_slots(scene: Scene, rng, lexicon: Lexicon | None = None) -> list[tuple[str, tuple]]:
    """Sets of three atoms of one kind whose values a swap row permutes, seeded order.

    ``("attributes", ((object id, attribute), ...))`` on three different
    objects, ``("predicates", (relation indexes))`` with three different
    predicates, then ``("names", (object ids))``. The three values are of
    one compatible kind, so every ordering can describe a possible scene:
    names of one :func:`~crepe_gen.language.senses.name_kind` (a person with a person, a garment with a
    garment), attributes of one category (a colour with a colour), predicates
    of one class.

    >>> import random
    >>> from crepe_gen.vg.scene import Mention
    >>> scene = Scene((Mention(1, "man", ("red",)), Mention(2, "woman", ("blue",)),
    ...                Mention(3, "boy", ("wooden",)), Mention(4, "phone", ("green",))), ())
    >>> sorted(swap_slots(scene, random.Random(0)))
    [('attributes', ((1, 'red'), (2, 'blue'), (4, 'green'))), ('names', (1, 2, 3))]
    >>> scene = Scene((Mention(1, "man", ()), Mention(2, "woman", ()), Mention(3, "phone", ())), ())
    >>> swap_slots(scene, random.Random(0))
    []
    """
    ids = [m.object_id for m in scene.objects]
    kinds = {m.object_id: name_kind(m.name, lexicon.object_synset(m.name) if lexicon else None)
             for m in scene.objects}
    slots = [("names", trio) for trio in itertools.combinations(ids, 3) if _one_kind(kinds[o] for o in trio)]
    held = [(m.object_id, a) for m in scene.objects for a in m.attributes]
    slots += [("attributes", trio) for trio in itertools.combinations(held, 3)
              if len({o for o, _ in trio}) == 3 and len({a for _, a in trio}) == 3
              and _one_kind(attribute_category(a) for _, a in trio)]
    slots += [("predicates", trio) for trio in itertools.combinations(range(len(scene.relations)), 3)
              if len({scene.relations[i][1] for i in trio}) == 3
              and _one_kind(predicate_class(scene.relations[i][1]) for i in trio)]
    rng.shuffle(slots)
    # Attributes and predicates first: three names in new places rebind every
    # attribute and relation at once and read as nonsense a text model spots.
    return sorted(slots, key=lambda slot: slot[0] == "names")


def permuted(scene: Scene, kind: str, slot: tuple, order: tuple) -> tuple[Scene, Edit]:
    """The scene with the values of *slot* permuted by *order*, and its edit."""
    if kind == "names":
        names = {m.object_id: m.name for m in scene.objects}
        old = tuple(names[o] for o in slot)
        new = tuple(old[i] for i in order)
        renamed = dict(zip(slot, new))
        scene = replace(scene, objects=tuple(replace(m, name=renamed.get(m.object_id, m.name))
                                             for m in scene.objects))
    elif kind == "attributes":
        old = tuple(a for _, a in slot)
        new = tuple(old[i] for i in order)
        for (object_id, before), after in zip(slot, new):
            mention = scene.mention(object_id)
            scene = _with_mention(scene, object_id,
                                  attributes=tuple(after if a == before else a for a in mention.attributes))
    else:
        old = tuple(scene.relations[i][1] for i in slot)
        new = tuple(old[i] for i in order)
        relations = list(scene.relations)
        for index, predicate in zip(slot, new):
            subject, _, obj = relations[index]
            relations[index] = (subject, predicate, obj)
        scene = replace(scene, relations=tuple(relations))
    return scene, Edit("swap", f"permute_{kind}", tuple(slot), old, new)


def _possible_foils(positive: Scene, plausibility):
    """``foil -> bool``: whether *plausibility* admits everything the foil states
    anew (:meth:`crepe_gen.productivity.weights.Plausibility.admits`); None when
    it cannot tell (every foil is then admitted)."""
    admits = getattr(plausibility, "admits", None)
    return None if admits is None else (lambda foil: admits(foil, positive))


def swap_foils(graph: nx.MultiDiGraph, scene: Scene, lexicon, rng,
               config: NegativeConfig = NegativeConfig(), renderer=None, plausibility=None):
    """``(positive, [(foil scene, edit), ...])``: the other orderings of three atoms of one kind.

    Three values have six orderings: the positive and five foils, each foil
    as far from the others as from the positive (so the positive is not the
    candidate closest to all others), and every word kept. A relation whose
    ends are exchanged by a permutation of names must not hold reversed
    (symmetric predicates always do, so they are never swapped). A row needs
    all five orderings false for the image. With a *plausibility* that tells
    which statements are possible, triples whose every foil states only
    possible relations and attribute bindings
    (:meth:`~crepe_gen.productivity.weights.Plausibility.admits`: no "a phone
    is wearing a man") are preferred; a row with impossible ones is made only when the
    subgraph has no other (its provenance says so, and balancing takes such
    rows last, :func:`crepe_gen.productivity.balancing.balance_cells`).
    """
    renderer = _renderer(renderer)
    orders = list(itertools.permutations(range(3)))[1:1 + config.negatives]
    if len(orders) < config.negatives:
        return None  # three values have only five other orderings
    target = 1 + rng.randrange(len(orders))
    possible_rows, other_rows = [], []
    admissible = _possible_foils(scene, plausibility)
    for kind, slot in swap_slots(scene, rng, lexicon)[:config.slots]:
        collector = _Collector(graph, scene, renderer, config.negatives)
        for order in orders:
            if not collector.offer(*permuted(scene, kind, slot, order)):
                break
        if len(collector.found) < len(orders):
            continue
        row = collector.result()
        if admissible is None or all(admissible(foil) for foil, _ in row[1]):
            possible_rows.append(row)
        else:
            other_rows.append(row)
        if plausibility is None or len(possible_rows) >= config.oversample:
            break
    valid = possible_rows or other_rows
    if not valid:
        return None
    if plausibility is None:
        return valid[0]
    # Among the valid triples, the one whose positive ranks nearest a random
    # target rank (1..5) by plausibility: the positive is not the most usual
    # caption of its row, which text models would otherwise learn.
    def distance(row):
        positive, foils = row
        score = plausibility(positive)
        rank = sum(plausibility(foil) > score for foil, _ in foils)
        return abs(rank - target)
    return min(valid, key=distance)


# -- negate -------------------------------------------------------------------------------
#: Why a negate row was dropped (the keys counted in the manifest's ``skipped``).
NEGATE_DROPS = {
    "unstated": "negate: too few atoms of the image that the caption does not state",
    "positive": "negate: no replaced unstated atom whose denial is true at the crop",
    "foils": "negate: too few denials false at the crop",
}


def _atom_slot(atom: tuple):
    """The :data:`_ATOM_RULES` slot of an atom reference."""
    return atom[1] if atom[0] in ("object", "relation") else tuple(atom[1:])


def _replaced_atom(atom: tuple, edit: Edit) -> tuple:
    """The reference of *atom* after *edit* replaced its word."""
    return ("attribute", atom[1], edit.new[0]) if atom[0] == "attribute" else atom


def _shares_word(a: str, b: str) -> bool:
    return bool(set(a.split()) & set(b.split()))


def _denial(atom: tuple, scene: Scene) -> Edit:
    """The edit record of denying *atom* of *scene* (its words as *old*)."""
    if atom[0] == "object":
        words = (scene.mention(atom[1]).name,)
    elif atom[0] == "attribute":
        words = (atom[2],)
    else:
        words = (scene.relations[atom[1]][1],)
    return Edit("negate", f"deny_{atom[0]}", (atom[1],), words, ("not",))


def unstated_atoms(graph: nx.MultiDiGraph, scene: Scene, lexicon: Lexicon | None = None, crop_box=None,
                   min_overlap: float = crop.VISIBLE_FRACTION) -> list[tuple]:
    """``(scene with the atom added, atom reference)`` for every atom of the image
    about the caption's objects that the caption does not state: an attribute
    of a mentioned object (none of the category of one it states, none that means
    the same as one it states), a relation of a mentioned object with another
    object (a mentioned one, or a new mention whose name clashes with none)
    and, with *crop_box*, an object visible there that the caption does not
    mention (one per name that clashes with none).

    >>> from crepe_gen.vg.graph import build_graph
    >>> graph = build_graph({"image_id": 1, "objects": [
    ...     {"object_id": 1, "names": ["man"], "synsets": [], "x": 0, "y": 0, "w": 5, "h": 9, "attributes": ["tall"]},
    ...     {"object_id": 2, "names": ["car"], "synsets": [], "x": 4, "y": 4, "w": 5, "h": 5}],
    ...   "relationships": [{"relationship_id": 3, "predicate": "near", "subject_id": 1, "object_id": 2,
    ...                      "synsets": []}]})
    >>> [atom for _, atom in unstated_atoms(graph, Scene((Mention(1, "man", ()),)))]
    [('attribute', 1, 'tall'), ('relation', 0)]
    """
    found = []
    mentioned = {m.object_id for m in scene.objects}

    def replaceable(kind, word):
        return lexicon is None or _deniable(lexicon, kind, word)

    for mention in scene.objects:
        stated_categories = {attribute_category(a) for a in mention.attributes} - {None}
        for attribute in graph.nodes[mention.object_id]["attributes"]:
            if attribute in mention.attributes or attribute_category(attribute) in stated_categories \
                    or has_negation(attribute) or not replaceable("attribute", attribute):
                continue  # "not on": its denial would read as a double negation
            if lexicon is not None and any(lexicon.same_meaning("attribute", attribute, held)
                                           for held in mention.attributes):
                continue
            added = _with_mention(scene, mention.object_id, attributes=mention.attributes + (attribute,))
            found.append((added, ("attribute", mention.object_id, attribute)))
    stated = {(s, o) for s, _, o in scene.relations} | {(o, s) for s, _, o in scene.relations}
    for subject, obj, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1], e[2]["predicate"])):
        predicate = predicate_phrase(data["predicate"])
        if (subject not in mentioned and obj not in mentioned) or (subject, obj) in stated or subject == obj \
                or has_negation(predicate) or not replaceable("relation", predicate):
            continue
        objects = scene.objects
        for end in (subject, obj):
            if end not in mentioned:
                name = graph.nodes[end]["name"]
                if names_clash(name, scene, lexicon) or not replaceable("object", name):
                    break
                objects = objects + (Mention(end, name, ()),)
        else:
            relations = scene.relations + ((subject, predicate, obj),)
            found.append((Scene(objects, relations), ("relation", len(relations) - 1)))
    if crop_box is not None:
        names = set()
        for object_id in sorted(crop.visible_objects(graph, crop_box, min_overlap) - mentioned):
            name = graph.nodes[object_id]["name"]
            if name in names or names_clash(name, scene, lexicon) or not replaceable("object", name):
                continue
            names.add(name)
            found.append((replace(scene, objects=scene.objects + (Mention(object_id, name, ()),)),
                          ("object", object_id)))
    return found


#: The replacement candidates of an atom word, by kind of atom.
_CANDIDATES = {"object": Lexicon.object_candidates, "attribute": Lexicon.attribute_candidates,
               "relation": Lexicon.predicate_candidates}


def _deniable(lexicon: Lexicon, kind: str, word: str) -> bool:
    """Whether a negate row may deny an atom of *kind* said with *word*: one the
    lexicon could replace. The positive's denied atom is such a replacement, so
    foils denying VG's stray names ("keyboard has white", "thing", "grey": a
    name said more often as an attribute) would leave it the one clean denial."""
    if kind == "object" and (not is_lemma(word) or
                             lexicon.attribute_counts.get(word, 0) > lexicon.object_counts.get(word, 0)):
        return False
    return bool(_CANDIDATES[kind](lexicon, word))


def _ties(candidate: Scene, caption: Scene) -> set:
    """What the denial of *candidate* is about beyond *caption*: the object
    names it adds, and the slot it denies (an object's attribute category, a
    pair of objects). Two candidates sharing one are tied ("a cpu is not on the
    desk" beside "there is no cpu", "a floor that is not wood" beside "a floor
    that is not wooden"): a reader would know at most one of them is true."""
    ties = {("name", m.name) for m in candidate.objects} - {("name", m.name) for m in caption.objects}
    kind, *reference = candidate.negated
    if kind == "attribute":
        object_id, attribute = reference
        ties.add(("attribute", object_id, attribute_category(attribute) or attribute))
    elif kind == "relation":
        subject, _, obj = candidate.relations[reference[0]]
        ties.add(("pair", frozenset((subject, obj))))
    return ties


def _tied(ties: set, taken: set, lexicon: Lexicon) -> bool:
    """Whether *ties* share one of *taken*, names by what they may denote
    (:func:`names_clash`: "fridge" and "refrigerator")."""
    def clash(a: str, b: str) -> bool:
        return names_clash(a, Scene((Mention(0, b, ()),)), lexicon)
    return bool(ties & taken) or any(a[0] == b[0] == "name" and clash(a[1], b[1]) for a in ties for b in taken)


def negate_foils(graph: nx.MultiDiGraph, scene: Scene, lexicon: Lexicon, rng,
                 config: NegativeConfig = NegativeConfig(), renderer=None, box=None, plausibility=None,
                 skipped=None):
    """``(positive, [(foil scene, edit), ...])`` or None: every candidate is the
    whole caption plus the denial, in place, of one atom of its own that the
    caption does not state (:func:`unstated_atoms`).

    Each foil denies a true one ("a tall man that is not smiling" of a smiling
    man), a false statement; the positive denies a replacement of another
    one, a true statement ("the man is not under the car" where he is beside
    it), replaced as an atom foil would be (of the same fine class, admitted
    by *plausibility*, false for the image). No statement is shared by some
    candidates and not by others except each candidate's own denial, so no
    majority, odd word or truth assignment points at the positive: only the
    image decides which denial is true (``docs/negation.md``). The positive's
    kind of atom is drawn as often as the foils' kinds occur and its word as
    often as it is denied, so neither tells; with *plausibility*, its denied
    atom's rank among the foils' (each candidate affirmed) is drawn uniformly
    (the positive chosen, of ``config.shortlist`` drawn, nearest that rank among
    the deniable atoms, and the foils around it),
    so "the least usual thing denied" does not tell either. Truth is read at the crop *box*
    (the whole image when None) by the rule of :mod:`crepe_gen.vg.crop`, with
    ``config.min_overlap`` as the visibility threshold. With
    ``config.candidates`` above ``negatives``, up to that many foils are
    returned for a later choice. A dropped row is counted in *skipped* (a
    Counter) under a :data:`NEGATE_DROPS` reason.
    """
    renderer = _renderer(renderer)
    crop_box = box if box is not None else union_box(graph, [m.object_id for m in scene.objects])
    unstated = unstated_atoms(graph, scene, lexicon, crop_box, config.min_overlap)
    if len(unstated) <= config.negatives:
        return _dropped(skipped, "unstated")
    admissible = _possible_foils(scene, plausibility) or (lambda replaced: True)
    kinds = collections.Counter(atom[0] for _, atom in unstated)
    counts = {"object": lexicon.object_counts, "attribute": lexicon.attribute_counts,
              "relation": lexicon.predicate_counts}
    options = []  # (positive, index of the unstated atom it replaces, weight)
    for index, (added, atom) in enumerate(unstated):
        for replaced, edit in _ATOM_RULES[atom[0]](graph, added, lexicon, rng, _atom_slot(atom), 2):
            if atom[0] == "object" and (_shares_word(edit.new[0], edit.old[0])
                                        or not _deniable(lexicon, "object", edit.new[0])):
                continue  # "computer screen" for "computer monitor": too close to deny safely
            if not admissible(replaced) or statement_holds(graph, replaced.statement()):
                continue  # as an atom foil: possible, and false for the image
            candidate = replaced.negating(_replaced_atom(atom, edit))
            if crop.positive_true_at_crop(graph, candidate.statement(), crop_box, config.min_overlap):
                new = edit.new[0]
                rate = lexicon.replacement_rates(atom[0]).get(new) or 1.0
                options.append((candidate, index, kinds[atom[0]] * counts[atom[0]].get(new, 1) / rate))
    if not options:
        return _dropped(skipped, "positive")
    # Foils deny what is there, usually the more typical: under the plausibility of
    # the denied atom (the candidate affirmed), the positive's rank is drawn uniformly.
    denied = (lambda candidate: plausibility(candidate.negating(()))) if plausibility is not None else None
    above = rng.randrange(config.negatives + 1) / config.negatives if plausibility is not None else None
    shortlist = draw(rng, [(i, weight) for i, (*_, weight) in enumerate(options)], config.shortlist)
    if denied is not None:
        # of a few drawn by kind and word frequency, the one nearest the drawn rank among
        # the atoms foils may deny: no "there is no cauliflower" beside a street's things
        pool = sorted(denied(added.negating(atom)) for added, atom in unstated)
        target = pool[min(len(pool) - 1, int((1 - above) * len(pool)))]
        shortlist = [min(shortlist, key=lambda i: (abs(denied(options[i][0]) - target), i))]
    positive, source, _ = options[shortlist[0]]
    collector = _Collector(graph, positive, renderer, config.negatives, denied, config.oversample,
                           keep=config.candidates, above=above,
                           is_false=lambda foil: crop.negative_false_at_crop(graph, foil.statement(), crop_box,
                                                                             config.min_overlap))
    order = [i for i in range(len(unstated)) if i != source]  # the positive's own atom is its alone
    rng.shuffle(order)
    tied = _ties(positive, scene)
    for index in order:
        added, atom = unstated[index]
        foil = added.negating(atom)
        ties = _ties(foil, scene)
        if not _tied(ties, tied, lexicon) and collector.offer(foil, _denial(atom, added)):
            tied |= ties
    return collector.result() or _dropped(skipped, "foils")


def _dropped(skipped, reason: str) -> None:
    if skipped is not None:
        skipped[NEGATE_DROPS[reason]] += 1
    return None


#: Foil makers by foil type (the CLI choice and the folder name).
FOIL_TYPES = {"atom": atom_foils, "swap": swap_foils, "negate": negate_foils}
