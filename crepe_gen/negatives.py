"""Atom, swap and negation foils: edited scenes that are false for the image.

Every foil is an edited :class:`~crepe_gen.captions.Scene`, never an edited
string, so replacements are whole words by construction and every candidate
is rendered by the same code. Each foil is checked false against the image's
FULL scene graph (:func:`crepe_gen.truth.statement_holds`), its text differs
from the positive and from the other foils, and it carries an :class:`Edit`
saying what changed (type, rule, atom, old -> new).

Foil types (:data:`FOIL_TYPES`, keyed by the CLI/file name):

``atom``
    one object, attribute or predicate replaced by a co-hyponym, an attribute
    of the same category or a predicate of the same class
    (:class:`~crepe_gen.lexicon.Lexicon`), drawn by frequency and matched in
    length. Different atoms are preferred for the foils of one row.
``swap``
    atoms of the caption rebound: object names permuted, a relation reversed
    (never a symmetric one), an attribute moved to another object, two
    attributes or two predicates exchanged. The words stay the same.
``negate``
    every candidate ends with one negated clause, "there is no X": the
    positive names something absent from the image, each foil something
    present (but not said elsewhere in the caption). A negation word is thus
    no cue; absent names are drawn with weights that match how often present
    names are negated.

Examples
--------
>>> import random
>>> from crepe_gen.scene_graph import build_graph
>>> from crepe_gen.lexicon import Lexicon
>>> from crepe_gen.captions import Scene, Mention, render
>>> graph = build_graph({"image_id": 1, "objects": [
...     {"object_id": 1, "names": ["cup"], "synsets": ["cup.n.01"], "x": 0, "y": 0, "w": 5, "h": 5,
...      "attributes": ["white"]},
...     {"object_id": 2, "names": ["table"], "synsets": ["table.n.02"], "x": 0, "y": 5, "w": 9, "h": 9}],
...   "relationships": [{"relationship_id": 3, "predicate": "on", "subject_id": 1, "object_id": 2,
...                      "synsets": []}]})
>>> scene = Scene((Mention(1, "cup", ("white",)), Mention(2, "table", ())), ((1, "on", 2),))
>>> foils = swap_foils(graph, scene, None, random.Random(0), NegativeConfig(negatives=3))
>>> sorted(render(foil) for foil, edit in foils[1])
['A cup is on a white table.', 'A table is on a white cup.', 'A white table is on a cup.']
>>> sorted(edit.rule for foil, edit in foils[1])
['move_attribute', 'reverse_relation', 'swap_objects']
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, replace

import networkx as nx

from .captions import Mention, Scene, render
from .lexicon import Lexicon, draw, is_symmetric, name_may_denote, noun_senses, same_attribute
from .names import normalize
from .sampling import usable_object
from .truth import name_in_image, object_has_name, statement_holds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NegativeConfig:
    """``negatives``: foils per row; ``oversample``: valid foils gathered per
    foil kept when a plausibility scorer chooses; ``attempts``: edits tried per row before
    giving up; ``max_permutations``: name permutations considered for swaps;
    ``min_overlap``: share of a present object's box inside the crop for it to
    be preferred as a negated name."""

    negatives: int = 5
    oversample: int = 3
    max_plausibility_lead: float | None = 0.0
    attempts: int = 60
    max_permutations: int = 120
    min_overlap: float = 0.5


@dataclass(frozen=True)
class Edit:
    """What a foil changed. ``rule``: e.g. ``replace_object``, ``reverse_relation``;
    ``target``: which atoms (object ids, relation indexes); ``old``/``new``: the words."""

    type: str
    rule: str
    target: tuple
    old: tuple
    new: tuple

    def to_dict(self) -> dict:
        return {"type": self.type, "rule": self.rule, "target": list(self.target),
                "old": list(self.old), "new": list(self.new)}


def normalized_text(text: str) -> str:
    """Lower case, no punctuation, folded spaces: equal texts are one caption."""
    return " ".join("".join(c if c.isalnum() or c.isspace() else " " for c in text.lower()).split())


class _Collector:
    """Keeps foils that are false for the image and read differently from the
    positive and from each other.

    With a *plausibility* scorer it gathers ``wanted * oversample`` valid foils
    and keeps the ``wanted`` whose plausibility is closest to the positive's, so
    a text-only judge of plausibility finds the positive in the middle of its
    foils rather than on top.
    """

    def __init__(self, graph, positive: Scene, renderer, wanted: int, plausibility=None,
                 oversample: int = 1, max_lead: float | None = None):
        self.graph, self.renderer, self.wanted, self.max_lead = graph, renderer, wanted, max_lead
        self.positive, self.plausibility = positive, plausibility
        self.capacity = wanted * (oversample if plausibility else 1)
        self.seen = {normalized_text(renderer(positive))}
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
        text = normalized_text(self.renderer(scene))
        if text in self.seen or statement_holds(self.graph, scene.statement()):
            return False
        self.seen.add(text)
        self.found.append((scene, edit))
        return True

    def result(self):
        """``(positive, foils)`` or None when too few valid foils were found."""
        if not self.enough:
            return None
        foils = self.found
        if self.plausibility is not None:
            target = self.plausibility(self.positive)
            scores = [self.plausibility(scene) for scene, _ in foils]
            ranked = sorted(range(len(foils)), key=lambda i: (abs(scores[i] - target), i))
            kept = sorted(ranked[:self.wanted])
            if self.max_lead is not None and target > max(scores[i] for i in kept) + self.max_lead:
                return None  # the positive would be the most plausible candidate by far
            foils = [foils[i] for i in kept]
        return self.positive, foils[:self.wanted]


def _renderer(renderer):
    return renderer or (lambda scene: render(scene))


def _mention_synsets(lexicon: Lexicon | None, name: str) -> tuple:
    synset = lexicon.object_synset(name) if lexicon else None
    if synset:
        return (synset,)
    senses = noun_senses(name)
    return senses[:1]


def names_clash(name: str, scene: Scene, lexicon: Lexicon | None = None, skip=None) -> bool:
    """Whether *name* equals or may denote (or be denoted by) a name the scene
    already uses: a caption would then be ambiguous or contradict itself."""
    for mention in scene.objects:
        if mention.object_id == skip:
            continue
        if name == mention.name:
            return True
        if name_may_denote(name, _mention_synsets(lexicon, mention.name)) or \
                name_may_denote(mention.name, _mention_synsets(lexicon, name)):
            return True
    return False


def _with_mention(scene: Scene, object_id, **changes) -> Scene:
    return replace(scene, objects=tuple(replace(m, **changes) if m.object_id == object_id else m
                                        for m in scene.objects))


def _length_matched(candidates, old: str):
    return [(word, weight / (1 + abs(len(word) - len(old)))) for word, weight in candidates]


# -- atom ---------------------------------------------------------------------------------
def atom_foils(graph: nx.MultiDiGraph, scene: Scene, lexicon: Lexicon, rng,
               config: NegativeConfig = NegativeConfig(), renderer=None, plausibility=None):
    """``(positive, [(foil scene, edit), ...])`` with one atom replaced in each foil, or None.

    *plausibility* (``scene -> float``), when given, picks among extra valid
    foils those as plausible as the positive (see :class:`_Collector`)."""
    renderer = _renderer(renderer)
    collector = _Collector(graph, scene, renderer, config.negatives, plausibility, config.oversample,
                           config.max_plausibility_lead)
    atoms = [("object", m.object_id) for m in scene.objects]
    atoms += [("attribute", (m.object_id, a)) for m in scene.objects for a in m.attributes]
    atoms += [("relation", i) for i in range(len(scene.relations))]
    order: list = []
    for _ in range(config.attempts):
        if collector.full:
            break
        if not order:
            order = list(atoms)
            rng.shuffle(order)
        kind, atom = order.pop()
        made = _ATOM_RULES[kind](graph, scene, lexicon, rng, atom)
        if made is not None:
            collector.offer(*made)
    return collector.result()


def _replace_object(graph, scene, lexicon, rng, object_id):
    mention = scene.mention(object_id)
    pool = [(name, weight) for name, weight in lexicon.object_candidates(mention.name)
            if not names_clash(name, scene, lexicon, skip=object_id)
            and not object_has_name(graph, object_id, name)]
    new = draw(rng, _length_matched(pool, mention.name))
    if not new:
        return None
    return (_with_mention(scene, object_id, name=new[0]),
            Edit("atom", "replace_object", (object_id,), (mention.name,), (new[0],)))


def _replace_attribute(graph, scene, lexicon, rng, atom):
    object_id, old = atom
    mention = scene.mention(object_id)
    pool = [(a, weight) for a, weight in lexicon.attribute_candidates(old)
            if not any(same_attribute(a, held) for held in mention.attributes)]
    new = draw(rng, _length_matched(pool, old))
    if not new:
        return None
    attributes = tuple(new[0] if a == old else a for a in mention.attributes)
    return (_with_mention(scene, object_id, attributes=attributes),
            Edit("atom", "replace_attribute", (object_id,), (old,), (new[0],)))


def _replace_predicate(graph, scene, lexicon, rng, index):
    subject, old, obj = scene.relations[index]
    new = draw(rng, _length_matched(lexicon.predicate_candidates(old), old))
    if not new:
        return None
    relations = list(scene.relations)
    relations[index] = (subject, new[0], obj)
    return (replace(scene, relations=tuple(relations)),
            Edit("atom", "replace_predicate", (index,), (old,), (new[0],)))


_ATOM_RULES = {"object": _replace_object, "attribute": _replace_attribute, "relation": _replace_predicate}


# -- swap ---------------------------------------------------------------------------------
def swap_variants(scene: Scene, rng, config: NegativeConfig = NegativeConfig()):
    """Every rebinding of the scene's own atoms, as ``(scene, edit)``, in a seeded order."""
    variants = []
    ids = [m.object_id for m in scene.objects]
    names = [m.name for m in scene.objects]
    permutations = itertools.permutations(range(len(ids)))
    next(permutations)  # the identity
    permutations = list(itertools.islice(permutations, config.max_permutations * 4))
    rng.shuffle(permutations)
    for order in permutations[:config.max_permutations]:
        new_names = [names[i] for i in order]
        if new_names == names:
            continue
        swapped = replace(scene, objects=tuple(replace(m, name=n) for m, n in zip(scene.objects, new_names)))
        changed = tuple(i for i, (a, b) in enumerate(zip(names, new_names)) if a != b)
        variants.append((swapped, Edit("swap", "swap_objects", tuple(ids[i] for i in changed),
                                       tuple(names[i] for i in changed),
                                       tuple(new_names[i] for i in changed))))
    for index, (subject, predicate, obj) in enumerate(scene.relations):
        if is_symmetric(predicate):
            continue
        relations = list(scene.relations)
        relations[index] = (obj, predicate, subject)
        variants.append((replace(scene, relations=tuple(relations)),
                         Edit("swap", "reverse_relation", (index,), (subject, predicate, obj),
                              (obj, predicate, subject))))
    for source, target in itertools.permutations(scene.objects, 2):
        for attribute in source.attributes:
            if any(same_attribute(attribute, held) for held in target.attributes):
                continue
            moved = _with_mention(scene, source.object_id,
                                  attributes=tuple(a for a in source.attributes if a != attribute))
            moved = _with_mention(moved, target.object_id, attributes=(*target.attributes, attribute))
            variants.append((moved, Edit("swap", "move_attribute", (source.object_id, target.object_id),
                                         (attribute,), (attribute,))))
    for first, second in itertools.combinations(scene.objects, 2):
        for a in first.attributes:
            for b in second.attributes:
                if same_attribute(a, b) or any(same_attribute(b, h) for h in first.attributes) \
                        or any(same_attribute(a, h) for h in second.attributes):
                    continue
                swapped = _with_mention(scene, first.object_id,
                                        attributes=tuple(b if x == a else x for x in first.attributes))
                swapped = _with_mention(swapped, second.object_id,
                                        attributes=tuple(a if x == b else x for x in second.attributes))
                variants.append((swapped, Edit("swap", "swap_attributes",
                                               (first.object_id, second.object_id), (a, b), (b, a))))
    for i, j in itertools.combinations(range(len(scene.relations)), 2):
        (s1, p1, o1), (s2, p2, o2) = scene.relations[i], scene.relations[j]
        if p1 == p2:
            continue
        relations = list(scene.relations)
        relations[i], relations[j] = (s1, p2, o1), (s2, p1, o2)
        variants.append((replace(scene, relations=tuple(relations)),
                         Edit("swap", "swap_predicates", (i, j), (p1, p2), (p2, p1))))
    rng.shuffle(variants)
    return variants


