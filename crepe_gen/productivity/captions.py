"""Captions from scenes: how what a caption says (a :class:`~crepe_gen.vg.scene.Scene`) is said.

A scene is the structured meaning of one caption (:mod:`crepe_gen.vg.scene`):
object mentions, relations between them and names said to be absent.
Positives are scenes read off a subgraph (:func:`scene_from_subgraph`);
negatives are edited scenes (:mod:`crepe_gen.productivity.negatives`). Every candidate of a
row is rendered by the same backend and style, so surface form is no cue.

Backends live in :data:`CAPTION_BACKENDS` (the CLI choice is the key); the
default ``"template"`` backend renders ``templates/captions.yaml``: articles
(a/an, none for mass nouns, "the" for one-of-a-kind nouns), agreement for
plural-only nouns, adjectives in English order (size, age, shape, state,
colour, material), first mentions with their attributes and later ones as
"the NAME". Every atom of the scene appears in the text.

Examples
--------
>>> scene = Scene(objects=(Mention(1, "man", ("tall",)), Mention(2, "horse", ("brown", "old")),
...                        Mention(3, "grass", ())),
...               relations=((1, "riding", 2), (2, "on", 3)), absent=("umbrella",))
>>> render(scene)
'A tall man is riding an old brown horse. The horse is on grass. There is no umbrella.'
>>> render(scene, style="clauses")
'A tall man is riding an old brown horse, the horse is on grass and there is no umbrella.'
>>> render(Scene(objects=(Mention(7, "pants", ("blue",)),)))
'There are blue pants.'
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from importlib import resources

import networkx as nx
import yaml

from ..language.lexicon import MASS_NOUNS, UNIQUE_NOUNS, attribute_rank, predicate_phrase, word_classes
from ..language.names import PLURAL_ONLY
from ..vg.scene import Mention, Scene

__all__ = ["CAPTION_BACKENDS", "TemplateCaptioner", "caption_templates", "indefinite_article", "is_plural",
           "noun_phrase", "render", "scene_from_subgraph"]

log = logging.getLogger(__name__)


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


def is_plural(name: str) -> bool:
    return name.rsplit(" ", 1)[-1] in PLURAL_ONLY


@functools.lru_cache(maxsize=1 << 16)
def noun_phrase(mention: Mention, first: bool) -> str:
    """``"a tall man"`` at the first mention, ``"the man"`` after."""
    head = mention.name.rsplit(" ", 1)[-1]
    if head in UNIQUE_NOUNS or mention.name in UNIQUE_NOUNS:
        determiner = "the"
    elif not first:
        return f"the {mention.name}"
    elif is_plural(mention.name) or head in MASS_NOUNS or mention.name in MASS_NOUNS:
        determiner = ""
    else:
        determiner = None
    words = sorted(mention.attributes, key=lambda a: (attribute_rank(a), a)) if first else []
    phrase = " ".join([*words, mention.name])
    if determiner is None:
        determiner = indefinite_article(phrase)
    return f"{determiner} {phrase}".strip()


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def render(scene: Scene, style: str = "sentences", templates: dict | None = None) -> str:
    """The caption of *scene* in one of the styles of ``templates/captions.yaml``."""
    templates = templates or caption_templates()
    form = templates["styles"][style]
    finite = templates.get("finite_predicates", {})
    introduced: set = set()
    clauses = []
    mentions = {m.object_id: m for m in scene.objects}

    def mention_of(object_id) -> str:
        first = object_id not in introduced
        introduced.add(object_id)
        return noun_phrase(mentions[object_id], first)

    for subject_id, predicate, object_id in scene.relations:
        subject = mentions[subject_id]
        plural = is_plural(subject.name)
        subject_text = mention_of(subject_id)
        object_text = mention_of(object_id)
        if predicate in finite:
            verb = finite[predicate] if plural else predicate
            clauses.append(form["finite_relation"].format(subject=subject_text, predicate=verb,
                                                         object=object_text))
        else:
            clauses.append(form["relation"].format(subject=subject_text, be="are" if plural else "is",
                                                   predicate=predicate, object=object_text))
    for mention in scene.objects:
        if mention.object_id not in introduced:
            clauses.append(form["lone"].format(be="are" if is_plural(mention.name) else "is",
                                               object=mention_of(mention.object_id)))
    for name in scene.absent:
        clauses.append(form["absent"].format(be="are" if is_plural(name) else "is", absent=name))
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
