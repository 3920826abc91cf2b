"""Checks that an LLM's sentence says what its subgraph says, and nothing else.

A completion is accepted only if

* it is a non-empty, complete sentence (not cut off by the token limit);
* it mentions every atom of its :class:`Scene` (objects, attributes and
  relation predicates, matched by lemma: ``"wears"`` matches ``wearing``,
  ``"men"`` matches ``man``, VG aliases through :class:`~crepe_gen.language.names.Canonicalizer`);
* every attribute sits on its own object (``"white shirt"`` or ``"shirt is
  white"``) and every relation keeps its direction (subject, then predicate,
  then object), which is what separates a swap foil from its positive;
* it names no object absent from the scene: any word sequence that is a
  Visual Genome object name (the *vocabulary*) must be one of the scene's
  objects; likewise no attribute word (*attributes*, when given) that the
  scene does not hold;
* negation appears exactly where intended: right before each name the scene
  says is absent ("there is no umbrella"), nowhere else;
* a foil differs from its positive and no longer mentions a replaced atom.

The edit itself (which atom was replaced, and that the result is false for the
image) is decided by the negative generator with :mod:`crepe_gen.vg.truth`; these
checks make sure the fluent text still expresses exactly that edited scene.

Examples
--------
>>> scene = Scene.build(objects={1: "man", 2: "shirt"},
...                     attributes=[(1, "tall"), (2, "white")],
...                     relations=[(1, "wearing", 2)])
>>> vocabulary = frozenset({"man", "shirt", "dog", "hat"})
>>> check_text("A tall man wears a white shirt.", Expectation(scene), vocabulary)
[]
>>> check_text("A tall man wears a white shirt and a hat.", Expectation(scene), vocabulary)
['extra_object:hat']
>>> check_text("A white man wears a tall shirt.", Expectation(scene), vocabulary)
['attribute_binding:tall', 'attribute_binding:white']
>>> check_text("A white shirt wearing a tall man.", Expectation(scene), vocabulary)
['relation_direction:wearing']
>>> check_text("A tall man wears a white shirt.", Expectation(scene), vocabulary,
...            attributes=frozenset({"tall", "white", "happy"}))
[]
>>> check_text("A happy tall man wears a white shirt.", Expectation(scene), vocabulary,
...            attributes=frozenset({"tall", "white", "happy"}))
['extra_attribute:happy']
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from ..language.names import Canonicalizer, normalize, noun_lemma

_TOKEN = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")
NEGATIONS = frozenset({"no", "not", "never", "without", "nothing", "none", "nobody", "neither",
                       "nor", "isn't", "aren't", "doesn't", "don't", "wasn't", "weren't"})
#: Words that may join an object to an attribute placed after it: "the shirt is white".
_LINKING = frozenset({"is", "are", "was", "were", "be", "that", "which", "who", "looks", "look",
                      "appears", "appear", "seems", "very", "quite", "rather", "and", "also",
                      "both", "all", "a", "an", "the", "painted", "colored", "coloured"})
#: Function words that are never counted as object names, whatever the vocabulary says.
_NOT_OBJECTS = frozenset(
    "a an the this that these those it its they them there here he she his her him we you i "
    "is are was were be been of on in at to by for with and or but as from up down off over "
    "under one two three four five some many few other another each all both very no not "
    "top front side back middle left right part piece".split())
#: "a picture of ..." frames a caption; these words are objects only elsewhere.
_FRAMING = frozenset({"image", "picture", "photo", "photograph", "scene", "view", "shot"})
_MAX_PRENOMINAL_GAP = 4


@dataclass(frozen=True)
class SceneObject:
    id: int
    name: str
    label: str = ""
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SceneRelation:
    subject: int
    predicate: str
    object: int
    label: str = ""


@dataclass(frozen=True)
class Scene:
    """The atoms a sentence must state: objects (canonical name and caption
    label), their attributes, relations between them by object id, and names
    said to be absent ("there is no umbrella")."""

    objects: tuple[SceneObject, ...]
    relations: tuple[SceneRelation, ...] = ()
    absent: tuple[str, ...] = ()

    @classmethod
    def build(cls, objects: dict, attributes=(), relations=(), absent=()) -> "Scene":
        """From ``{id: name}``, ``[(id, attribute)]``, ``[(subject, predicate, object)]``
        and absent names."""
        attrs: dict[int, list[str]] = {i: [] for i in objects}
        for object_id, attribute in attributes:
            attrs[object_id].append(attribute)
        return cls(tuple(SceneObject(i, name, name, tuple(attrs[i])) for i, name in sorted(objects.items())),
                   tuple(SceneRelation(s, p, o, p) for s, p, o in relations), tuple(absent))

    @classmethod
    def from_dict(cls, data: dict) -> "Scene":
        """From :meth:`crepe_gen.productivity.captions.Scene.to_dict` (the rows' provenance).

        >>> Scene.from_dict({"objects": [{"id": 1, "name": "cup", "attributes": ["red"]}],
        ...                  "relations": [], "absent": ["dog"]}).facts()
        'red cup; no dog'
        """
        return cls.build({o["id"]: o["name"] for o in data["objects"]},
                         [(o["id"], a) for o in data["objects"] for a in o["attributes"]],
                         [tuple(r) for r in data.get("relations", ())], data.get("absent", ()))

    @classmethod
    def from_graph(cls, graph, node_ids=None, edges=None) -> "Scene":
        """From a :mod:`crepe_gen.vg.graph` graph, or the part of it given by
        *node_ids* and *edges* (``(subject, object, key)`` triples)."""
        node_ids = sorted(graph.nodes if node_ids is None else node_ids)
        edges = sorted(graph.edges(keys=True) if edges is None else edges)
        objects = tuple(SceneObject(i, graph.nodes[i]["name"], graph.nodes[i].get("label", ""),
                                    tuple(graph.nodes[i].get("attributes", ())))
                        for i in node_ids)
        relations = tuple(SceneRelation(s, graph.edges[s, o, k]["predicate"], o,
                                        graph.edges[s, o, k].get("label", ""))
                          for s, o, k in edges)
        return cls(objects, relations)

    def object(self, object_id: int) -> SceneObject:
        return next(o for o in self.objects if o.id == object_id)

    def facts(self) -> str:
        """The scene as prompt text: ``"tall man; white shirt; man wearing shirt"``.

        >>> Scene.build({1: "man", 2: "hat"}, [(2, "red")], [(1, "wearing", 2)], ["dog"]).facts()
        'man; red hat; man wearing hat; no dog'
        """
        parts = [" ".join([*obj.attributes, obj.label or obj.name]) for obj in self.objects]
        parts += [f"{self.object(r.subject).label or self.object(r.subject).name} "
                  f"{r.label or r.predicate} {self.object(r.object).label or self.object(r.object).name}"
                  for r in self.relations]
        parts += [f"no {name}" for name in self.absent]
        return "; ".join(parts)


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


def tokens(text: str) -> list[str]:
    """Lower-case word tokens: ``"A man's T-shirt."`` -> ``['a', "man's", 't-shirt']``.

    >>> tokens("A man's T-shirt.")
    ['a', "man's", 't-shirt']
    """
    return _TOKEN.findall(normalize(text).replace("\u2019", "'"))


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
        wanted = [lemmas(w) for w in tokens(phrase)]
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


def object_vocabulary(graphs, *, canon: Canonicalizer | None = None, min_count: int = 1) -> frozenset[str]:
    """Canonical object names seen at least *min_count* times in *graphs*,
    minus function words: the words that count as objects in a completion.

    >>> from crepe_gen.vg.reader import VisualGenome
    >>> vocabulary = object_vocabulary(VisualGenome().scene_graphs())
    >>> "man" in vocabulary, "the" in vocabulary
    (True, False)
    """
    counts: dict[str, int] = {}
    for graph in graphs:
        for _, node in graph.nodes(data=True):
            for name in node.get("names", (node["name"],)):
                counts[name] = counts.get(name, 0) + 1
    return object_words(name for name, n in counts.items() if n >= min_count)


def object_words(names) -> frozenset[str]:
    """*names* (object names or attributes) minus function words and names
    that are not plain words: the vocabulary of the extra-word checks.

    >>> sorted(object_words(["man", "the", "t-shirt", "#1", "on"]))
    ['man', 't-shirt']
    """
    return frozenset(name for name in names if name and name not in _NOT_OBJECTS
                     and all(_TOKEN.fullmatch(w) for w in name.split()))


def check_text(text: str, expect: Expectation, vocabulary: frozenset[str], *,
               attributes: frozenset[str] = frozenset(), canon: Canonicalizer | None = None,
               finish_reason: str | None = None) -> list[str]:
    """Reasons *text* fails *expect* (empty list: it passes).

    Each reason is ``"kind"`` or ``"kind:detail"``; the kinds are the keys of
    the validation counts in the manifest.
    """
    canon = canon or _DEFAULT_CANON
    if not text or not text.strip():
        return ["empty"]
    if finish_reason == "length":
        return ["cut_off"]
    words = tokens(text)
    if not words:
        return ["empty"]
    failures: list[str] = []
    scene = expect.scene
    sentence = _Sentence(words)

    object_spans = _claim_objects(sentence, {o.name for o in scene.objects} | set(scene.absent), canon)
    for name in [o.name for o in scene.objects] + list(scene.absent):
        if not object_spans.get(name):
            failures.append(f"missing_object:{name}")
    relation_spans = {}
    by_phrase: dict[tuple, list] = {}  # one search per predicate: the first claims every span
    # longest first, so that "on" does not take the "on" of "parked on"
    for rel in sorted(scene.relations, key=lambda r: -len(tokens(r.predicate))):
        phrases = (rel.predicate, rel.label)
        if phrases not in by_phrase:
            by_phrase[phrases] = _find_any(sentence, phrases, "relation")
        relation_spans[rel] = by_phrase[phrases]
    for rel in scene.relations:
        if not relation_spans[rel]:
            failures.append(f"missing_relation:{rel.predicate}")
    attribute_spans = {}
    for obj in scene.objects:
        for attribute in obj.attributes:
            if attribute not in attribute_spans:
                attribute_spans[attribute] = sentence.find(attribute, "attribute")
            if not attribute_spans[attribute]:
                failures.append(f"missing_attribute:{attribute}")
    failures.extend(_extra_objects(sentence, vocabulary, canon))
    failures.extend(f"extra_attribute:{w}" for i, w in enumerate(words)
                    if sentence.used[i] is None and w in attributes and w not in _NOT_OBJECTS)
    if failures:
        return failures

    for obj in scene.objects:
        for attribute in obj.attributes:
            if not any(_bound(sentence, a, o, object_spans)
                       for a in attribute_spans[attribute] for o in object_spans[obj.name]):
                failures.append(f"attribute_binding:{attribute}")
    for rel in scene.relations:
        subjects = object_spans[scene.object(rel.subject).name]
        objects = object_spans[scene.object(rel.object).name]
        if not any(s[0] < p[0] < o[0] for p in relation_spans[rel] for s in subjects for o in objects):
            failures.append(f"relation_direction:{rel.predicate}")
    failures.extend(_check_negation(words, scene, object_spans))
    if expect.kind != "caption":
        if expect.positive and tokens(expect.positive) == words:
            failures.append("same_as_positive")
        stated = {a for o in scene.objects for a in o.attributes} | {o.name for o in scene.objects} \
            | {r.predicate for r in scene.relations} | set(scene.absent)
        for word in expect.removed:
            if word not in stated and sentence.find(word):  # among words no atom claimed
                failures.append(f"removed_atom_kept:{word}")
    return failures


_DEFAULT_CANON = Canonicalizer()


def _find_any(sentence: _Sentence, phrases, kind: str) -> list[tuple[int, int]]:
    for phrase in dict.fromkeys(p for p in phrases if p):
        spans = sentence.find(phrase, kind)
        if spans:
            return spans
    return []


def _claim_objects(sentence: _Sentence, names: set[str], canon: Canonicalizer) -> dict[str, list]:
    """Spans naming each of *names* (by canonical n-gram, longest first)."""
    found: dict[str, list] = {name: [] for name in names}
    longest = max(len(n.split()) for n in names) if names else 1
    for size in range(longest, 0, -1):
        for i in range(len(sentence.words) - size + 1):
            window = range(i, i + size)
            if any(sentence.used[j] for j in window):
                continue
            name = canon.object(" ".join(sentence.words[i:i + size]))
            if name in names:
                found[name].append((i, i + size))
                for j in window:
                    sentence.used[j] = "object"
    for spans in found.values():
        spans.sort()
    return found


def _extra_objects(sentence: _Sentence, vocabulary, canon: Canonicalizer) -> list[str]:
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
            if name in vocabulary and name not in _NOT_OBJECTS:
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


def _check_negation(words, scene: Scene, object_spans) -> list[str]:
    """A negation word right before each absent name ("there is no umbrella",
    "without an umbrella") and nowhere else."""
    negation_at = [i for i, w in enumerate(words) if w in NEGATIONS or w.endswith("n't")]
    denials = set()
    for name in scene.absent:
        near = {n for start, _ in object_spans[name] for n in negation_at if 0 < start - n <= 3}
        if not near:
            return [f"negation_missing:{name}"]
        denials |= near
    return ["negation"] if set(negation_at) - denials else []