def swap_foils(graph: nx.MultiDiGraph, scene: Scene, lexicon, rng,
               config: NegativeConfig = NegativeConfig(), renderer=None, plausibility=None):
    """``(positive, [(foil scene, edit), ...])`` rebinding the scene's atoms, or None."""
    renderer = _renderer(renderer)
    collector = _Collector(graph, scene, renderer, config.negatives, plausibility, config.oversample,
                           config.max_plausibility_lead)
    by_rule: dict = {}
    for variant in swap_variants(scene, rng, config):
        by_rule.setdefault(variant[1].rule, []).append(variant)
    # Round-robin over rules so one row mixes kinds of swaps.
    queues = [by_rule[rule] for rule in sorted(by_rule)]
    tried = 0
    while not collector.full and any(queues) and tried < config.attempts * 4:
        for queue in queues:
            if queue and not collector.full:
                collector.offer(*queue.pop())
                tried += 1
    return collector.result()


# -- negate -------------------------------------------------------------------------------
def _overlap(node: dict, box) -> float:
    x, y, w, h = box
    left, top = max(node["x"], x), max(node["y"], y)
    right, bottom = min(node["x"] + node["w"], x + w), min(node["y"] + node["h"], y + h)
    area = node["w"] * node["h"]
    if area <= 0 or right <= left or bottom <= top:
        return 0.0
    return (right - left) * (bottom - top) / area


