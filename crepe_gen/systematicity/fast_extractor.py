"""The ``fast`` extractor (:class:`FastExtractor`): one trie regex finds every
VG name of a caption and every sentence end, then compound rules over each
abstract sentence (the kinds of its names and the classes of the words
between them) make its compounds; the rules run once per distinct abstract
sentence."""

from __future__ import annotations

import functools
import itertools
import re
from operator import itemgetter
from typing import NamedTuple

from .extraction import (COORDINATION_GAP, COPULA_GAP, DETERMINERS, FILLER_PHRASES, FUNCTION_WORDS,
                         MODIFIER_GAP, PARTICLES, SUBJECT_GAP, Extraction)
from .vg_names import VGNames

__all__ = ["FastExtractor", "Gap", "Shape", "gap_classes", "trie_pattern"]

_GAP_WORDS = re.compile(r"[\w'&-]+|,")


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
    """What the compound rules know of a VG name form: which kinds it can
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
    """VG name matching plus compound rules; no parser.

    One precompiled regex splits the lower-cased caption into VG name
    forms, the gaps between them and sentence ends (:data:`SENTENCE_END`:
    the rules never cross one; a caption of several sentences gets their
    extractions merged). The compound rules see only an abstract sentence:
    the :class:`Shape` of each form and the words of each gap reduced by
    :func:`gap_classes` (function words kept, other words by suffix). The
    rules run once per distinct abstract sentence; their result, positions
    of names, becomes a small program (:func:`_program`) that is cached and
    filled with each caption's names. Real web captions rarely repeat a
    whole abstract sentence (about 40-50% of lookups miss on varied
    captions), so the miss path is kept cheap too. The cache is exact: the
    same caption always gives the same extraction, whatever came before.

    Build it once per names table (compiling the trie regex takes a moment);
    :func:`get_extractor` caches instances.
    """

    name = "fast"
    #: Bounds of the caches (cleared when full; results do not depend on them).
    MAX_GAPS = 1 << 20
    MAX_PROGRAMS = 1 << 18

    def __init__(self, names: VGNames):
        self.names = names
        self.surfaces = {**{phrase: (None, None, None, 0) for phrase in FILLER_PHRASES}, **names.surfaces}
        # a sentence end matches outside the group: split gives None in place of a form
        self._split = re.compile(r"(?<![\w'])(" + trie_pattern(self.surfaces) + r")(?![\w-])|"
                                 + SENTENCE_END).split
        shapes: dict = {}
        self._shape_ids = {}
        for surface, (obj, attr, rel, prior) in self.surfaces.items():
            kinds = (obj is not None, attr is not None, rel is not None)
            if sum(kinds) == 1:
                prior = kinds.index(True)   # the prior only decides between kinds
            shape = Shape(*kinds, prior, rel is not None and _is_verb(rel), rel == "of")
            self._shape_ids[surface] = shapes.setdefault(shape, len(shapes))
        self._shapes = list(shapes)
        self._gap_ids = _GapIds(self.MAX_GAPS)
        self._programs: dict = {}    # abstract sentence -> program of its rules result
        self._functions: dict = {}   # rules result -> program
        #: Sentences of two or more forms looked up in the sentence cache, and
        #: how many of them missed it (ran the compound rules).
        self.cache_lookups = self.rule_runs = 0

    def extract_many(self, captions):
        """Extractions of many captions, lazily and in order."""
        return map(self, captions)

    def __call__(self, caption: str) -> Extraction:
        parts = self._split(caption.lower())
        if None in parts[1::2]:  # a sentence end: the rules run per sentence
            return _merged([self._sentence(piece) for piece in _sentences(parts)])
        return self._sentence(parts)

    def _sentence(self, parts: list) -> Extraction:
        """The extraction of one sentence's *parts* (gaps and forms, no sentence end)."""
        if len(parts) < 5:
            return self._single(parts[1]) if len(parts) == 3 else _EMPTY
        surfaces = parts[1::2]
        key = (*map(self._shape_ids.__getitem__, surfaces), *map(self._gap_ids.__getitem__, parts[:-1:2]))
        self.cache_lookups += 1
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
        self.rule_runs += 1
        result = _rules(shapes, gaps)
        program = self._functions.get(result)
        if program is None:
            program = self._functions[result] = _program(result, self.surfaces)
        self._programs[key] = program
        return program

    @functools.lru_cache(maxsize=1 << 14)
    def _single(self, surface: str) -> Extraction:
        """The extraction of a caption with one VG name form: just that atom."""
        *names, prior = self.surfaces[surface]
        kind = next((k for k in (prior, 0, 1, 2) if names[k] is not None), None)
        if kind is None:
            return _EMPTY
        return Extraction(**{("objects", "attributes", "relations")[kind]: (names[kind],)})


_EMPTY = Extraction()
#: Where a sentence ends inside a caption: ". ", "; ", ": ", "! ", "? ", " | ",
#: a dash between spaces, a bullet (not a period after a one-letter word:
#: "t.v. remote"). Web captions join a description, a shop title and a photo
#: credit so; the compound rules never cross such an end.
#: (The punctuation comes first in the pattern: most positions fail there at once.)
SENTENCE_END = r"[.;:!?|\u2022](?<!\b\w[.;:!?|\u2022])[.;:!?|\u2022]*(?!\S)|\s[-\u2013\u2014]+\s"


