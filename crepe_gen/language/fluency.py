"""Fluency rules: named checks that flag a caption as disfluent.

Each rule of :data:`FLUENCY_RULES` is a :class:`FluencyRule` whose ``check``
maps a caption to ``True`` when the caption shows the fault. The rules read
text only, so they run on any CREPE-format folder (the released set or a
generated one); the audit reports the rate of candidates each rule flags,
positives and negatives separately (:mod:`crepe_gen.evaluation.audit`).
The word lists are the project's own: plural-only nouns from
:data:`crepe_gen.language.names.PLURAL_ONLY`, mass nouns and attribute
categories from :mod:`crepe_gen.language.lexicon`; :data:`PSEUDO_OBJECTS`
(Visual Genome names that are not things: "scene", "background") lives here
and is what the productivity sampler refuses as an object.

Noun phrases are found without a parser: a phrase runs from a determiner over
modifier words to its head, the last word before punctuation or a
:data:`BOUNDARY_WORDS` word (verbs, prepositions, conjunctions, determiners).

Examples
--------
>>> flagged_rules("A jean is on a white white board.")
('plural_only_singular', 'repeated_word')
>>> flagged_rules("Jeans are on a white board.")
()
>>> FLUENCY_RULES["stacked_colours"].check("A black white monitor.")
True
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable

from .lexicon import MASS_NOUNS, attribute_category
from .names import COUNTABLE_SINGULARS, PLURAL_ONLY
from .tokens import tokenize

__all__ = ["FluencyRule", "FLUENCY_RULES", "PSEUDO_OBJECTS", "ORDERED_CATEGORIES", "BOUNDARY_WORDS", "PLURAL_ONLY_SINGULARS",
           "flagged_rules", "fluent", "noun_heads"]

#: Visual Genome object names that name no thing of their own: a caption
#: never says "there is a scene" or "there is no colour".
PSEUDO_OBJECTS = frozenset(
    "scene outside inside colour color front background foreground photo photograph image "
    "side part distance view middle left right area section".split()
)

#: Words that end a noun phrase (or start the next one).
BOUNDARY_WORDS = frozenset(
    "is are was were be been has have had and or but of on in at to with by near under over above "
    "below behind beside besides between into onto from for against along around "
    "across through next there it its this that these those which who while as "
    "a an the no one some two three four many several his her their".split()
)
_DETERMINERS = frozenset("a an the no one some two three four many several his her their this that".split())
_SINGULAR = frozenset({"a", "an", "one"})

#: Singulars Visual Genome writes for plural-only nouns ("pant", "jean"),
#: except those that are nouns or attributes of their own ("glass", "short").
PLURAL_ONLY_SINGULARS = frozenset(
    word[:-1] for word in PLURAL_ONLY
    if word.endswith("s") and word[:-1] not in COUNTABLE_SINGULARS and attribute_category(word[:-1]) is None
)
_MASS = frozenset(MASS_NOUNS) - COUNTABLE_SINGULARS


@dataclass(frozen=True)
class FluencyRule:
    """One named fault: ``check(text)`` is True when *text* shows it."""

    name: str
    description: str
    check: Callable[[str], bool]


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in tokenize(text)]


def _is_boundary(token: str) -> bool:
    return not token[:1].isalnum() or token in BOUNDARY_WORDS


def noun_heads(text: str) -> list[tuple[str | None, str, tuple[str, ...], tuple[str, ...], str | None]]:
    """``(determiner, head, modifiers, before, after)`` of every noun phrase:
    *determiner* the word opening the phrase (None when there is none),
    *modifiers* the words between it and the head, *before* the (up to) two
    words in front of the phrase and its determiner, *after* the token after
    the head (None at the end).

    >>> noun_heads("There is a pant on the old table.")[1]
    ('the', 'table', ('old',), ('pant', 'on'), '.')
    """
    tokens = _tokens(text)
    heads = []
    for i, token in enumerate(tokens):
        if _is_boundary(token) or (i + 1 < len(tokens) and not _is_boundary(tokens[i + 1])):
            continue
        start = i
        while start > 0 and not _is_boundary(tokens[start - 1]):
            start -= 1
        determiner = tokens[start - 1] if start > 0 and tokens[start - 1] in _DETERMINERS else None
        end = start - (determiner is not None)
        heads.append((determiner, token, tuple(tokens[start:i]), tuple(tokens[max(0, end - 2):end]),
                      tokens[i + 1] if i + 1 < len(tokens) else None))
    return heads


def _words(text: str) -> list[str]:
    return [t for t in _tokens(text) if t[:1].isalnum()]


def _adjacent(text: str):
    tokens = _tokens(text)
    return zip(tokens, tokens[1:])


def _singular_phrase(determiner, modifiers) -> bool:
    """A phrase opened by a/an/one over adjectives only ("a red", not "a woman wears black")."""
    return determiner in _SINGULAR and all(attribute_category(word) is not None for word in modifiers)


def _plural_only_singular(text: str) -> bool:
    return any(head in PLURAL_ONLY_SINGULARS or (head in PLURAL_ONLY and _singular_phrase(determiner, modifiers))
               for determiner, head, modifiers, _, _ in noun_heads(text))


def _mass_noun_article(text: str) -> bool:
    return any(head in _MASS and _singular_phrase(determiner, modifiers)
               for determiner, head, modifiers, _, _ in noun_heads(text))


def _repeated_word(text: str) -> bool:
    return any(a == b and a[:1].isalnum() for a, b in _adjacent(text))


def _colour(word: str) -> bool:
    return attribute_category(word) == "colour"


def _stacked_colours(text: str) -> bool:
    return any(a != b and _colour(a) and _colour(b) for a, b in _adjacent(text))


#: The adjective categories whose order the rule checks (English order).
ORDERED_CATEGORIES = ("size", "age", "colour", "material")


def _order_rank(word: str) -> int:
    category = attribute_category(word) if word[:1].isalpha() else None
    return ORDERED_CATEGORIES.index(category) if category in ORDERED_CATEGORIES else -1


def _adjective_order(text: str) -> bool:
    return any(_order_rank(b) >= 0 and _order_rank(a) > _order_rank(b) for a, b in _adjacent(text))


def _pseudo_object(text: str) -> bool:
    for determiner, head, modifiers, before, after in noun_heads(text):
        if head not in PSEUDO_OBJECTS or after == "of":
            continue
        if _singular_phrase(determiner, modifiers) or (determiner == "no" and _singular_phrase("a", modifiers)) or (determiner in (None, "the") and before in (("there", "is"), ("there", "are"))):
            return True
    return False


_A_ONE = re.compile(r"\b(a|an) one\b(?![- ]way)", re.IGNORECASE)
_THERE_IS = re.compile(r"\bthere (?:is|are) (?!no\b)", re.IGNORECASE)


def _a_one(text: str) -> bool:
    return bool(_A_ONE.search(text))


def _there_is_list(text: str) -> bool:
    return len(_THERE_IS.findall(text)) >= 3


#: The fluency rules by name, in report order.
FLUENCY_RULES = {rule.name: rule for rule in (
    FluencyRule("plural_only_singular", "plural-only noun in the singular or with a/an/one (\"a pant\", "
                "\"a jeans\")", _plural_only_singular),
    FluencyRule("mass_noun_article", "mass noun with a/an/one (\"a grass\")", _mass_noun_article),
    FluencyRule("repeated_word", "a word repeated (\"a white white board\")", _repeated_word),
    FluencyRule("stacked_colours", "two colour words without \"and\" (\"a black white monitor\")",
                _stacked_colours),
    FluencyRule("adjective_order", "adjectives out of size, age, colour, material order (\"a red old cup\")", _adjective_order),
    FluencyRule("pseudo_object", "a Visual Genome pseudo-object said as a thing (\"there is a scene\", "
                "\"there is no colour\")", _pseudo_object),
    FluencyRule("a_one", "\"a one X\"", _a_one),
    FluencyRule("there_is_list", "three or more \"there is X\" clauses", _there_is_list),
)}


def flagged_rules(text: str, rules: dict = FLUENCY_RULES) -> tuple[str, ...]:
    """Names of the rules that flag *text*, in registry order.

    >>> flagged_rules("There is a scene. There is a cup. There is a plate.")
    ('pseudo_object', 'there_is_list')
    """
    return tuple(name for name, rule in rules.items() if rule.check(text))



@functools.lru_cache(maxsize=1 << 16)
def fluent(text: str) -> bool:
    """Whether no rule of :data:`FLUENCY_RULES` flags *text*. The generators
    keep no foil that is not: a fault found in foils more often than in
    positives is a text-only cue.

    >>> fluent("There is a couch on the left."), fluent("There is a left on the couch.")
    (True, False)
    """
    return not flagged_rules(text)