def negate_foils(graph: nx.MultiDiGraph, scene: Scene, lexicon: Lexicon, rng,
                 config: NegativeConfig = NegativeConfig(), renderer=None, box=None,
                 absent_weights: dict | None = None, plausibility=None):
    """``(positive with a true "there is no X", [(foil scene, edit), ...])`` or None.

    Foils say "there is no Y" of objects Y in the image (inside *box* first);
    X is drawn from *absent_weights* (``{name: weight}``, by default the
    lexicon's object counts) among names absent from the image. Both come
    from the names of *absent_weights* only, so neither side has words of its own.
    """
    renderer = _renderer(renderer)
    weights = absent_weights if absent_weights is not None else lexicon.object_counts
    present: dict[str, float] = {}
    for object_id in sorted(graph.nodes):
        node = graph.nodes[object_id]
        name = node["name"]
        if name not in weights or not usable_object(graph, object_id) or names_clash(name, scene, lexicon):
            continue
        inside = _overlap(node, box) if box else 1.0
        present[name] = max(present.get(name, 0.0), inside)
    preferred = sorted(n for n, inside in present.items() if inside >= config.min_overlap)
    others = sorted(n for n, inside in present.items() if inside < config.min_overlap)
    if len(preferred) + len(others) < config.negatives:
        return None
    chosen = rng.sample(preferred, min(len(preferred), config.negatives))
    if len(chosen) < config.negatives:
        chosen += rng.sample(others, config.negatives - len(chosen))

    pool = sorted(weights.items())
    positive = None
    for _ in range(config.attempts):
        drawn = draw(rng, pool)
        if not drawn:
            break
        name = drawn[0]
        if name in chosen or names_clash(name, scene, lexicon) or name_in_image(graph, name):
            pool = [(n, w) for n, w in pool if n != name]
            continue
        positive = replace(scene, absent=(name,))
        break
    if positive is None:
        return None
    collector = _Collector(graph, positive, renderer, config.negatives)
    for name in chosen:
        collector.offer(replace(scene, absent=(name,)),
                        Edit("negate", "negate_present", (), (positive.absent[0],), (name,)))
    return collector.result()


#: Foil makers by foil type (the CLI choice and the folder name).
FOIL_TYPES = {"atom": atom_foils, "swap": swap_foils, "negate": negate_foils}