def _sentences(parts: list) -> list:
    """The parts of each sentence of a split caption: *parts* cut where a
    sentence end stands in place of a form (``None``).

    >>> _sentences(["", "car", "", None, " ", "man", ""])
    [['', 'car', ''], [' ', 'man', '']]
    >>> re.split(SENTENCE_END, "a t.v. remote. a red car - stock photo | by j. smith")
    ['a t.v. remote', ' a red car', 'stock photo ', ' by j. smith']
    """
    pieces, start = [], 0
    for i in range(1, len(parts), 2):
        if parts[i] is None:
            pieces.append(parts[start:i])
            start = i + 1
    pieces.append(parts[start:])
    return pieces


_flat = itertools.chain.from_iterable
_FIELDS = ("objects", "attributes", "relations", "attribute_compounds", "relation_compounds")


def _merged(extractions: list) -> Extraction:
    """The extractions of a caption's sentences as one: distinct entries in order.

    >>> _merged([Extraction(("man",)), Extraction(), Extraction(("dog", "man"))]).objects
    ('man', 'dog')
    """
    found = [extraction for extraction in extractions if extraction is not _EMPTY]
    if len(found) < 2:
        return found[0] if found else _EMPTY
    fields = [extraction.__dict__ for extraction in found]
    return _new_extraction(*[tuple(dict.fromkeys(_flat([f[field] for f in fields]))) for field in _FIELDS])


_SUFFIX_CLASSES = ("ly", "ing", "ed", "en")


def gap_classes(gap: str) -> tuple:
    """The words between two VG name forms as the compound rules see them:
    function words as they are, any other word as ``~`` plus its suffix
    (``-ly``, ``-ing``, ``-ed``, ``-en``), runs of the same class once.

    >>> gap_classes(" is quickly being driven down the unpaved dusty ")
    ('is', '~ly', 'being', '~en', 'down', 'the', '~ed', '~')
    """
    classes: list = []
    for word in map(_word_class, _GAP_WORDS.findall(gap)):
        if not classes or classes[-1] != word:
            classes.append(word)
    return tuple(classes)


@functools.lru_cache(maxsize=1 << 16)
def _word_class(word: str) -> str:
    if word in FUNCTION_WORDS:
        return word
    return "~" + next((suffix for suffix in _SUFFIX_CLASSES if word.endswith(suffix)), "")


class Gap(NamedTuple):
    """All the compound rules ask of the words between two VG name forms.

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
    unknown: bool          # only words outside the names table and function words: "ford utility"

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
        self.by_classes: dict = {}   # gap_classes(text) -> id, never cleared: few distinct

    def __missing__(self, text: str) -> int:
        classes = gap_classes(text)
        number = self.by_classes.get(classes)
        if number is None:
            gap = Gap.of(classes)
            number = self.ids.get(gap)
            if number is None:
                number = self.ids[gap] = len(self.gaps)
                self.gaps.append(gap)
            self.by_classes[classes] = number
        if len(self) >= self.limit:
            self.clear()
        self[text] = number
        return number


def _new_extraction(objects, attributes, relations, attribute_compounds, relation_compounds,
                    _new=object.__new__, _set=object.__setattr__, _cls=Extraction) -> Extraction:
    # the same object as Extraction(...), without the frozen dataclass's five
    # guarded attribute writes: the hot path of the fast extractor
    extraction = _new(_cls)
    _set(extraction, "__dict__", {"objects": objects, "attributes": attributes, "relations": relations,
                                  "attribute_compounds": attribute_compounds,
                                  "relation_compounds": relation_compounds})
    return extraction


def _program(result: tuple, surfaces: dict):
    """A function ``forms -> Extraction`` for the rules' *result*
    (positions ``3 * form + kind``): the forms' entries in *surfaces* (``form
    -> (object, attribute, relation, prior)``) are fetched, flattened, picked
    and zipped by C-level calls only, distinct entries kept in order.

    >>> run = _program(((3, 9), (1,), (8,), ((1, 3),), ((3, 8, 9),)),
    ...                {"men": ("man", None, None, 0), "hat": ("hat", None, None, 0),
    ...                 "red": (None, "red", None, 1), "in": (None, None, "in", 2)})
    >>> run(["red", "men", "in", "hat"]) == Extraction(("man", "hat"), ("red",), ("in",),
    ...                                                 (("red", "man"),), (("man", "in", "hat"),))
    True
    """
    objects, attributes, relations, pairs, triples = result
    fields = [objects, attributes, relations, *zip(*pairs), *zip(*triples)]
    positions = [p for field in fields for p in field]
    if not positions:
        return lambda forms: _EMPTY
    needed = sorted({p // 3 for p in positions})
    slot = {form: n for n, form in enumerate(needed)}
    # one index more than needed: itemgetter of one index would not give a tuple
    get_forms = itemgetter(*needed, needed[0])
    pick = itemgetter(*(4 * slot[p // 3] + p % 3 for p in positions), 0)
    a, b, c = len(objects), len(objects) + len(attributes), len(objects) + len(attributes) + len(relations)
    d, e = c + len(pairs), c + 2 * len(pairs)
    f, g, h = e + len(triples), e + 2 * len(triples), e + 3 * len(triples)

    def run(forms, _entries=surfaces.__getitem__, _flat=itertools.chain.from_iterable, _distinct=dict.fromkeys,
            _new=object.__new__, _set=object.__setattr__, _cls=Extraction):
        v = pick(tuple(_flat(map(_entries, get_forms(forms)))))
        extraction = _new(_cls)   # as _new_extraction, inlined: the hot path
        _set(extraction, "__dict__", {
            "objects": tuple(_distinct(v[:a])), "attributes": tuple(_distinct(v[a:b])),
            "relations": tuple(_distinct(v[b:c])), "attribute_compounds": tuple(_distinct(zip(v[c:d], v[d:e]))),
            "relation_compounds": tuple(_distinct(zip(v[e:f], v[f:g], v[g:h])))})
        return extraction

    return run


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
