"""Canonical names for objects, attributes and predicates.

Visual Genome names are free text typed by crowd workers: ``"ON"``,
``"Framed "``, ``"trees"``, ``"is wearing"``. Everything that compares names
(the scene-graph loader, caption vocabularies, negative checks) goes through
one :class:`Canonicalizer`, so both sides of a comparison agree.

The rule, applied in order:

1. :func:`normalize`: Unicode NFKC, lower case, whitespace folded to single
   spaces, stray punctuation stripped from both ends (inner hyphens and
   apostrophes stay: ``"t-shirt"``, ``"man's"``).
2. Alias files (``object_alias.txt`` for objects, ``relationship_alias.txt``
   for predicates): each line is ``canonical,alias,alias...``. A token that is
   the first field of some line maps to itself; otherwise the first line on
   which it appears wins. The lines themselves are kept too
   (:func:`read_alias_groups`): two words on one line mean the same even
   when both stay canonical.
3. Objects only: the last word is lemmatized as a noun (``"trees"`` ->
   ``"tree"``), except plural-only nouns (``"glasses"``, ``"pants"``).

Examples
--------
>>> normalize("  Framed \\u00a0 ")
'framed'
>>> canon = Canonicalizer(object_aliases={"mans": "man"})
>>> canon.object("Mans"), canon.object("tall trees"), canon.object("glasses")
('man', 'tall tree', 'glasses')
>>> canon.predicate(" ON ")
'on'
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import re
import string
import unicodedata
from pathlib import Path

from ..core.errors import ConfigError, InputError

__all__ = ["PLURAL_ONLY", "COUNTABLE_SINGULARS", "IRREGULAR_PLURALS", "plural_only_form", "normalize", "caption_key",
           "noun_lemma", "noun_lemma_table", "read_alias_file", "read_alias_groups", "Canonicalizer"]

_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = string.punctuation.replace("'", "").replace("%", "") + "\u2018\u2019\u201c\u201d"
_EDGE_STRIP = _EDGE_PUNCTUATION + " "

#: Nouns whose plural is their dictionary form.
PLURAL_ONLY = frozenset(
    "glasses sunglasses eyeglasses goggles pants jeans shorts trousers tights leggings "
    "scissors pliers tongs clothes people police cattle news stairs steps headphones "
    "earphones binoculars overalls pajamas swimtrunks trunks suspenders sweatpants "
    "bleachers skis".split()
)
#: Singulars of plural-only nouns that are nouns of their own ("a tree trunk", "a ski").
COUNTABLE_SINGULARS = frozenset({"glass", "step", "stair", "ski", "trunk"})


@functools.lru_cache(maxsize=1 << 16)
def plural_only_form(name: str) -> str:
    """*name* with the singular Visual Genome writes for a plural-only noun
    said in its plural (the form captions use and the LLM validation accepts).

    >>> plural_only_form("pant"), plural_only_form("blue jean"), plural_only_form("glass"), plural_only_form("cup")
    ('pants', 'blue jeans', 'glass', 'cup')
    """
    rest, _, head = name.rpartition(" ")
    if head not in PLURAL_ONLY and head + "s" in PLURAL_ONLY and head not in COUNTABLE_SINGULARS:
        return f"{rest} {head}s".strip()
    return name


#: Plurals the lemmatizer gets wrong for Visual Genome's nouns.
IRREGULAR_PLURALS = {"leaves": "leaf", "knives": "knife", "shelves": "shelf", "wolves": "wolf",
                     "calves": "calf", "halves": "half", "loaves": "loaf", "scarves": "scarf",
                     "geese": "goose", "mice": "mouse", "teeth": "tooth", "feet": "foot",
                     "men": "man", "women": "woman", "children": "child", "dice": "die",
                     "buses": "bus", "glasses": "glasses", "skies": "sky", "ties": "tie"}


def normalize(text: str) -> str:
    """Lower case, NFKC, folded whitespace, no punctuation at either end."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _SPACES.sub(" ", text).strip(_EDGE_STRIP)
    return text


_CAPTION_PUNCTUATION = str.maketrans({c: " " for c in string.punctuation + "\u2018\u2019\u201c\u201d"})


def caption_key(text: str) -> str:
    """What makes two captions the same caption: lower case, every punctuation
    mark a space, whitespace folded. The generators refuse a negative whose key
    equals its positive's, and the audit counts such pairs with the same key.

    >>> caption_key("  A Red, cup. ") == caption_key("a red cup")
    True
    """
    return " ".join(text.lower().translate(_CAPTION_PUNCTUATION).split())


