"""Replacement candidates by word sense and category, and the word classes behind them.

An atom of a caption is only ever replaced by a word of the same kind:

* objects by **co-hyponyms**: another noun sharing a close WordNet hypernym
  (``dog`` -> ``cat`` through ``carnivore``), never a hypernym or hyponym
  (``dog`` -> ``animal``, ``man`` -> ``person``) and never a word of another
  sense (``plate`` the dish, never ``plate`` -> ``third``). The sense of a
  name is the synset Visual Genome annotates for it; WordNet 3.0
  (:mod:`crepe_gen.language.senses`, whose functions this module re-exports)
  supplies the hypernym tree;
* attributes by another attribute of their **category** (colour for colour);
* predicates by another predicate of their **class** (spatial, possessive,
  action); :data:`SYMMETRIC_PREDICATES` are the ones a swap would not change;
* never by a word that means the same (:meth:`Lexicon.same_meaning`, the one
  synonym test of both sets: spelling variants, the word classes' synonym and
  paraphrase groups, the VG folder's alias files and WordNet synonyms), and
  :func:`draw` with a *clash* test never draws two words that mean the same.

Candidate pools are weighted by how often each atom occurs (in the graphs,
or in the positives once they are sampled, see :meth:`Lexicon.reweighted`), so
replacements are drawn as often as the atoms they imitate.

The word classes live in ``templates/lexicon.yaml``.

Examples
--------
>>> attribute_category("gray"), predicate_class("on top of"), is_symmetric("next to")
('colour', 'spatial', True)
>>> spelling_key("Light Grey"), same_predicate("sitting in", "sitting on")
('light gray', True)
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
from .senses import (hypernym_distances, is_hyponym_or_same, is_lemma, lexical_file, main_sense_shared,
                     name_may_denote, noun_senses, synset_depth, synset_lemmas)

__all__ = ["word_classes", "SYMMETRIC_PREDICATES", "MASS_NOUNS", "UNIQUE_NOUNS", "attribute_category",
           "attribute_rank", "spelling_key", "same_attribute", "predicate_class", "predicate_phrase",
           "same_predicate", "synonym_predicates", "is_weak", "is_symmetric", "LexiconConfig", "Lexicon",
           "AtomTally", "draw"]

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
    sources = {"attribute_synonyms": ("attribute_synonyms",),
               "predicate_synonyms": ("predicate_synonyms", "predicate_paraphrases")}
    for key, sections in sources.items():
        groups: dict[str, set] = collections.defaultdict(set)
        for group in (group for section in sections for group in classes.get(section, ())):
            words = frozenset(normalize(w) for w in group)
            for word in words:
                groups[word] |= words
        synonym_groups[key] = {w: frozenset(g) for w, g in groups.items()}
    spelling = {normalize(variant): normalize(group[0])
                for group in classes.get("spelling_variants", ()) for variant in group[1:]}
    return {
        "attribute_category": _index(classes["attribute_categories"]),
        "category_order": {c: i for i, c in enumerate(classes["attribute_categories"])},
        "predicate_class": _index(classes["predicate_classes"]),
        "predicate_phrase": {normalize(k): normalize(v) for k, v in classes["predicate_phrases"].items()},
        "weak": frozenset(normalize(p) for p in classes["weak_predicates"]),
        "spelling": spelling,
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
def spelling_key(text: str) -> str:
    """*text* with each word in its first spelling of ``spelling_variants``
    (``grey`` -> ``gray``, ``colour`` -> ``color``); what two spellings of one
    word share. Hyphens count as spaces.

    >>> spelling_key("T-Shirt") == spelling_key("t shirt"), spelling_key("colourful")
    (True, 'colorful')
    """
    table = _tables()["spelling"]
    return " ".join(table.get(word, word) for word in normalize(text).replace("-", " ").split())


@functools.lru_cache(maxsize=1 << 16)
def same_attribute(a: str, b: str) -> bool:
    """Whether two attributes are equal, synonyms (``big`` and ``large``) or
    spellings of one word (``grey`` and ``gray``)."""
    a, b = normalize(a), normalize(b)
    return a == b or b in _tables()["attribute_synonyms"].get(a, ()) or spelling_key(a) == spelling_key(b)


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
    """Whether two predicates may state the same relation: :func:`synonym_predicates`,
    or one's words inside the other's (``on`` and ``sitting on``: one says
    more than the other, so the image cannot tell one false and the other true).

    >>> same_predicate("wears", "wearing"), same_predicate("on", "parked on"), same_predicate("on", "under")
    (True, True, False)
    """
    a, b = normalize(a), normalize(b)
    if synonym_predicates(a, b):
        return True
    words_a, words_b = a.split(), b.split()
    return _contains(words_a, words_b) or _contains(words_b, words_a)


@functools.lru_cache(maxsize=1 << 16)
def synonym_predicates(a: str, b: str) -> bool:
    """Whether two predicates say the same in other words: equal once said
    after "is", synonyms or paraphrases (``templates/lexicon.yaml``), or
    spellings of one phrase.

    >>> synonym_predicates("sitting in", "sitting on"), synonym_predicates("on", "parked on")
    (True, False)
    """
    a, b = normalize(a), normalize(b)
    if a == b or predicate_phrase(a) == predicate_phrase(b) or spelling_key(a) == spelling_key(b):
        return True
    synonyms = _tables()["predicate_synonyms"]
    return b in synonyms.get(a, ()) or predicate_phrase(b) in synonyms.get(predicate_phrase(a), ())


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
    ``aliases``: the VG folder's alias-file lines by kind (``"object"``,
    ``"relation"``; :attr:`crepe_gen.language.names.Canonicalizer.alias_groups`),
    read by :meth:`same_meaning`.
    """

    object_counts: dict
    attribute_counts: dict
    predicate_counts: dict
    synsets: dict = field(default_factory=dict)
    config: LexiconConfig = LexiconConfig()
    aliases: dict = field(default_factory=dict)

    @classmethod
    def from_counts(cls, object_counts, attribute_counts, predicate_counts, *, synsets=None,
                    config: LexiconConfig = LexiconConfig(), aliases=None) -> "Lexicon":
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
                   dict(sorted(predicate_counts.items())), dict(sorted(synsets.items())), config,
                   dict(aliases or {}))

    @classmethod
    def from_graphs(cls, graphs, config: LexiconConfig = LexiconConfig(), aliases=None) -> "Lexicon":
        """Count names (with their most common VG synset), attributes of a
        category and predicates of a class over scene graphs."""
        tally = AtomTally(aliases)
        for graph in graphs:
            tally.add(graph)
        return tally.lexicon(config)

    def reweighted(self, object_counts=None, attribute_counts=None, predicate_counts=None) -> "Lexicon":
        """The same lexicon with new weights (atom counts in the positives, say)."""
        return replace(self, object_counts=dict(sorted((object_counts or self.object_counts).items())),
                       attribute_counts=dict(sorted((attribute_counts or self.attribute_counts).items())),
                       predicate_counts=dict(sorted((predicate_counts or self.predicate_counts).items())))

    # -- meaning -------------------------------------------------------------------
    @functools.cached_property
    def _meaning_memo(self) -> dict:
        return {}

    def same_meaning(self, kind: str, a: str, b: str) -> bool:
        """Whether atoms *a* and *b* of *kind* (``"object"``, ``"attribute"``,
        ``"relation"``) mean the same: the one synonym test of both sets.

        True when they are equal or spellings of one word (:func:`spelling_key`),
        stand on one line of the VG folder's alias file of the kind
        (:attr:`aliases`), or by kind: objects share their VG sense
        (:attr:`synsets`, else the main WordNet sense) or one is a word of the
        other's sense (``couch`` of ``sofa.n.01``); attributes are
        :func:`same_attribute` or share a main WordNet adjective sense;
        relations are :func:`synonym_predicates` (synonyms, paraphrases) or,
        one word each, share a main WordNet verb sense (``has``, ``holding``);
        a relation that says more than another (``sitting on``, ``on``) does
        not mean the same (it is never the other's replacement, though:
        :meth:`predicate_candidates`).

        >>> lexicon = Lexicon.from_counts({"couch": 2, "sofa": 1, "chair": 3}, {}, {},
        ...     synsets={"couch": "sofa.n.01", "sofa": "sofa.n.01", "chair": "chair.n.01"},
        ...     aliases={"relation": {"sitting on": {0}, "sitting in": {0}}})
        >>> lexicon.same_meaning("object", "couch", "sofa"), lexicon.same_meaning("object", "couch", "chair")
        (True, False)
        >>> lexicon.same_meaning("attribute", "grey", "gray"), lexicon.same_meaning("relation", "in", "inside")
        (True, True)
        """
        a, b = normalize(a), normalize(b)
        if a == b:
            return True
        key = (kind, a, b) if a < b else (kind, b, a)
        memo = self._meaning_memo
        if key not in memo:
            groups = self.aliases.get(kind, {})
            memo[key] = (spelling_key(a) == spelling_key(b)
                         or bool(groups.get(a, frozenset()) & groups.get(b, frozenset()))
                         or _MEANING_TESTS[kind](self, key[1], key[2]))
        return memo[key]

    def names_object(self, name: str, nodes) -> bool:
        """Whether object name *name* means the same as a name of one of *nodes*
        (the scene-graph node dicts of one object and of its same-box twins) or
        has one of their synsets: such a name would describe the object, not replace it."""
        sense = self._sense(name)
        for node in nodes:
            if sense is not None and sense in node["synsets"]:
                return True
            if any(self.same_meaning("object", name, other) for other in (*node["names"], node["label"])):
                return True
        return False

    def _sense(self, name: str) -> str | None:
        synset = self.synsets.get(name)
        if synset is None:
            senses = noun_senses(name)
            synset = senses[0] if senses else None
        return synset

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
        """Co-hyponyms of *name* that do not mean the same, as ``[(name, weight)]``, sorted by name."""
        if synset is None:
            return self._memoized("object", name, lambda n: self._object_candidates(n, None))
        return self._object_candidates(name, synset)

    def kin(self, name: str) -> list[str]:
        """*name* and its co-hyponyms (:meth:`object_candidates`): the names
        whose selectional company it shares, so that "a woman walking on a
        sidewalk" is evidence for "a man walking on a street"."""
        return [name] + [other for other, _ in self.object_candidates(name)]

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
            if self.same_meaning("object", other, name):
                continue
            candidates.append((other, self.object_counts[other]))
        return candidates

    def attribute_candidates(self, attribute: str) -> list[tuple[str, int]]:
        """Attributes of the same category, those of the same meaning excluded, ``[(attribute, weight)]``."""
        return self._memoized("attribute", attribute, self._attribute_candidates)

    def _attribute_candidates(self, attribute: str) -> list[tuple[str, int]]:
        category = attribute_category(attribute)
        if category is None:
            return []
        return [(other, count) for other, count in self.attribute_counts.items()
                if count >= self.config.min_count and attribute_category(other) == category
                and not self.same_meaning("attribute", other, attribute)]

    def replacement_rates(self, kind: str) -> dict[str, float]:
        """``{word: how often it is drawn as a replacement}`` when an atom of *kind*
        (``"object"``, ``"attribute"``, ``"relation"``) is drawn by count and its
        replacement by count among its candidates, summed over the atoms.

        A word drawn as a replacement more (or less) often than it occurs as an
        atom is a cue when replacements and atoms stand side by side.

        >>> lexicon = Lexicon.from_counts({}, {"red": 3, "blue": 1, "green": 1}, {})
        >>> {a: round(r, 2) for a, r in lexicon.replacement_rates("attribute").items()}
        {'blue': 1.75, 'green': 1.75, 'red': 1.5}
        """
        def compute(_):
            counts = {"object": self.object_counts, "attribute": self.attribute_counts,
                      "relation": self.predicate_counts}[kind]
            find = {"object": self.object_candidates, "attribute": self.attribute_candidates,
                    "relation": self.predicate_candidates}[kind]
            rates = collections.Counter()
            for word, count in counts.items():
                candidates = find(word)
                total = sum(weight for _, weight in candidates)
                for other, weight in candidates:
                    rates[other] += count * weight / total
            return sorted(rates.items())
        return dict(self._memoized("replacement_rates", kind, compute))

    def predicate_candidates(self, predicate: str) -> list[tuple[str, int]]:
        """Predicates of the same class that neither mean the same (:meth:`same_meaning`)
        nor may state the same relation (:func:`same_predicate`)."""
        return self._memoized("predicate", predicate, self._predicate_candidates)

    def _predicate_candidates(self, predicate: str) -> list[tuple[str, int]]:
        kind = predicate_class(predicate)
        if kind is None:
            return []
        return [(other, count) for other, count in self.predicate_counts.items()
                if count >= self.config.min_count and predicate_class(other) == kind
                and not same_predicate(other, predicate) and not self.same_meaning("relation", other, predicate)]


