"""Captions from scenes: how what a caption says (a :class:`~crepe_gen.vg.scene.Scene`) is said.

A scene is the structured meaning of one caption (:mod:`crepe_gen.vg.scene`):
object mentions, relations between them and at most one atom denied in place.
Positives are scenes read off a subgraph (:func:`scene_from_subgraph`);
negatives are edited scenes (:mod:`crepe_gen.productivity.negatives`). Every candidate of a
row is rendered by the same backend and style, so surface form is no cue.

Backends live in :data:`CAPTION_BACKENDS` (the CLI choice is the key); the
default ``"template"`` backend renders ``templates/captions.yaml``: articles
(a/an, none for mass nouns and "one ...", "the" for one-of-a-kind nouns),
agreement for plural-only nouns, adjectives in English order (size, age,
shape, state, colour, material), first mentions with their attributes and
later ones as "the NAME". Every atom of the scene appears in the text.

:data:`FLUENCY_FIXES` are further fixes against the rules of
:mod:`crepe_gen.language.fluency` ("pant" said "pants", each attribute once,
"black and white", "one person", lone objects listed in one clause); the
``fluency_fixes`` list of ``templates/captions.yaml`` says which ones the
build applies. With all of them the rendered captions pass every rule.

Examples
--------
>>> scene = Scene(objects=(Mention(1, "man", ("tall",)), Mention(2, "horse", ("brown", "old")),
...                        Mention(3, "grass", ()), Mention(4, "umbrella", ())),
...               relations=((1, "riding", 2), (2, "on", 3)))
>>> render(scene)
'A tall man is riding an old brown horse. The horse is on grass. There is an umbrella.'
>>> render(scene, style="clauses")
'A tall man is riding an old brown horse, the horse is on grass and there is an umbrella.'
>>> render(scene.negating(("relation", 0)))
'A tall man is not riding an old brown horse. The horse is on grass. There is an umbrella.'
>>> render(scene.negating(("attribute", 2, "brown")), style="clauses")
'A tall man is riding an old horse that is not brown, the horse is on grass and there is an umbrella.'
>>> render(scene.negating(("object", 4)))
'A tall man is riding an old brown horse. The horse is on grass. There is no umbrella.'
>>> render(Scene(objects=(Mention(7, "pants", ("blue",)),)))
'There are blue pants.'
>>> fixed = {**caption_templates(), "fluency_fixes": list(FLUENCY_FIXES)}
>>> render(Scene(objects=(Mention(7, "pant", ("blue",)), Mention(8, "monitor", ("white", "black")))), templates=fixed)
'There are blue pants and a black and white monitor.'
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field, replace
from importlib import resources

import networkx as nx
import yaml

from ..core.errors import ConfigError
from ..language.lexicon import (MASS_NOUNS, UNIQUE_NOUNS, attribute_category, attribute_rank, predicate_phrase,
                                word_classes)
from ..language.names import PLURAL_ONLY, plural_only_form
from ..vg.scene import Mention, Scene

__all__ = ["CAPTION_BACKENDS", "TemplateCaptioner", "caption_templates", "indefinite_article", "is_plural",
           "surface_name", "described", "noun_phrase", "FLUENCY_FIXES", "render", "scene_from_subgraph"]

log = logging.getLogger(__name__)

#: The renderer's fluency fixes (rules in :mod:`crepe_gen.language.fluency`);
#: ``templates/captions.yaml`` lists under ``fluency_fixes`` the ones it applies.
FLUENCY_FIXES = {
    "plural_only_names": 'the singular VG writes for a plural-only noun takes its plural ("pant" -> "pants")',
    "attributes_once": 'each attribute once, none the name already says ("metal metal rod" -> "metal rod")',
    "join_colours": 'colour words joined by "and" ("black white" -> "black and white")',
    "one_without_article": '"one ..." without an article ("a one person" -> "one person")',
    "list_lone_objects": 'objects in no relation listed in one clause ("there is a cup, a plate and a fork")',
}


def scene_from_subgraph(graph: nx.MultiDiGraph, subgraph) -> Scene:
    """The scene a :class:`~crepe_gen.productivity.sampling.Subgraph` of *graph* describes."""
    attributes = {o: [] for o in subgraph.objects}
    for object_id, attribute in subgraph.attributes:
        attributes[object_id].append(attribute)
    mentions = tuple(Mention(o, graph.nodes[o]["name"], tuple(attributes[o])) for o in subgraph.objects)
    relations = tuple((s, predicate_phrase(graph.edges[s, o, k]["predicate"]), o)
                      for s, o, k in subgraph.relations)
    return Scene(mentions, relations)


# -- the template backend -------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def caption_templates(name: str = "captions.yaml") -> dict:
    text = (resources.files("crepe_gen") / "templates" / name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


_ARTICLE_A = frozenset(word_classes()["article_a"])
_ARTICLE_AN = frozenset(word_classes()["article_an"])


def indefinite_article(phrase: str) -> str:
    """``"a"`` or ``"an"`` for the phrase's first word.

    >>> indefinite_article("apple"), indefinite_article("uniform"), indefinite_article("hour")
    ('an', 'a', 'an')
    """
    word = phrase.split()[0]
    if word in _ARTICLE_AN:
        return "an"
    if word in _ARTICLE_A or any(word.startswith(w) for w in ("uni", "use", "eu", "one")):
        return "a"
    return "an" if word[0] in "aeiou" else "a"


def _fixes(templates: dict) -> frozenset:
    fixes = frozenset(templates.get("fluency_fixes") or ())
    unknown = sorted(fixes - set(FLUENCY_FIXES))
    if unknown:
        raise ConfigError(f"templates: unknown fluency_fixes {', '.join(unknown)}; known: {', '.join(FLUENCY_FIXES)}")
    return fixes


ALL_FIXES = frozenset(FLUENCY_FIXES)


@functools.lru_cache(maxsize=1 << 16)
def surface_name(name: str, fixes: frozenset = ALL_FIXES) -> str:
    """How a name is said: with ``plural_only_names``, the singular Visual
    Genome writes for a plural-only noun takes its plural back
    (:func:`~crepe_gen.language.names.plural_only_form`, which the LLM validation reads too).

    >>> surface_name("pant"), surface_name("blue jean"), surface_name("pant", frozenset())
    ('pants', 'blue jeans', 'pant')
    """
    return plural_only_form(name) if "plural_only_names" in fixes else name


def is_plural(name: str, fixes: frozenset = ALL_FIXES) -> bool:
    return surface_name(name, fixes).rsplit(" ", 1)[-1] in PLURAL_ONLY


def _join_words(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@functools.lru_cache(maxsize=1 << 16)
def described(attributes: tuple[str, ...], name: str, fixes: frozenset = ALL_FIXES) -> str:
    """*name* with its attributes before it, in English adjective order; with
    ``attributes_once`` each once and none the name already says, with
    ``join_colours`` colour words joined by "and" (with a colour the name
    starts with, too).

    >>> described(("white", "black", "old"), "monitor")
    'old black and white monitor'
    >>> described(("metal", "blue"), "metal rod"), described(("red",), "orange cloth")
    ('blue metal rod', 'red and orange cloth')
    """
    said = name.split()
    once = "attributes_once" in fixes
    join = "join_colours" in fixes
    kept = sorted(({a for a in attributes if not set(a.split()) <= set(said)} if once else attributes),
                  key=lambda a: (attribute_rank(a), a))
    words: list[str] = []
    colours: list[str] = []
    for attribute in kept:
        if join and attribute_category(attribute) == "colour":
            colours.append(attribute)
            continue
        if colours:
            words.append(_join_words(colours))
            colours = []
        words.append(attribute)
    if colours and len(said) > 1 and attribute_category(said[0]) == "colour":
        colours.append(said.pop(0))
    if colours:
        words.append(_join_words(colours))
    return " ".join([*words, *said])


@functools.lru_cache(maxsize=1 << 16)
def noun_phrase(mention: Mention, first: bool, fixes: frozenset = ALL_FIXES) -> str:
    """``"a tall man"`` at the first mention, ``"the man"`` after."""
    name = surface_name(mention.name, fixes)
    head = name.rsplit(" ", 1)[-1]
    if head in UNIQUE_NOUNS or name in UNIQUE_NOUNS:
        determiner = "the"
    elif not first:
        return f"the {name}"
    elif is_plural(name, fixes) or head in MASS_NOUNS or name in MASS_NOUNS:
        determiner = ""
    else:
        determiner = None
    phrase = described(mention.attributes, name, fixes)
    if determiner is None:
        one = "one_without_article" in fixes and phrase.split()[0] == "one"
        determiner = "" if one else indefinite_article(phrase)
    return f"{determiner} {phrase}".strip()


def _join_list(phrases: list[str], form: dict) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return form["list_join"].join(phrases[:-1]) + form["list_last_join"] + phrases[-1]


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def render(scene: Scene, style: str = "sentences", templates: dict | None = None) -> str:
    """The caption of *scene* in one of the styles of ``templates/captions.yaml``."""
    templates = templates or caption_templates()
    fixes = _fixes(templates)
    form = templates["styles"][style]
    finite = templates.get("finite_predicates", {})
    introduced: set = set()
    clauses = []
    mentions = {m.object_id: m for m in scene.objects}
    denied_object, denied_attribute = scene.negated_object(), scene.negated_attribute()

    def mention_of(object_id) -> str:
        first = object_id not in introduced
        introduced.add(object_id)
        mention = mentions[object_id]
        if first and object_id == denied_object:
            return form["denied_object"].format(object=described(mention.attributes, surface_name(mention.name, fixes),
                                                                 fixes))
        if first and denied_attribute and denied_attribute[0] == object_id:
            kept = replace(mention, attributes=tuple(a for a in mention.attributes if a != denied_attribute[1]))
            return form["denied_attribute"].format(object=noun_phrase(kept, first, fixes),
                                                   be="are" if is_plural(mention.name, fixes) else "is",
                                                   attribute=denied_attribute[1])
        return noun_phrase(mention, first, fixes)

    for index, (subject_id, predicate, object_id) in enumerate(scene.relations):
        subject = mentions[subject_id]
        plural = is_plural(subject.name, fixes)
        subject_text = mention_of(subject_id)
        object_text = mention_of(object_id)
        negated = "negated_" if index == scene.negated_relation() else ""
        if predicate in finite:
            verb = finite[predicate] if plural or negated else predicate
            clauses.append(form[f"{negated}finite_relation"].format(
                subject=subject_text, predicate=verb, object=object_text, do="do" if plural else "does"))
        else:
            clauses.append(form[f"{negated}relation"].format(subject=subject_text, be="are" if plural else "is",
                                                             predicate=predicate, object=object_text))
    lone = [m for m in scene.objects if m.object_id not in introduced]
    listed = [m for m in lone if m.object_id != denied_object]
    groups = [listed] if listed and "list_lone_objects" in fixes else [[m] for m in listed]
    groups += [[m] for m in lone if m.object_id == denied_object]  # "there is no cup" on its own
    for group in groups:
        things = [mention_of(m.object_id) for m in group]
        clauses.append(form["lone"].format(be="are" if is_plural(group[0].name, fixes) else "is",
                                           object=_join_list(things, form)))
    if form["join"].strip() in (".", "!", "?"):
        clauses = [_capitalize(c) for c in clauses]
    if len(clauses) > 1:
        text = form["join"].join(clauses[:-1]) + form["last_join"] + clauses[-1]
    else:
        text = clauses[0]
    return _capitalize(text) + form["end"]


@dataclass(frozen=True)
class TemplateCaptioner:
    """Renders scenes with ``templates/captions.yaml`` (no randomness of its own)."""

    templates: dict = field(default_factory=caption_templates)

    @property
    def styles(self) -> tuple[str, ...]:
        return tuple(sorted(self.templates["styles"]))

    def render(self, scene: Scene, style: str) -> str:
        return render(scene, style, self.templates)

    def render_row(self, positive: Scene, negatives, edits, style: str) -> list[str]:
        """Captions of a whole row: ``[positive, *negatives]``. *edits* (one
        structured description per negative) let a rewording backend check
        that each rewording still says exactly its edit; templates ignore them."""
        return [self.render(scene, style) for scene in (positive, *negatives)]


#: Caption backends by CLI choice; each is built with no arguments and offers
#: ``styles``, ``render(scene, style)`` and ``render_row(positive, negatives, edits, style)``.
CAPTION_BACKENDS = {"template": TemplateCaptioner}