@functools.lru_cache(maxsize=1 << 16)
def noun_lemma(word: str) -> str:
    """Dictionary form of a noun: ``"trees"`` -> ``"tree"``, ``"glasses"`` kept.

    Words the lemma table does not know (``"logs"``, VG typos such as
    ``"beahcs"``) go through the regular English plural rules.

    >>> noun_lemma("trees"), noun_lemma("glasses"), noun_lemma("boxes"), noun_lemma("beahcs")
    ('tree', 'glasses', 'box', 'beahc')
    >>> noun_lemma("logs"), noun_lemma("berries"), noun_lemma("cactus"), noun_lemma("man's")
    ('log', 'berry', 'cactus', "man's")
    """
    if word in PLURAL_ONLY:
        return word
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    if len(word) <= 3 or not word.endswith("s") or word.endswith("ss"):
        return word
    lemmas = noun_lemma_table().get(word)
    if lemmas is None:
        return _regular_singular(word)
    if word in lemmas:
        return word
    return lemmas[0]


def _regular_singular(word: str) -> str:
    if word.endswith(("'s", "us", "is")) or not word.isalpha() and not word.replace("-", "").isalpha():
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "zes", "sses")):
        return word[:-2]
    return word[:-1]


@functools.lru_cache(maxsize=1)
def noun_lemma_table() -> dict[str, tuple[str, ...]]:
    """``{inflected noun: lemmas}`` from lemminflect's lookup tables.

    The tables are read straight from the installed package's resources:
    importing ``lemminflect`` itself also imports spaCy when it is installed,
    which costs seconds and about 1 GB of memory for one dictionary.
    """
    spec = importlib.util.find_spec("lemminflect")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the lemminflect package is not installed")
    resources = Path(spec.submodule_search_locations[0]) / "resources"
    table: dict[str, tuple[str, ...]] = {}
    with gzip.open(resources / "lemma_lu.csv.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            word, category, lemmas = line.rstrip("\n").split(",", 2)
            if category == "noun":
                table[word] = tuple(lemmas.split("/"))
    overrides = (resources / "lemma_overrides.csv").read_text(encoding="utf-8")
    for line in overrides.splitlines():
        fields = line.split(",")
        if len(fields) == 3 and fields[1] == "NOUN":
            table[fields[0]] = (fields[2],)
    return table


def _alias_rows(path) -> list[list[str]]:
    """The normalized, non-empty fields of each line of a VG alias file."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except UnicodeDecodeError as error:
        raise InputError(path, f"bytes that are not UTF-8 ({error.reason})") from None
    rows = [[normalize(field) for field in line.split(",")] for line in lines]
    return [[f for f in row if f] for row in rows]


def read_alias_file(path) -> dict[str, str]:
    """Read a VG alias file into ``{alias: canonical}`` by the rule above."""
    rows = _alias_rows(path)
    canonical = {row[0] for row in rows if row}
    aliases: dict[str, str] = {}
    for row in rows:
        for alias in row[1:]:
            if alias not in canonical and alias not in aliases and alias != row[0]:
                aliases[alias] = row[0]
    return aliases


def read_alias_groups(path) -> dict[str, frozenset[int]]:
    """``{word: numbers of the lines it stands on}`` of a VG alias file.

    Two words on one line are aliases of each other whichever is canonical
    (``sitting on,sitting in``: each is canonical on a line of its own, so
    canonicalization keeps both, but they still say the same). A word on
    several lines is an alias of the words of each, not of its lines'
    words among themselves (``near,by`` and ``near,around`` do not make
    ``by`` an alias of ``around``).

    >>> from crepe_gen.vg.reader import bundled_sample
    >>> groups = read_alias_groups(bundled_sample() / "relationship_alias.txt")
    >>> bool(groups["sitting on"] & groups["sitting in"]), bool(groups["by"] & groups["around"])
    (True, False)
    """
    groups: dict[str, set] = {}
    for number, row in enumerate(_alias_rows(path)):
        if len(row) > 1:
            for word in row:
                groups.setdefault(word, set()).add(number)
    return {word: frozenset(lines) for word, lines in groups.items()}


class Canonicalizer:
    """Maps raw VG strings to canonical names; memoizes every lookup.

    ``alias_groups`` holds the alias files' lines by kind (``"object"``,
    ``"relation"``; see :func:`read_alias_groups`): what the synonym test
    of :meth:`crepe_gen.language.lexicon.Lexicon.same_meaning` reads.
    """

    def __init__(self, object_aliases: dict | None = None,
                 predicate_aliases: dict | None = None, lemmatize: bool = True,
                 alias_groups: dict | None = None):
        self.object_aliases = dict(object_aliases or {})
        self.predicate_aliases = dict(predicate_aliases or {})
        self.lemmatize = lemmatize
        self.alias_groups = {kind: dict(groups) for kind, groups in (alias_groups or {}).items()}
        self._objects: dict[str, str] = {}
        self._predicates: dict[str, str] = {}
        self._attributes: dict[str, str] = {}
        self._labels: dict[str, str] = {}
        self._name_lists: dict[tuple, tuple | None] = {}
        self._attribute_lists: dict[tuple, tuple] = {}
        self._predicate_labels: dict[str, tuple | None] = {}

    @classmethod
    def from_files(cls, object_alias_path=None, relationship_alias_path=None) -> "Canonicalizer":
        paths = {"object": object_alias_path, "relation": relationship_alias_path}
        return cls(read_alias_file(object_alias_path) if object_alias_path else None,
                   read_alias_file(relationship_alias_path) if relationship_alias_path else None,
                   alias_groups={kind: read_alias_groups(path) for kind, path in paths.items() if path})

    def object(self, raw: str) -> str:
        try:
            return self._objects[raw]
        except KeyError:
            pass
        name = normalize(raw)
        name = self.object_aliases.get(name, name)
        if self.lemmatize and name:
            head, _, last = name.rpartition(" ")
            last = noun_lemma(last)
            name = f"{head} {last}" if head else last
            name = self.object_aliases.get(name, name)
        self._objects[raw] = name
        return name

    def attribute(self, raw: str) -> str:
        try:
            return self._attributes[raw]
        except KeyError:
            name = self._attributes[raw] = normalize(raw)
            return name

    def predicate(self, raw: str) -> str:
        try:
            return self._predicates[raw]
        except KeyError:
            name = normalize(raw)
            name = self._predicates[raw] = self.predicate_aliases.get(name, name)
            return name

    def label(self, raw: str) -> str:
        """``normalize(raw)``, memoized: the name as written, for captions."""
        try:
            return self._labels[raw]
        except KeyError:
            name = self._labels[raw] = normalize(raw)
            return name

    def object_names(self, raw_names) -> tuple[tuple, str, tuple] | None:
        """``(canonical names, label of the first, raw names kept)`` of an
        object's ``names`` (a list, or v1.2's single string); names that are
        not strings or are empty once normalized are dropped; None when no
        name is left.

        >>> Canonicalizer().object_names(["Trees ", " ", "tree"])
        (('tree',), 'trees', ('Trees ', 'tree'))
        >>> Canonicalizer().object_names([""]) is None
        True
        """
        if type(raw_names) is str:
            raw_names = (raw_names,)
        elif type(raw_names) is list:
            raw_names = tuple(raw_names)
        elif type(raw_names) is not tuple:
            return None
        try:
            return self._name_lists[raw_names]
        except KeyError:
            pass
        except TypeError:  # unhashable entries: not names
            raw_names = tuple(n for n in raw_names if type(n) is str)
            return self.object_names(raw_names)
        kept = tuple(n for n in raw_names if type(n) is str and self.label(n))
        found = None
        if kept:
            names = tuple(dict.fromkeys(self.object(n) for n in kept))
            found = (names, self.label(kept[0]), kept)
        self._name_lists[raw_names] = found
        return found

    def attributes(self, raw_attributes) -> tuple[tuple, tuple]:
        """``(canonical attributes, raw attributes)`` of an object's
        ``attributes`` list: deduplicated in order, empty ones and non-strings dropped.

        >>> Canonicalizer().attributes(["White", "white ", "", 3])
        (('white',), ('White', 'white ', ''))
        """
        if not raw_attributes or type(raw_attributes) is not list:
            return (), ()
        key = tuple(raw_attributes)
        try:
            return self._attribute_lists[key]
        except KeyError:
            pass
        except TypeError:
            key = tuple(a for a in raw_attributes if type(a) is str)
            return self.attributes(list(key))
        raw = tuple(a for a in key if type(a) is str)
        canonical = dict.fromkeys(self.attribute(a) for a in raw)
        canonical.pop("", None)
        found = self._attribute_lists[key] = (tuple(canonical), raw)
        return found

    def predicate_label(self, raw) -> tuple[str, str] | None:
        """``(canonical predicate, label)``; None when *raw* is not a
        non-empty string.

        >>> Canonicalizer().predicate_label(" ON ")
        ('on', 'on')
        """
        if type(raw) is not str:
            return None
        try:
            return self._predicate_labels[raw]
        except KeyError:
            label = self.label(raw)
            found = self._predicate_labels[raw] = (self.predicate(raw), label) if label else None
            return found
