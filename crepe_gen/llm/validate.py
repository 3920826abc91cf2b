"""Checks that an LLM's sentence says what its subgraph says, and nothing else.

A completion is accepted only if

* it is a non-empty, complete sentence (not cut off by the token limit);
* it mentions every atom of its :class:`~crepe_gen.vg.scene.Scene` (objects, attributes and
  relation predicates, matched by lemma: ``"wears"`` matches ``wearing``,
  ``"men"`` matches ``man``, VG aliases through :class:`~crepe_gen.language.names.Canonicalizer`);
* every attribute sits on its own object (``"white shirt"`` or ``"shirt is
  white"``) and every relation keeps its direction (subject, then predicate,
  then object), which is what separates a swap foil from its positive;
* it names no object absent from the scene: any word sequence that is a
  Visual Genome object name (one of the *object_words*) must be one of the scene's
  objects; likewise no attribute word (*attribute_words*, when given) that the
  scene does not hold;
* negation appears exactly where intended: right before the atom the scene
  denies ("there is no umbrella", "is not wearing", "not red"), nowhere else;
* a foil differs from its positive and no longer mentions a replaced atom.

The edit itself (which atom was replaced, and that the result is false for the
image) is decided by the negative generator with :mod:`crepe_gen.vg.truth`; these
checks make sure the fluent text still expresses exactly that edited scene.

Examples
--------
>>> scene = Scene.build(objects={1: "man", 2: "shirt"},
...                     attributes=[(1, "tall"), (2, "white")],
...                     relations=[(1, "wearing", 2)])
>>> object_words = frozenset({"man", "shirt", "dog", "hat"})
>>> check_text("A tall man wears a white shirt.", Expectation(scene), object_words)
[]
>>> check_text("A tall man wears a white shirt and a hat.", Expectation(scene), object_words)
['extra_object:hat']
>>> check_text("A white man wears a tall shirt.", Expectation(scene), object_words)
['attribute_binding:tall', 'attribute_binding:white']
>>> check_text("A white shirt wearing a tall man.", Expectation(scene), object_words)
['relation_direction:wearing']
>>> check_text("A tall man wears a white shirt.", Expectation(scene), object_words,
...            attribute_words=frozenset({"tall", "white", "happy"}))
[]
>>> check_text("A happy tall man wears a white shirt.", Expectation(scene), object_words,
...            attribute_words=frozenset({"tall", "white", "happy"}))
['extra_attribute:happy']
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from ..language.names import Canonicalizer, normalize, noun_lemma, plural_only_form
from ..language.tokens import is_negation, words
from ..vg.scene import Scene

__all__ = ["Expectation", "check_text", "lemmas", "plain_words"]

#: Words that may join an object to an attribute placed after it: "the shirt is white".
_LINKING = frozenset({"is", "are", "was", "were", "be", "that", "which", "who", "looks", "look",
                      "appears", "appear", "seems", "very", "quite", "rather", "and", "also",
                      "both", "all", "a", "an", "the", "painted", "colored", "coloured", "not"})
#: Function words that are never counted as object names, whatever the object words say.
_NOT_OBJECTS = frozenset(
    "a an the this that these those it its they them there here he she his her him we you i "
    "is are was were be been of on in at to by for with and or but as from up down off over "
    "under one two three four five some many few other another each all both very no not "
    "top front side back middle left right part piece".split())
#: "a picture of ..." frames a caption; these words are objects only elsewhere.
_FRAMING = frozenset({"image", "picture", "photo", "photograph", "scene", "view", "shot"})
_MAX_PRENOMINAL_GAP = 4


@dataclass(frozen=True)
class Expectation:
    """What a completion must state.

    ``kind``: ``"caption"`` (a positive) or a foil type (``"atom"``,
    ``"swap"``, ``"negate"``). ``removed``: words a foil replaced, which must
    no longer appear (unless the scene still holds them). ``positive``: the
    positive's text, which a foil must differ from.
    """

    scene: Scene
    kind: str = "caption"
    removed: tuple[str, ...] = ()
    positive: str = ""


@functools.lru_cache(maxsize=1 << 16)
def lemmas(word: str) -> frozenset[str]:
    """Every dictionary form *word* could have: ``"wears"`` -> ``{"wears", "wear"}``.

    >>> sorted(lemmas("men"))
    ['man', 'men']
    """
    from lemminflect import getAllLemmas

    forms = {word, noun_lemma(word)}
    for found in getAllLemmas(word).values():
        forms.update(found)
    return frozenset(forms)


def normalized_words(text: str) -> list[str]:
    """The words of *text* (:func:`crepe_gen.language.tokens.words` of its NFKC form).

    >>> normalized_words("A man's T-shirt.")
    ['a', "man's", 't-shirt']
    """
    return words(normalize(text))


@dataclass
class _Sentence:
    words: list[str]
    #: what claimed each word: "object", "attribute", "relation" or None
    used: list[str | None] = field(init=False)

    def __post_init__(self):
        self.used = [None] * len(self.words)
        self.forms = [lemmas(w) for w in self.words]

    def find(self, phrase: str, kind: str = "") -> list[tuple[int, int]]:
        """Spans of unclaimed words matching *phrase* by lemma; claims them
        for *kind* (a check that passes no kind claims nothing)."""
        wanted = [lemmas(w) for w in normalized_words(phrase)]
        if wanted and wanted[0] & {"is", "are", "be"} and len(wanted) > 1:
            wanted = wanted[1:]  # "is on" is stated by "... on ..." as well
        spans = []
        size = len(wanted)
        if not size:
            return spans
        i = 0
        first = wanted[0]
        while i + size <= len(self.words):
            window = range(i, i + size)
            if self.forms[i] & first and all(self.forms[j] & wanted[k] for k, j in enumerate(window)) \
                    and not any(self.used[j] for j in window):
                spans.append((i, i + size))
                if kind:
                    for j in window:
                        self.used[j] = kind
                i += size
            else:
                i += 1
        return spans


def plain_words(names) -> frozenset[str]:
    """*names* (object names or attributes) minus function words and names
    that are not plain words: the object or attribute words of the extra-word checks.

    >>> sorted(plain_words(["man", "the", "t-shirt", "#1", "on"]))
    ['man', 't-shirt']
    """
    return frozenset(name for name in names if name and name not in _NOT_OBJECTS
                     and words(name) == name.split())


def check_text(text: str, expect: Expectation, object_words: frozenset[str], *,
               attribute_words: frozenset[str] = frozenset(), canon: Canonicalizer | None = None,
               finish_reason: str | None = None) -> list[str]:
    """Reasons *text* fails *expect* (empty list: it passes).

    Parameters
    ----------
    text : str
        The completion.
    expect : Expectation
        The scene it must state, and for a foil what it must no longer say.
    object_words : frozenset of str
        Object names (canonical, :func:`plain_words`): any of them in *text*
        that the scene does not hold is an extra object.
    attribute_words : frozenset of str
        Attribute words, likewise (empty: not checked).
    canon : Canonicalizer, optional
        Maps word sequences to canonical object names (default: the VG aliases).
    finish_reason : str, optional
        The server's; ``"length"`` means the sentence was cut off.

    Returns
    -------
    list of str
        Each reason is ``"kind"`` or ``"kind:detail"``; the kinds are the keys
        of the validation counts in the manifest.

    Examples
    --------
    >>> scene = Scene.build({1: "dog"}, [(1, "brown")])
    >>> check_text("A brown dog.", Expectation(scene), frozenset({"dog", "cat"}))
    []
    >>> check_text("A brown dog and a cat.", Expectation(scene), frozenset({"dog", "cat"}))
    ['extra_object:cat']
    """
    canon = canon or _DEFAULT_CANON
    if not text or not text.strip():
        return ["empty"]
    if finish_reason == "length":
        return ["cut_off"]
    words = normalized_words(text)
    if not words:
        return ["empty"]
    failures: list[str] = []
    scene = expect.scene
    sentence = _Sentence(words)

    object_spans = _claim_objects(sentence, {o.name for o in scene.objects}, canon)
    for name in [o.name for o in scene.objects]:
        if not object_spans.get(name):
            failures.append(f"missing_object:{name}")
    relation_spans = {}
    by_predicate: dict[str, list] = {}  # one search per predicate: the first claims every span
    # longest first, so that "on" does not take the "on" of "parked on"
    for rel in sorted(scene.relations, key=lambda r: -len(normalized_words(r[1]))):
        predicate = rel[1]
        if predicate not in by_predicate:
            by_predicate[predicate] = sentence.find(predicate, "relation") if predicate else []
        relation_spans[rel] = by_predicate[predicate]
    for rel in scene.relations:
        if not relation_spans[rel]:
            failures.append(f"missing_relation:{rel[1]}")
    attribute_spans = {}
    for obj in scene.objects:
        for attribute in obj.attributes:
            if attribute not in attribute_spans:
                attribute_spans[attribute] = sentence.find(attribute, "attribute")
            if not attribute_spans[attribute]:
                failures.append(f"missing_attribute:{attribute}")
    failures.extend(_extra_objects(sentence, object_words, canon))
    failures.extend(f"extra_attribute:{w}" for i, w in enumerate(words)
                    if sentence.used[i] is None and w in attribute_words and w not in _NOT_OBJECTS)
    if failures:
        return failures

    for obj in scene.objects:
        for attribute in obj.attributes:
            if not any(_bound(sentence, a, o, object_spans)
                       for a in attribute_spans[attribute] for o in object_spans[obj.name]):
                failures.append(f"attribute_binding:{attribute}")
    for rel in scene.relations:
        subject_id, predicate, object_id = rel
        subjects = object_spans[scene.mention(subject_id).name]
        objects = object_spans[scene.mention(object_id).name]
        if not any(s[0] < p[0] < o[0] for p in relation_spans[rel] for s in subjects for o in objects):
            failures.append(f"relation_direction:{predicate}")
    failures.extend(_check_negation(words, scene, object_spans, relation_spans, attribute_spans))
    if expect.kind != "caption":
        if expect.positive and normalized_words(expect.positive) == words:
            failures.append("same_as_positive")
        stated = {a for o in scene.objects for a in o.attributes} | {o.name for o in scene.objects} \
            | {predicate for _, predicate, _ in scene.relations}
        for word in expect.removed:
            if word not in stated and sentence.find(word):  # among words no atom claimed
                failures.append(f"removed_atom_kept:{word}")
    return failures


_DEFAULT_CANON = Canonicalizer()


def _claim_objects(sentence: _Sentence, names: set[str], canon: Canonicalizer) -> dict[str, list]:
    """Spans naming each of *names* (by canonical n-gram, longest first); a
    name is also found in the form the captions say it in
    (:func:`~crepe_gen.language.names.plural_only_form`: "pants" for "pant")."""
    found: dict[str, list] = {name: [] for name in names}
    said = {canon.object(plural_only_form(name)): name for name in names}
    said.update({name: name for name in names})
    longest = max(len(n.split()) for n in names) if names else 1
    for size in range(longest, 0, -1):
        for i in range(len(sentence.words) - size + 1):
            window = range(i, i + size)
            if any(sentence.used[j] for j in window):
                continue
            name = said.get(canon.object(" ".join(sentence.words[i:i + size])))
            if name is not None:
                found[name].append((i, i + size))
                for j in window:
                    sentence.used[j] = "object"
    for spans in found.values():
        spans.sort()
    return found


def _extra_objects(sentence: _Sentence, object_words, canon: Canonicalizer) -> list[str]:
    extra = []
    words = sentence.words
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            window = range(i, i + size)
            if any(sentence.used[j] for j in window):
                continue
            phrase = " ".join(words[i:i + size])
            if size == 1 and (words[i] in _NOT_OBJECTS or
                              (words[i] in _FRAMING and i + 1 < len(words) and words[i + 1] == "of")):
                continue
            name = canon.object(phrase)
            if name in object_words and name not in _NOT_OBJECTS:
                extra.append(f"extra_object:{name}")
                for j in window:
                    sentence.used[j] = "extra"
    return extra


def _bound(sentence: _Sentence, attribute_span, object_span, object_spans) -> bool:
    """Is the attribute at *attribute_span* said of the object at *object_span*?"""
    other_objects = {j for spans in object_spans.values() for s in spans if s != object_span
                     for j in range(*s)}
    if attribute_span[1] <= object_span[0]:  # "white ... shirt"
        gap = range(attribute_span[1], object_span[0])
        return len(gap) <= _MAX_PRENOMINAL_GAP and not other_objects & set(gap)
    gap = range(object_span[1], attribute_span[0])  # "shirt is white"
    return len(gap) <= 6 and all(sentence.used[j] == "attribute" or sentence.words[j] in _LINKING
                                 for j in gap)


#: How many words before the denied atom its negation word may stand ("no tall brown and orange building").
_NEGATION_REACH = {"object": 6, "attribute": 2, "relation": 2}


def _check_negation(words, scene: Scene, object_spans, relation_spans, attribute_spans) -> list[str]:
    """A negation word right before the denied atom ("there is no umbrella",
    "without an umbrella", "is not wearing", "that is not red") and nowhere else."""
    negation_at = [i for i, w in enumerate(words) if is_negation(w)]
    denials = set()
    if scene.negated:
        kind = scene.negated[0]
        if kind == "object":
            word, spans = scene.mention(scene.negated[1]).name, object_spans[scene.mention(scene.negated[1]).name]
        elif kind == "attribute":
            word, spans = scene.negated[2], attribute_spans[scene.negated[2]]
        else:
            relation = scene.relations[scene.negated[1]]
            word, spans = relation[1], relation_spans[relation]
        denials = {n for start, _ in spans for n in negation_at if 0 < start - n <= _NEGATION_REACH[kind]}
        if not denials:
            return [f"negation_missing:{word}"]
    return ["negation"] if set(negation_at) - denials else []
