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
   which it appears wins.
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
import re
import string
import unicodedata
from pathlib import Path

from .errors import InputError

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


@functools.lru_cache(maxsize=1 << 16)
def noun_lemma(word: str) -> str:
    """Dictionary form of a noun: ``"trees"`` -> ``"tree"``, ``"glasses"`` kept."""
    if word in PLURAL_ONLY:
        return word
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    if len(word) <= 3 or not word.endswith("s") or word.endswith("ss"):
        return word
    from lemminflect import getLemma

    lemmas = getLemma(word, upos="NOUN")
    if not lemmas or word in lemmas:
        return word
    return lemmas[0]


def read_alias_file(path) -> dict[str, str]:
    """Read a VG alias file into ``{alias: canonical}`` by the rule above."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except UnicodeDecodeError as error:
        raise InputError(path, f"bytes that are not UTF-8 ({error.reason})") from None
    rows = [[normalize(field) for field in line.split(",")] for line in lines]
    rows = [[f for f in row if f] for row in rows]
    canonical = {row[0] for row in rows if row}
    aliases: dict[str, str] = {}
    for row in rows:
        for alias in row[1:]:
            if alias not in canonical and alias not in aliases and alias != row[0]:
                aliases[alias] = row[0]
    return aliases


class Canonicalizer:
    """Maps raw VG strings to canonical names; memoizes every lookup."""

    def __init__(self, object_aliases: dict | None = None,
                 predicate_aliases: dict | None = None, lemmatize: bool = True):
        self.object_aliases = dict(object_aliases or {})
        self.predicate_aliases = dict(predicate_aliases or {})
        self.lemmatize = lemmatize
        self._objects: dict[str, str] = {}
        self._predicates: dict[str, str] = {}
        self._attributes: dict[str, str] = {}

    @classmethod
    def from_files(cls, object_alias_path=None, relationship_alias_path=None) -> "Canonicalizer":
        return cls(read_alias_file(object_alias_path) if object_alias_path else None,
                   read_alias_file(relationship_alias_path) if relationship_alias_path else None)

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