def _same_objects(lexicon: Lexicon, a: str, b: str) -> bool:
    sense_a, sense_b = lexicon._sense(a), lexicon._sense(b)
    if sense_a is None or sense_b is None:
        return False
    return sense_a == sense_b or b in synset_lemmas(sense_a) or a in synset_lemmas(sense_b)


def _same_attributes(lexicon: Lexicon, a: str, b: str) -> bool:
    return same_attribute(a, b) or main_sense_shared(a, b, "a")


def _same_relations(lexicon: Lexicon, a: str, b: str) -> bool:
    if synonym_predicates(a, b):
        return True
    a, b = predicate_phrase(a), predicate_phrase(b)
    return " " not in a and " " not in b and main_sense_shared(a, b, "v")


#: How two atoms of a kind are found to mean the same, after spelling and alias lines.
_MEANING_TESTS = {"object": _same_objects, "attribute": _same_attributes, "relation": _same_relations}


class AtomTally:
    """Counts of the atoms a lexicon is built from, one graph at a time.

    >>> from crepe_gen.vg.reader import VisualGenome
    >>> tally = AtomTally()
    >>> for graph in VisualGenome().scene_graphs():
    ...     tally.add(graph)
    >>> tally.objects["window"], tally.attributes["white"], tally.predicates["wearing"]
    (120, 362, 70)
    """

    def __init__(self, aliases: dict | None = None):
        self.aliases = dict(aliases or {})  # the VG folder's alias lines by kind, for the lexicon
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
                                   config=config, aliases=self.aliases)


def draw(rng, candidates: list[tuple[str, int]], k: int = 1, clash=None) -> list[str]:
    """Draw up to *k* distinct items, each with probability proportional to its weight.

    With *clash* (``(item, item) -> bool``), an item drawn takes out of the
    pool every item that clashes with it (two words of one meaning, say);
    without clashes the draws are the same.

    >>> import random
    >>> draw(random.Random(0), [("a", 1), ("b", 0), ("c", 5)], k=3)
    ['c', 'a']
    >>> draw(random.Random(0), [("a", 1), ("c", 5), ("d", 1)], k=3, clash=lambda x, y: {x, y} == {"a", "c"})
    ['c', 'd']
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
        if clash is not None:
            pool = [(other, weight) for other, weight in pool if not clash(chosen[-1], other)]
    return chosen
