"""Systematicity: seen/unseen compound splits per training set, with HN-Atom,
HN-Comp and combined hard negatives, in the released CREPE layout.

A Visual Genome region caption is kept when its atoms (objects, attributes,
relations) and compounds (attribute-object pairs, subject-relation-object
triples, from :mod:`crepe_gen.systematicity.extract`) can be grounded in the image: every
object it names matches a scene-graph object that overlaps the region box (or
belongs to the region's graph, when ``region_graphs.json`` is present).

For each training-set vocabulary (:mod:`crepe_gen.systematicity.counting`) a caption goes to

* ``seen_compounds`` when every atom and every compound occurs at least ``k``
  times in that training set's captions;
* ``unseen_compounds`` when every atom does but at least one compound does not;
* ``unseen_atoms`` (optional) when at least one atom does not.

Negatives are edits of whole tokens of the normalized caption (lower case, no
trailing period, single spaces; the positive is written the same way):

* HN-Atom: one atom replaced by a seen atom of the same kind and sense or
  category (:mod:`crepe_gen.language.lexicon`) that occurs among the set's positives;
  all negatives of a row edit the same slot, and replacements are drawn with
  their likelihood in context under a bigram model of the other images'
  captions, the way the positive's own word was "drawn";
* HN-Comp: the caption's own atoms recombined into other compounds (two
  attributes swapped, an attribute moved to another object, subject and
  object of a relation swapped); none when no recombination is possible or
  false for the image, so the list length varies by row;
* combined: an HN-Comp edit followed by an HN-Atom edit.

Blind-bias controls: edits are of whole tokens; positive and negatives are
normalized alike; no negative equals its positive; the atoms negatives insert
are kept in step with the atoms they remove; and each row's negatives of each
list are picked from its candidates so that the positive's rank under a
text-only n-gram classifier (trained on other images, as ``crepe-gen audit``
does) and its being the shortest or longest candidate are as often as chance
(:func:`balance_negatives`). Rows whose HN-Atom list cannot be balanced are
dropped; an HN-Comp or combined list that cannot be balanced is left empty;
both are counted.

Every negative is checked false for the image against its full scene graph
(:mod:`crepe_gen.vg.truth`): at least one compound or object it states and the
positive does not is absent from the image.

Examples
--------
>>> caption = render(tokenize(normalize("A man in a red shirt. ")))
>>> caption
'a man in a red shirt'
>>> split_of({"object": ["man", "shirt"], "attribute": ["red"], "relation": ["in"]},
...          ["red|shirt", "man|in|shirt"],
...          {("object", "man"): 9, ("object", "shirt"): 4, ("attribute", "red"): 7,
...           ("relation", "in"): 5, ("attribute_compound", "red|shirt"): 2}, min_count=1)
'unseen_compounds'
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import hashlib
import json
import logging
import math
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from lemminflect import getInflection
from tqdm import tqdm

from . import extract as extract_module
from ..language import lexicon
from ..vg import truth
from . import counting as vocab
from ..textonly.balance import drop_predictable, select_by_rank, text_classifier_scores
from ..core.errors import ConfigError, InputError
from ..bench.writer import csv_text
from ..core.io import update_manifest, versions, write_jsonl_atomic, write_text_atomic
from ..language.names import COUNTABLE_SINGULARS, PLURAL_ONLY, normalize
from ..vg.reader import VisualGenome, file_digest

log = logging.getLogger(__name__)

COLUMNS = ["image_id", "region_id", "caption", "x", "y", "width", "height",
           "valid_hard_negs_atom", "valid_hard_negs_comp", "valid_hard_negs_combined"]

#: Training-set names accepted on the command line -> the tag in the released file names.
TRAINING_SET_TAGS = {"cc12m": "cc12m", "yfcc": "yfcc", "yfcc15m": "yfcc",
                     "laion": "laion", "laion400m": "laion"}
#: The three training sets of the release, in the order files are written.
RELEASED_SETS = ("cc12m", "yfcc", "laion")
SPLITS = ("seen_compounds", "unseen_compounds", "unseen_atoms")
ATOM_KINDS = ("object", "attribute", "relation")
_TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_TOKEN = re.compile(r"[\w'-]+|[^\w\s]")
_NO_SPACE_BEFORE = frozenset(",.;:!?)%")
_MAX_SPAN_WORDS = 4


@dataclass(frozen=True)
class SystematicityConfig:
    """Options of the systematicity stage.

    Parameters
    ----------
    seed : int
        Seed of every random draw; same inputs and seed give identical files.
    min_count : int
        ``k``: an atom or compound is *seen* in a training set when its count
        in that set's vocabulary is at least ``k``.
    unseen_atoms : bool
        Also write the ``unseen_atoms`` split.
    extractor : str
        Name of the :func:`crepe_gen.systematicity.extract.extract` extractor.
    max_negatives : int
        At most this many HN-Atom negatives per row.
    comp_negatives : int
        At most this many HN-Comp and, separately, combined negatives per row.
        Each recombination is one edit away from the positive, so with more
        than one the positive is the candidate closest to all the others, a
        text-only cue (the audit's centroid rule).
    min_overlap : float
        A scene-graph object grounds a caption object when at least this
        fraction of the smaller of its box and the region box is shared.
    max_tries : int
        At most this many replacement candidates are tried per atom.
    likely_comp_only : bool
        Keep only HN-Comp and combined negatives whose new word pairs occur in
        other images' captions and that are at least as likely as the
        positive under their bigram model (within ``plausibility_tolerance``
        nats). Few captions have one; the default leaves the text-only bias
        of recombinations to rank balancing instead.
    plausibility_tolerance : float
        With ``likely_comp_only``: how many nats less likely than its positive
        a negative may be.
    candidate_pool : int
        Candidates made per row for each list, before ranks are balanced.
    balance_ranks : bool
        Pick each row's negatives of each list from its candidates so that the
        rank of the positive under a text-only n-gram classifier (trained on
        other images) is uniform over the rows. Off: the first
        ``max_negatives`` candidates are kept.
    classifier_folds : int
        Grouped cross-validation folds of that classifier.
    balance_rounds : int
        Rounds of balancing: the first classifier learns from all candidates,
        each later one from the previous round's choices.
    progress : bool
        Show tqdm progress bars.
    """

    seed: int = 0
    min_count: int = 1
    unseen_atoms: bool = False
    extractor: str = "fast"
    max_negatives: int = 3
    comp_negatives: int = 1
    min_overlap: float = 0.5
    max_tries: int = 40
    likely_comp_only: bool = False
    plausibility_tolerance: float = 0.0
    candidate_pool: int = 8
    balance_ranks: bool = True
    classifier_folds: int = 5
    balance_rounds: int = 1
    progress: bool = False

    def __post_init__(self):
        if self.min_count < 1:
            raise ConfigError(f"min_count must be at least 1, got {self.min_count}")
        if self.max_negatives < 1 or self.comp_negatives < 1:
            raise ConfigError(f"max_negatives and comp_negatives must be at least 1, "
                              f"got {self.max_negatives} and {self.comp_negatives}")
        if not 0 < self.min_overlap <= 1:
            raise ConfigError(f"min_overlap must be in (0, 1], got {self.min_overlap}")

    def splits(self) -> tuple[str, ...]:
        return SPLITS if self.unseen_atoms else SPLITS[:2]


# -- text ---------------------------------------------------------------------
def tokenize(caption: str) -> list[str]:
    """Words (inner hyphens and apostrophes kept) and punctuation marks.

    >>> tokenize("a man's t-shirt, red")
    ['a', "man's", 't-shirt', ',', 'red']
    """
    return _TOKEN.findall(caption)


def render(tokens: Iterable[str]) -> str:
    """Join tokens with single spaces, none before closing punctuation.

    >>> render(["a", "hat", ",", "red"])
    'a hat, red'
    """
    text = ""
    for token in tokens:
        if not token:
            continue
        if text and token[0] not in _NO_SPACE_BEFORE and not text.endswith("("):
            text += " "
        text += token
    return text


def output_name(split: str, tag: str) -> str:
    """``syst_vg_hard_negs_{split}_in_{tag}``, the released file stem.

    >>> output_name("seen_compounds", "laion")
    'syst_vg_hard_negs_seen_compounds_in_laion'
    """
    return f"syst_vg_hard_negs_{split}_in_{tag}"


def training_set_tag(name: str) -> str:
    """The file-name tag of a training set (``laion400m`` -> ``laion``)."""
    tag = TRAINING_SET_TAGS.get(name.lower(), name.lower())
    if not _TAG_PATTERN.match(tag):
        raise ConfigError(f"training-set name {name!r}: use lower-case letters, digits and _")
    return tag


# -- vocabularies and splits ----------------------------------------------------
def vocab_counts(path) -> dict[tuple[str, str], int]:
    """``{(kind, key): count}`` of a vocabulary parquet (compound keys joined with ``|``)."""
    counts = {}
    for kind, counter in vocab.load_vocab(path).items():
        for key, count in counter.items():
            counts[kind, vocab.SEPARATOR.join(key) if isinstance(key, tuple) else key] = int(count)
    return counts


def split_of(atoms: dict[str, list[str]], compounds: list[str], counts: dict, min_count: int) -> str:
    """The split of a caption, given its atoms by kind and its compound keys.

    Compound keys of two parts are attribute compounds, of three relation
    compounds. Returns ``seen_compounds``, ``unseen_compounds`` or
    ``unseen_atoms``.

    >>> split_of({"object": ["cat"]}, ["black|cat"], {("object", "cat"): 1}, 2)
    'unseen_atoms'
    """
    if any(counts.get((kind, name), 0) < min_count for kind, names in atoms.items() for name in names):
        return "unseen_atoms"
    for key in compounds:
        kind = "attribute_compound" if key.count("|") == 1 else "relation_compound"
        if counts.get((kind, key), 0) < min_count:
            return "unseen_compounds"
    return "seen_compounds"


# -- grounding ------------------------------------------------------------------
def overlap(box_a, box_b) -> float:
    """Shared area over the area of the smaller box (0 for empty boxes).

    >>> overlap((0, 0, 10, 10), (5, 0, 10, 10))
    0.5
    """
    ax, ay, aw, ah = box_a
    bx, by, bw, bh = box_b
    width = min(ax + aw, bx + bw) - max(ax, bx)
    height = min(ay + ah, by + bh) - max(ay, by)
    smaller = min(aw * ah, bw * bh)
    if width <= 0 or height <= 0 or smaller <= 0:
        return 0.0
    return width * height / smaller


def ground_objects(graph, objects, region_box, *, min_overlap: float,
                   region_object_ids=None) -> dict[str, list[int]] | None:
    """``{object name: [scene-graph object ids]}``, or None when one name has no match.

    With *region_object_ids* (from a region graph) the candidates are those
    objects; otherwise objects overlapping *region_box* by *min_overlap*.
    """
    matched = {}
    for name in objects:
        ids = []
        for object_id in sorted(region_object_ids if region_object_ids is not None else graph.nodes):
            node = graph.nodes.get(object_id)
            if node is None or name not in node["names"]:
                continue
            if region_object_ids is None and overlap(
                    (node["x"], node["y"], node["w"], node["h"]), region_box) < min_overlap:
                continue
            ids.append(object_id)
        if not ids:
            return None
        matched[name] = ids
    return matched


# -- editable captions ------------------------------------------------------------
@dataclass(eq=False)  # slots compare by identity: two "red" tokens are different slots
class Slot:
    """One token of a caption, or one atom spanning several words."""

    text: str
    kind: str | None = None   # "object", "attribute", "relation" or None
    name: str | None = None   # canonical name of the atom
    plural: bool = False      # objects: the surface form is plural


@dataclass
class Caption:
    """A caption as slots, with its compounds pointing at slots."""

    slots: list
    attribute_compounds: list  # [(attribute slot, object slot)]
    relation_compounds: list   # [(subject slot, relation slot, object slot)]

    def text(self) -> str:
        return render(slot.text for slot in self.slots)

    def copy(self) -> "Caption":
        """A copy with its own slots (compounds point at the new slots)."""
        new = {id(slot): dataclasses.replace(slot) for slot in self.slots}
        return Caption([new[id(slot)] for slot in self.slots],
                       [tuple(new[id(s)] for s in pair) for pair in self.attribute_compounds],
                       [tuple(new[id(s)] for s in triple) for triple in self.relation_compounds])

    def statements(self) -> set[tuple]:
        """What the caption states, by names: objects and compounds."""
        found = {("object", s.name) for s in self.slots if s.kind == "object"}
        found |= {("attribute_compound", a.name, o.name) for a, o in self.attribute_compounds}
        found |= {("relation_compound", s.name, r.name, o.name) for s, r, o in self.relation_compounds}
        return found

    def atoms(self) -> list:
        return [slot for slot in self.slots if slot.kind]


def parse_caption(caption: str, extraction, surfaces: dict) -> Caption:
    """Locate the extraction's atoms as whole-token spans of *caption*.

    *surfaces* maps a text form to ``(object, attribute, relation, ...)``
    canonical names (``None`` where the form is not of that kind), as
    :class:`crepe_gen.systematicity.extract.VGVocabulary` does. Atoms that cannot be found
    as whole tokens stay plain text and their compounds are left out (such a
    caption is still split, but offers fewer edits).

    >>> from crepe_gen.systematicity.extract import Extraction
    >>> ex = Extraction(("man", "shirt"), ("red",), ("in",), (("red", "shirt"),), (("man", "in", "shirt"),))
    >>> surfaces = {"man": ("man", None, None), "shirt": ("shirt", None, None),
    ...             "red": (None, "red", None), "in": (None, None, "in")}
    >>> parsed = parse_caption("a man in a red shirt", ex, surfaces)
    >>> [(s.text, s.kind) for s in parsed.slots]
    [('a', None), ('man', 'object'), ('in', 'relation'), ('a', None), ('red', 'attribute'), ('shirt', 'object')]
    >>> sorted(parsed.statements())[:2]
    [('attribute_compound', 'red', 'shirt'), ('object', 'man')]
    """
    tokens = tokenize(caption)
    wanted = {"object": set(extraction.objects), "attribute": set(extraction.attributes),
              "relation": set(extraction.relations)}
    claimed = [None] * len(tokens)
    spans = []  # (start, end, kind, name)
    for length in range(min(_MAX_SPAN_WORDS, len(tokens)), 0, -1):  # longest spans first
        for start in range(len(tokens) - length + 1):
            end = start + length
            if any(claimed[start:end]) or not all(_is_word(t) for t in tokens[start:end]):
                continue
            surface = " ".join(tokens[start:end])
            entry = surfaces.get(surface)
            for slot_index, kind in enumerate(ATOM_KINDS):  # objects, attributes, relations
                name = entry[slot_index] if entry else None
                if name is not None and name in wanted[kind]:
                    spans.append((start, end, kind, name))
                    claimed[start:end] = [True] * length
                    break
    spans.sort()
    slots = []
    index = 0
    for start, end, kind, name in spans:
        slots.extend(Slot(t) for t in tokens[index:start])
        surface = " ".join(tokens[start:end])
        slot = Slot(surface, kind, name,
                    plural=kind == "object" and surface.split(" ")[-1] != name.split(" ")[-1])
        slots.append(slot)
        index = end
    slots.extend(Slot(t) for t in tokens[index:])
    position = {id(slot): i for i, slot in enumerate(slots)}
    occurrences = collections.defaultdict(list)
    for slot in slots:
        if slot.kind:
            occurrences[slot.kind, slot.name].append(slot)

    def nearest(kind, name, anchor, side):
        best = None
        for slot in occurrences.get((kind, name), ()):
            gap = position[id(slot)] - anchor
            if side * gap <= 0 and side:
                continue
            if best is None or abs(gap) < abs(position[id(best)] - anchor):
                best = slot
        return best

    attribute_compounds = []
    for attribute, obj in extraction.attribute_compounds:
        pairs = [(abs(position[id(a)] - position[id(o)]), position[id(a)], position[id(o)], a, o)
                 for a in occurrences.get(("attribute", attribute), ())
                 for o in occurrences.get(("object", obj), ())]
        if pairs:
            attribute_compounds.append(min(pairs, key=lambda p: p[:3])[3:])
    relation_compounds = []
    for subject, relation, obj in extraction.relation_compounds:
        for r in occurrences.get(("relation", relation), ()):
            anchor = position[id(r)]
            s = nearest("object", subject, anchor, -1)
            o = nearest("object", obj, anchor, +1)
            if s is not None and o is not None and s is not o:
                relation_compounds.append((s, r, o))
                break
    return Caption(slots, attribute_compounds, relation_compounds)


def _is_word(token: str) -> bool:
    return token[0].isalnum() or token[0] == "'"


@functools.lru_cache(maxsize=1 << 16)
def surface_form(kind: str, name: str, plural: bool) -> str:
    """How an atom is written: objects inflected to the plural when needed.

    >>> surface_form("object", "tree trunk", True), surface_form("object", "pant", False)
    ('tree trunks', 'pants')
    >>> surface_form("object", "tree trunk", False), surface_form("object", "ski", False)
    ('tree trunk', 'ski')
    """
    if kind != "object":
        return name
    head, _, last = name.rpartition(" ")
    inflected = getInflection(last, tag="NNS")
    always_plural = inflected and inflected[0] in PLURAL_ONLY and last not in COUNTABLE_SINGULARS
    if plural or always_plural:  # "pant" is always "pants"
        last = inflected[0] if inflected else last
    return f"{head} {last}" if head else last


def fix_articles(slots: list) -> None:
    """Make every ``a``/``an`` agree with the word after it (in place)."""
    for i, slot in enumerate(slots[:-1]):
        if slot.kind is None and slot.text in ("a", "an"):
            following = next((s.text for s in slots[i + 1:] if s.text), "")
            if following and _is_word(following):
                slot.text = "an" if following[0] in "aeiou" else "a"


# -- truth ----------------------------------------------------------------------
class ImageFacts:
    """Truth checks by name against one image's full scene graph (memoized)."""

    def __init__(self, graph):
        self.graph = graph
        self._ids: dict[str, tuple] = {}
        self._answers: dict[tuple, bool] = {}

    def ids(self, name: str) -> tuple:
        """Objects of the image that may be called *name*."""
        if name not in self._ids:
            self._ids[name] = tuple(i for i in sorted(self.graph.nodes)
                                    if truth.object_has_name(self.graph, i, name))
        return self._ids[name]

    def is_false(self, statement: tuple) -> bool:
        """Whether the scene graph rules *statement* out (see :meth:`Caption.statements`)."""
        if statement not in self._answers:
            self._answers[statement] = not self._holds(statement)
        return self._answers[statement]

    def _holds(self, statement: tuple) -> bool:
        kind, graph = statement[0], self.graph
        if kind == "object":
            return bool(self.ids(statement[1]))
        if kind == "attribute_compound":
            return any(truth.has_attribute(graph, i, statement[1]) for i in self.ids(statement[2]))
        _, subject, relation, obj = statement
        return any(truth.has_relation(graph, s, relation, o)
                   for s in self.ids(subject) for o in self.ids(obj) if s != o)


def false_statements(facts: ImageFacts, positive: Caption, negative: Caption) -> list[tuple]:
    """The statements of *negative* that *positive* lacks and the image rules out."""
    new = sorted(negative.statements() - positive.statements())
    return [statement for statement in new if facts.is_false(statement)]


# -- negatives ------------------------------------------------------------------
@dataclass
class Negative:
    text: str
    edit: dict
    false: list

    def provenance(self) -> dict:
        return {"text": self.text, "edit": self.edit, "false": [list(s) for s in self.false]}


class AtomPool:
    """Replacement atoms of one training set: candidates of the same sense or
    category (:class:`crepe_gen.language.lexicon.Lexicon`) that occur among the set's
    positives and that the training set has seen, weighted by their frequency
    among the positives.

    Parameters
    ----------
    lex : Lexicon
        Candidates by sense and category (Visual Genome's scene graphs).
    frequencies : dict
        ``{kind: Counter}`` of atoms among the positives (the weights).
    counts : dict
        The training set's vocabulary, ``{(kind, key): count}``.
    min_count : int
        Atoms counted fewer times are unseen and never drawn.
    """

    def __init__(self, lex, frequencies: dict, counts: dict, min_count: int):
        self.lexicon = lex.reweighted(frequencies["object"], frequencies["attribute"],
                                      frequencies["relation"])
        self.counts = counts
        self.min_count = min_count
        self._candidates = {
            "object": self.lexicon.object_candidates,
            "attribute": self.lexicon.attribute_candidates,
            "relation": self.lexicon.predicate_candidates,
        }
        self._seen: dict[tuple, list] = {}

    def candidates(self, kind: str, current: str) -> list[tuple[str, int]]:
        """Seen replacements of *current* with their weights (memoized)."""
        key = (kind, current)
        if key not in self._seen:
            self._seen[key] = [(name, weight) for name, weight in self._candidates[kind](current)
                               if self.counts.get((kind, name), 0) >= self.min_count]
        return self._seen[key]


class Balance:
    """Keeps the atoms a list of negatives inserts in step with the atoms it removes.

    A text-only classifier finds the positive when some words occur more often
    in negatives than in positives. Each replacement removes one atom and
    inserts another; preferring to insert atoms removed more often than
    inserted so far (and to remove atoms inserted more often than removed)
    drives every atom's surplus to zero, so no word tells negatives apart.
    """

    def __init__(self):
        self.surplus = collections.Counter()  # inserted minus removed, by (kind, name)

    def order_atoms(self, rng: random.Random, atoms: list) -> list[int]:
        """Atom indices, those most inserted elsewhere first (random among ties)."""
        keys = {i: (-self.surplus[slot.kind, slot.name], rng.random()) for i, slot in enumerate(atoms)}
        return sorted(keys, key=keys.get)

    def record(self, kind: str, removed: str, inserted: str) -> None:
        self.surplus[kind, removed] -= 1
        self.surplus[kind, inserted] += 1


class BigramIndex:
    """A bigram language model of every region caption, to judge word order.

    Counts unigrams and bigrams (with sentence ends) over all captions; a row
    is judged with its own image's captions left out (:meth:`own`), as a
    text-only model trained on other images would see it. An edit is
    *plausible* when every bigram it creates occurs in another image and the
    edited caption is at least as likely as the positive (within
    ``tolerance`` nats), so word order gives no hint which is the positive.

    >>> index = BigramIndex()
    >>> index.add(1, ["a", "red", "car"]); index.add(2, ["a", "red", "shirt"])
    >>> own = index.own([["a", "red", "shirt"]])
    >>> index.attested(["a", "red", "shirt"], own), index.attested(["a", "red", "car"], own)
    (False, True)
    """

    def __init__(self, smoothing: float = 1.0):
        self.counts = collections.Counter()  # bigrams, and unigrams as 1-tuples
        self.smoothing = smoothing
        self.tokens = 0
        self.words = 0

    @staticmethod
    def bigrams(tokens) -> list[tuple[str, str]]:
        padded = ["<s>", *tokens, "</s>"]
        return list(zip(padded, padded[1:]))

    @classmethod
    def grams(cls, tokens) -> list[tuple]:
        return [(t,) for t in ["<s>", *tokens]] + cls.bigrams(tokens)

    def add(self, image_id: int, tokens) -> None:
        for gram in self.grams(tokens):
            if len(gram) == 1:
                self.tokens += 1
                self.words += self.counts[gram] == 0
            self.counts[gram] += 1

    def own(self, captions) -> collections.Counter:
        """Counts of one image's captions (left out when judging its rows)."""
        counts = collections.Counter()
        for tokens in captions:
            counts.update(self.grams(tokens))
        return counts

    def attested(self, tokens, own: collections.Counter, known=()) -> bool:
        """Whether every bigram of *tokens* not in *known* occurs in another image."""
        known = set(known)
        return all(self.counts[b] - own[b] > 0 for b in self.bigrams(tokens) if b not in known)

    def log_likelihood(self, tokens, own: collections.Counter) -> float:
        """Log-probability of *tokens* under the model without *own*'s counts
        (bigrams interpolated with add-one unigrams).

        >>> index = BigramIndex()
        >>> for words in (["a", "red", "car"], ["a", "red", "cup"]): index.add(0, words)
        >>> empty = collections.Counter()
        >>> index.log_likelihood(["a", "red", "car"], empty) > index.log_likelihood(["a", "car", "red"], empty)
        True
        """
        total, vocabulary = self.tokens + 1, self.words + 1
        score = 0.0
        for first, second in self.bigrams(tokens):
            unigram = (self.counts[second,] - own[second,] + 1) / (total + vocabulary)
            pair = self.counts[first, second] - own[first, second]
            context = self.counts[first,] - own[first,]
            score += math.log((pair + self.smoothing * vocabulary * unigram)
                              / (context + self.smoothing * vocabulary))
        return score


@dataclass
class RowContext:
    """What the negatives of one row are made and checked with."""

    facts: ImageFacts
    positive: Caption
    pool: AtomPool
    rng: random.Random
    bigrams: BigramIndex
    own_bigrams: collections.Counter
    tries: int

    tolerance: float = 0.0

    def log_likelihood(self, caption: Caption) -> float:
        """Under the bigram model of the other images' captions."""
        return self.bigrams.log_likelihood(tokenize(caption.text()), self.own_bigrams)

    def plausible(self, edited: Caption) -> bool:
        """Every new bigram occurs in another image, and the edit is at least
        as likely as the positive (within the tolerance)."""
        positive = tokenize(self.positive.text())
        negative = tokenize(edited.text())
        if not self.bigrams.attested(negative, self.own_bigrams, BigramIndex.bigrams(positive)):
            return False
        if self._positive_score is None:
            self._positive_score = self.bigrams.log_likelihood(positive, self.own_bigrams)
        return self.bigrams.log_likelihood(negative, self.own_bigrams) >= self._positive_score - self.tolerance

    _positive_score: float | None = dataclasses.field(default=None, init=False, repr=False)


def atom_negatives(ctx: RowContext, balance: Balance, *, limit: int, forbidden: set) -> list[Negative]:
    """HN-Atom: the same atom of the positive replaced by up to *limit* seen atoms of its kind.

    All negatives of a row edit one slot, so the candidates differ from each
    other exactly as they differ from the positive (no candidate is the
    "centre" of the others). The first slot (in :class:`Balance` order) with
    *limit* valid replacements is used, else the one with the most.
    """
    best = []
    for index in balance.order_atoms(ctx.rng, ctx.positive.atoms()):
        found = replacements(ctx, ctx.positive, index, forbidden=forbidden, limit=limit)
        if len(found) > len(best):
            best = found
        if len(best) >= limit:
            break
    for negative, _ in best:
        balance.record(negative.edit["kind"], negative.edit["from"], negative.edit["to"])
    return [negative for negative, _ in best]


def replacements(ctx: RowContext, base: Caption, index: int, *, forbidden: set, limit: int,
                 as_likely: bool = False) -> list[tuple[Negative, Caption]]:
    """Up to *limit* copies of *base* with atom number *index* replaced.

    Each states something false that the positive does not. Among the valid
    replacements (at most ``ctx.tries`` candidates are tried, picked uniformly)
    the kept ones are drawn with their probability in context under the
    bigram model of other images' captions, the way a real caption's word is
    drawn, so the positive's word does not stand out. With *as_likely*, only
    edits at least as likely as the positive are kept (see :meth:`RowContext.plausible`).
    """
    old = base.atoms()[index]
    in_caption = {s.name for s in base.atoms() if s.kind == old.kind}
    names = [name for name, _ in ctx.pool.candidates(old.kind, old.name) if name not in in_caption]
    if len(names) > ctx.tries:
        names = sorted(ctx.rng.sample(names, ctx.tries))
    valid = []
    for name in names:
        edited = base.copy()
        slot = edited.atoms()[index]
        slot.name, slot.text = name, surface_form(old.kind, name, old.plural)
        fix_articles(edited.slots)
        text = edited.text()
        if text in forbidden or (as_likely and not ctx.plausible(edited)):
            continue
        false = false_statements(ctx.facts, ctx.positive, edited)
        if false:
            edit = {"type": "replace", "kind": old.kind, "from": old.name, "to": name}
            valid.append((ctx.log_likelihood(edited), Negative(text, edit, false), edited))
    if not valid:
        return []
    top = max(score for score, _, _ in valid)
    weights = [(i, math.exp(score - top)) for i, (score, _, _) in enumerate(valid)]
    return [valid[i][1:] for i in lexicon.draw(ctx.rng, weights, limit)]


def comp_edits(caption: Caption) -> Iterator[tuple[dict, Caption]]:
    """Every recombination of the caption's atoms into other compounds."""
    pairs = caption.attribute_compounds
    attributive = [(a, o) for a, o in pairs if a in _noun_phrase(caption, o)]  # "red car", not "car is red"
    for i, (a1, o1) in enumerate(attributive):
        for a2, o2 in attributive[i + 1:]:
            if a1.name != a2.name and o1.name != o2.name and a1 is not a2 and o1 is not o2:
                edited = caption.copy()
                slots = edited.atoms()
                ia, ib = caption.atoms().index(a1), caption.atoms().index(a2)
                slots[ia].name, slots[ia].text, slots[ib].name, slots[ib].text = (
                    slots[ib].name, slots[ib].text, slots[ia].name, slots[ia].text)
                yield {"type": "swap_attributes", "attributes": [a1.name, a2.name],
                       "objects": [o1.name, o2.name]}, edited
    objects = [s for s in caption.atoms() if s.kind == "object"]
    for attribute, owner in pairs:
        if caption.slots.index(attribute) + 1 != caption.slots.index(owner):
            continue  # only attributive adjectives move cleanly
        for target in objects:
            if target.name == owner.name or _has_attributive(caption, target):
                continue
            edited = caption.copy()
            moved = edited.atoms()[caption.atoms().index(attribute)]
            new_owner = edited.atoms()[caption.atoms().index(target)]
            edited.slots.remove(moved)
            edited.slots.insert(edited.slots.index(new_owner), moved)
            edited.attribute_compounds = [(a, new_owner if a is moved else o)
                                          for a, o in edited.attribute_compounds]
            fix_articles(edited.slots)
            yield {"type": "move_attribute", "attribute": attribute.name,
                   "from": owner.name, "to": target.name}, edited
    for subject, relation, obj in caption.relation_compounds:
        if subject.name == obj.name:
            continue
        edited = caption.copy()
        atoms = edited.atoms()
        s = atoms[caption.atoms().index(subject)]
        o = atoms[caption.atoms().index(obj)]
        r = atoms[caption.atoms().index(relation)]
        s_span, o_span = _noun_phrase(edited, s), _noun_phrase(edited, o)
        if set(map(id, s_span)) & set(map(id, o_span)):
            continue
        s_plural, o_plural = s.plural, o.plural
        first, second = sorted((s_span, o_span), key=lambda span: edited.slots.index(span[0]))
        start1, end1 = edited.slots.index(first[0]), edited.slots.index(first[-1]) + 1
        start2, end2 = edited.slots.index(second[0]), edited.slots.index(second[-1]) + 1
        edited.slots[start1:end2] = second + edited.slots[end1:start2] + first
        s.plural, o.plural = o_plural, s_plural  # number belongs to the position
        s.text, o.text = surface_form("object", s.name, s.plural), surface_form("object", o.name, o.plural)
        edited.relation_compounds = [(o, r, s) if (x, y, z) == (s, r, o) else (x, y, z)
                                     for x, y, z in edited.relation_compounds]
        fix_articles(edited.slots)
        yield {"type": "swap_relation_ends", "relation": relation.name,
               "subject": subject.name, "object": obj.name}, edited


def _has_attributive(caption: Caption, obj: Slot) -> bool:
    i = caption.slots.index(obj)
    return i > 0 and caption.slots[i - 1].kind == "attribute"


def _noun_phrase(caption: Caption, obj: Slot) -> list:
    """The object's slot with the attribute slots right before it."""
    end = caption.slots.index(obj)
    start = end
    while start > 0 and caption.slots[start - 1].kind == "attribute":
        start -= 1
    return caption.slots[start:end + 1]


def comp_negatives(ctx: RowContext, *, limit: int, forbidden: set,
                   likely_only: bool = False) -> list[tuple[Negative, Caption]]:
    """HN-Comp: recombinations of the positive's atoms that are false for the
    image (with *likely_only*, only those :meth:`RowContext.plausible`)."""
    found, texts = [], set(forbidden)
    for edit, edited in comp_edits(ctx.positive):
        text = edited.text()
        if text in texts or (likely_only and not ctx.plausible(edited)):
            continue
        false = false_statements(ctx.facts, ctx.positive, edited)
        if false:
            found.append((Negative(text, edit, false), edited))
            texts.add(text)
    if len(found) > limit:
        found = [found[i] for i in sorted(ctx.rng.sample(range(len(found)), limit))]
    return found


def combined_negatives(ctx: RowContext, comps: list, balance: Balance, *, limit: int,
                       forbidden: set, likely_only: bool = False) -> list[Negative]:
    """Combined: each HN-Comp negative with one atom replaced as in HN-Atom
    (with *likely_only*, only when :meth:`RowContext.plausible`)."""
    found = []
    for comp, edited in comps[:limit]:
        taken = forbidden | {n.text for n in found} | {c.text for c, _ in comps}
        for index in balance.order_atoms(ctx.rng, edited.atoms()):
            result = replacements(ctx, edited, index, forbidden=taken, limit=1, as_likely=likely_only)
            if result:
                negative = result[0][0]
                balance.record(negative.edit["kind"], negative.edit["from"], negative.edit["to"])
                negative.edit = {"type": "combined", "comp": comp.edit, "atom": negative.edit}
                found.append(negative)
                break
    return found


# -- the stage ------------------------------------------------------------------
@dataclass
class Region:
    """A grounded region caption, before splitting."""

    image_id: int
    region_id: int
    caption: str
    phrase: str
    box: tuple
    extraction: dict
    matched: dict

    def atoms(self) -> dict[str, list[str]]:
        return {kind: self.extraction[kind + "s"] for kind in ATOM_KINDS}

    def compounds(self) -> list[str]:
        return ["|".join(c) for c in self.extraction["attribute_compounds"]] + \
               ["|".join(c) for c in self.extraction["relation_compounds"]]


def ground_regions(vg: VisualGenome, vocabulary, config: SystematicityConfig,
                   skipped: collections.Counter, bigrams: BigramIndex) -> list[Region]:
    """Every region caption of *vg* whose objects are grounded, in file order;
    every caption's bigrams go into *bigrams*."""
    region_objects = _region_graph_objects(vg)
    regions_by_image = _aligned(vg.region_descriptions())
    found = []
    graphs = vg.scene_graphs()
    if config.progress:
        graphs = tqdm(graphs, desc="grounding regions", unit=" images")
    for graph in graphs:
        image_id = graph.graph["image_id"]
        for region in regions_by_image(image_id):
            region_id = region["region_id"]
            tokens = tokenize(normalize(region["phrase"]))
            bigrams.add(image_id, tokens)
            caption = render(tokens)
            if not caption:
                skipped["empty caption"] += 1
                continue
            extraction = extract_module.extract(caption, config.extractor, vocabulary)
            if not extraction.attribute_compounds and not extraction.relation_compounds:
                skipped["no compound in caption"] += 1
                continue
            box = tuple(float(region[k]) for k in ("x", "y", "width", "height"))
            matched = ground_objects(graph, sorted(set(extraction.objects)), box,
                                     min_overlap=config.min_overlap,
                                     region_object_ids=region_objects.get((image_id, region_id)))
            if matched is None:
                skipped["object not grounded in scene graph"] += 1
                continue
            found.append(Region(image_id, region_id, caption, region["phrase"], box,
                                _extraction_dict(extraction), matched))
    return found


def _extraction_dict(extraction) -> dict:
    return {"objects": list(extraction.objects), "attributes": list(extraction.attributes),
            "relations": list(extraction.relations),
            "attribute_compounds": [list(c) for c in extraction.attribute_compounds],
            "relation_compounds": [list(c) for c in extraction.relation_compounds]}


def _region_graph_objects(vg: VisualGenome) -> dict:
    if vg.path("region_graphs", required=False) is None:
        return {}
    return {(image_id, region_id): sorted(graph.nodes)
            for image_id, region_id, graph in vg.region_graphs()}


def _aligned(pairs: Iterator[tuple[int, list]]):
    """A lookup ``image_id -> items`` over a stream in (mostly) the same image order."""
    buffered = {}
    stream = iter(pairs)

    def take(image_id):
        while image_id not in buffered:
            try:
                key, items = next(stream)
            except StopIteration:
                return []
            buffered[key] = items
        return buffered.pop(image_id)
    return take


def assign_splits(regions: list[Region], counts: dict, config: SystematicityConfig,
                  skipped: collections.Counter) -> dict[str, list[Region]]:
    """Regions of one training set by split (only the configured splits)."""
    wanted = config.splits()
    by_split = {split: [] for split in wanted}
    for region in regions:
        split = split_of(region.atoms(), region.compounds(), counts, config.min_count)
        if split in by_split:
            by_split[split].append(region)
        else:
            skipped[f"{split} (split not written)"] += 1
    return by_split


def positive_frequencies(regions: Iterable[Region]) -> dict[str, collections.Counter]:
    """How often each atom occurs among the positives, by kind."""
    frequencies = {kind: collections.Counter() for kind in ATOM_KINDS}
    for region in regions:
        for kind, names in region.atoms().items():
            frequencies[kind].update(names)
    return frequencies


def row_rng(seed: int, tag: str, region: Region) -> random.Random:
    """A generator of its own per row, so rows do not depend on each other."""
    return random.Random(f"{seed}:{tag}:{region.image_id}:{region.region_id}")


@dataclass
class TrainingSet:
    """One training set's split membership, replacement pool and output rows."""

    name: str
    tag: str
    pool: AtomPool
    membership: dict
    skipped: collections.Counter
    rows: dict
    provenance: dict
    balances: dict = dataclasses.field(default_factory=lambda: {"atom": Balance(), "combined": Balance()})


def make_row(region: Region, facts: ImageFacts, training_set: TrainingSet, bigrams: BigramIndex,
             own_bigrams: collections.Counter, surfaces: dict,
             config: SystematicityConfig) -> tuple[dict, dict] | None:
    """The CSV row and JSONL provenance of one region, or None without any HN-Atom."""
    extraction = extract_module.Extraction(
        **{k: tuple(tuple(c) if isinstance(c, list) else c for c in v) for k, v in region.extraction.items()})
    positive = parse_caption(region.caption, extraction, surfaces)
    ctx = RowContext(facts, positive, training_set.pool, row_rng(config.seed, training_set.tag, region),
                     bigrams, own_bigrams, config.max_tries, config.plausibility_tolerance)
    forbidden = {region.caption}
    limit = max(config.max_negatives, config.candidate_pool if config.balance_ranks else 0)
    atoms = atom_negatives(ctx, training_set.balances["atom"], limit=limit, forbidden=forbidden)
    if not atoms:
        return None
    comps = comp_negatives(ctx, limit=limit, forbidden=forbidden, likely_only=config.likely_comp_only)
    combined = combined_negatives(ctx, comps, training_set.balances["combined"], limit=limit,
                                  forbidden=forbidden, likely_only=config.likely_comp_only)
    x, y, width, height = region.box
    row = {"image_id": region.image_id, "region_id": region.region_id, "caption": region.caption,
           "x": x, "y": y, "width": width, "height": height,
           "valid_hard_negs_atom": [n.text for n in atoms],
           "valid_hard_negs_comp": [n.text for n, _ in comps],
           "valid_hard_negs_combined": [n.text for n in combined]}
    provenance = {**{k: row[k] for k in ("image_id", "region_id", "caption")},
                  "phrase": region.phrase, "box": list(region.box), "extraction": region.extraction,
                  "matched_object_ids": region.matched, "seed": config.seed,
                  "negatives": {"atom": [n.provenance() for n in atoms],
                                "comp": [n.provenance() for n, _ in comps],
                                "combined": [n.provenance() for n in combined]}}
    return row, provenance


#: The negative lists of a row: CSV column by provenance key.
NEGATIVE_COLUMNS = {"atom": "valid_hard_negs_atom", "comp": "valid_hard_negs_comp",
                    "combined": "valid_hard_negs_combined"}


def balance_negatives(training_set: TrainingSet, config: SystematicityConfig, kind: str) -> None:
    """Cut every row's *kind* list (``atom``, ``comp``, ``combined``) of
    candidates to ``max_negatives`` (``comp_negatives`` for the other two; in
    place); with ``balance_ranks``, by :func:`select_by_rank` under a text-only
    classifier trained on other images. Lists that cannot be balanced go by
    :func:`discard_lists`.
    """
    column = NEGATIVE_COLUMNS[kind]
    keys = [(split, i) for split, rows in training_set.rows.items() for i, row in enumerate(rows)
            if row[column]]
    k = config.max_negatives if kind == "atom" else config.comp_negatives
    if config.balance_ranks and keys:
        items = [(training_set.rows[s][i]["image_id"], training_set.rows[s][i]["caption"],
                  training_set.rows[s][i][column]) for s, i in keys]
        lengths = [(len(caption), [len(n) for n in negatives]) for _, caption, negatives in items]
        picks = None
        for round_number in range(config.balance_rounds):
            scores = text_classifier_scores(items, folds=config.classifier_folds, seed=config.seed,
                                            train_picks=picks)
            rng = random.Random(f"{config.seed}:{training_set.tag}:{kind}:ranks:{round_number}")
            picks = select_by_rank(scores, k, rng, lengths=lengths)
    else:
        picks = [list(range(min(k, len(training_set.rows[s][i][column])))) for s, i in keys]
    for (split, i), pick in zip(keys, picks):
        if pick:
            row, record = training_set.rows[split][i], training_set.provenance[split][i]
            row[column] = [row[column][j] for j in pick]
            record["negatives"][kind] = [record["negatives"][kind][j] for j in pick]
    discard_lists(training_set, kind, {key for key, pick in zip(keys, picks) if not pick},
                  "not balanceable against a text-only classifier")


def discard_lists(training_set: TrainingSet, kind: str, doomed: set, why: str) -> None:
    """Take the *kind* lists of the rows *doomed* (``(split, index)`` pairs)
    out of *training_set*, counted in its ``skipped`` by *why*: a row without
    its HN-Atom list is dropped; an HN-Comp or combined list is emptied and the
    row keeps its other lists."""
    if not doomed:
        return
    if kind == "atom":
        training_set.skipped[f"HN-Atom {why}"] += len(doomed)
        for split, rows in training_set.rows.items():
            keep = [i for i in range(len(rows)) if (split, i) not in doomed]
            training_set.rows[split] = [rows[i] for i in keep]
            training_set.provenance[split] = [training_set.provenance[split][i] for i in keep]
        return
    training_set.skipped[f"{kind} list {why} (emptied)"] += len(doomed)
    for split, i in doomed:
        training_set.rows[split][i][NEGATIVE_COLUMNS[kind]] = []
        training_set.provenance[split][i]["negatives"][kind] = []


def drop_predictable_lists(training_sets: list, config: SystematicityConfig, kind: str) -> None:
    """Discard (:func:`discard_lists`) the *kind* lists whose positive a
    text-only classifier still finds after rank balancing
    (:func:`crepe_gen.textonly.balance.drop_predictable`), judged over every training set
    at once: the same region's row in two sets is one item, as the audit pools them."""
    column = NEGATIVE_COLUMNS[kind]

    def key(row):
        return row["image_id"], row["caption"], tuple(row[column])

    distinct: dict[tuple, int] = {}
    for state in training_sets:
        for row in (row for rows in state.rows.values() for row in rows if row[column]):
            distinct.setdefault(key(row), len(distinct))
    keep = drop_predictable([(image_id, caption, list(negatives)) for image_id, caption, negatives in distinct],
                            folds=config.classifier_folds, seed=config.seed) if distinct else []
    for state in training_sets:
        doomed = {(split, i) for split, rows in state.rows.items() for i, row in enumerate(rows)
                  if row[column] and not keep[distinct[key(row)]]}
        discard_lists(state, kind, doomed, "found by a text-only classifier")


def run_fingerprint(config: SystematicityConfig, vg_hashes: dict, vocab_hash: str, vocabulary_digest: str,
                    tag: str) -> str:
    """Digest of everything one training set's files depend on."""
    settings = {k: v for k, v in dataclasses.asdict(config).items() if k != "progress"}
    payload = [settings, sorted(vg_hashes.items()), vocab_hash, vocabulary_digest, tag,
               versions("lemminflect", "scikit-learn")]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def _previous_section(out_dir: Path) -> dict:
    try:
        return json.loads((out_dir / "manifest.json").read_text(encoding="utf-8")).get("systematicity") or {}
    except (OSError, ValueError, AttributeError):
        return {}


def _finished(out_dir: Path, previous: dict, tag: str, fingerprint: str, config: SystematicityConfig) -> bool:
    """Whether *tag*'s files were written by a finished run with the same fingerprint."""
    if (previous.get("fingerprints") or {}).get(tag) != fingerprint or tag not in previous.get("counts", {}):
        return False
    folder = out_dir / "systematicity"
    return all((folder / f"{output_name(split, tag)}{suffix}").exists()
               for split in config.splits() for suffix in (".csv", ".jsonl"))


#: Stand-in corpus presets (:mod:`crepe_gen.systematicity.counting`) by training-set name.
STANDIN_PRESETS = {"cc12m": "cc12m", "yfcc": "yfcc15m", "laion": "laion400m"}


def standin_vocabs(folder, vg_root, config: SystematicityConfig) -> dict[str, Path]:
    """Vocabularies of the stand-in corpus shipped with the package (not real
    training sets), built into *folder*; ``{name: parquet path}``."""
    paths = {}
    for name, preset in STANDIN_PRESETS.items():
        path = Path(folder) / f"standin_{name}.parquet"
        vocab.build_vocab(preset, None, path, vocab.VocabConfig(vg_root=vg_root, progress=config.progress))
        paths[name] = path
    return paths


def _vocab_vg_digest(path) -> str | None:
    """The VG vocabulary digest a vocabulary file was counted with, if recorded."""
    try:
        summary = json.loads(vocab.manifest_path(path).read_text(encoding="utf-8"))
        return summary["vg_vocabulary"]["digest"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def run_systematicity(vg: VisualGenome, vocabs: dict, out_dir, config: SystematicityConfig) -> dict:
    """Write the systematicity set of every training set in *vocabs* under ``out_dir``.

    Parameters
    ----------
    vg : VisualGenome
        The Visual Genome folder (region descriptions and scene graphs).
    vocabs : dict
        ``{training-set name: vocabulary parquet path}``; ``cc12m``, ``yfcc``
        and ``laion`` give the released file names. Empty: vocabularies of the
        stand-in corpus shipped with the package, built into ``out_dir``.
    out_dir : path
        The benchmark folder; files go to ``out_dir/systematicity/``.
    config : SystematicityConfig

    Returns
    -------
    dict
        The ``systematicity`` section written to ``out_dir/manifest.json``.
    """
    out_dir = Path(out_dir)
    standin = not vocabs
    if standin:
        vocabs = standin_vocabs(out_dir / "systematicity" / "standin_vocab", str(vg.root), config)
    tags = {}
    for name in sorted(vocabs):
        tag = training_set_tag(name)
        if tag in tags.values():
            raise ConfigError(f"two vocabularies for training set {tag!r}")
        tags[name] = tag
    for name in tags:
        if not Path(vocabs[name]).is_file():
            raise InputError(vocabs[name], "vocabulary file not found")
    vocabulary = extract_module.vocabulary_for(str(vg.root))
    vg_hashes = vg.input_hashes()
    vocab_hashes = {name: file_digest(vocabs[name]) for name in tags}
    fingerprints = {tags[name]: run_fingerprint(config, vg_hashes, vocab_hashes[name], vocabulary.digest, tags[name])
                    for name in tags}
    previous = _previous_section(out_dir)
    done = {tag for tag in fingerprints if _finished(out_dir, previous, tag, fingerprints[tag], config)}
    if done:
        log.info("already written with the same inputs and configuration: %s", ", ".join(sorted(done)))
    tags = {name: tag for name, tag in tags.items() if tag not in done}
    counts = {name: vocab_counts(vocabs[name]) for name in tags}
    for name in tags:
        digest = _vocab_vg_digest(vocabs[name])
        if digest not in (None, vocabulary.digest):
            log.warning("%s was counted with another Visual Genome vocabulary (%s, here %s): "
                        "compounds may not compare", vocabs[name], digest, vocabulary.digest)

    skipped = collections.Counter(previous.get("skipped", {}) if not tags else {})
    bigrams = BigramIndex()
    regions = ground_regions(vg, vocabulary, config, skipped, bigrams) if tags else []
    log.info("%d grounded region captions", len(regions))
    lex = lexicon.Lexicon.from_graphs(vg.scene_graphs()) if tags else None
    sets = []
    for name, tag in tags.items():
        set_skipped = collections.Counter()
        by_split = assign_splits(regions, counts[name], config, set_skipped)
        positives = [region for split in by_split.values() for region in split]
        pool = AtomPool(lex, positive_frequencies(positives), counts[name], config.min_count)
        membership = {(r.image_id, r.region_id): split for split, rs in by_split.items() for r in rs}
        sets.append(TrainingSet(name, tag, pool, membership, set_skipped,
                                {split: [] for split in by_split}, {split: [] for split in by_split}))

    by_image = collections.defaultdict(list)
    for region in regions:
        by_image[region.image_id].append(region)
    all_regions = _aligned(vg.region_descriptions())
    graphs = vg.scene_graphs()
    if config.progress:
        graphs = tqdm(graphs, desc="hard negatives", unit=" images")
    for graph in graphs:
        image_id = graph.graph["image_id"]
        own = bigrams.own(tokenize(normalize(r["phrase"])) for r in all_regions(image_id))
        facts = ImageFacts(graph)
        for region in by_image.pop(image_id, ()):
            for state in sets:
                split = state.membership.get((region.image_id, region.region_id))
                if split is None:
                    continue
                made = make_row(region, facts, state, bigrams, own, vocabulary.surfaces, config)
                if made is None:
                    state.skipped["no valid atom negative"] += 1
                    continue
                state.rows[split].append(made[0])
                state.provenance[split].append(made[1])

    for state in sets:
        for kind in NEGATIVE_COLUMNS:  # atom first: it drops rows
            balance_negatives(state, config, kind)
    if config.balance_ranks:
        for kind in NEGATIVE_COLUMNS:
            drop_predictable_lists(sets, config, kind)

    folder = out_dir / "systematicity"
    section = {"config": dataclasses.asdict(config), "seed": config.seed,
               "inputs": {"visual_genome": str(vg.root), "hashes": vg_hashes},
               "vocabularies": {}, "counts": {}, "skipped": dict(sorted(skipped.items())),
               "fingerprints": dict(sorted(fingerprints.items())),
               "standin_corpus": standin,
               "versions": versions("networkx", "lemminflect", "pyarrow", "scikit-learn"),
               "extraction_vocabulary": vocabulary.digest,
               "grounded_regions": len(regions) if tags else previous.get("grounded_regions"), "files": []}
    for tag in sorted(done):
        for key in ("vocabularies", "counts"):
            section[key][tag] = previous[key][tag]
        section["skipped_" + tag] = previous.get("skipped_" + tag, {})
        section["files"] += [f"systematicity/{output_name(split, tag)}.csv" for split in config.splits()]
    for state in sets:
        name, tag = state.name, state.tag
        section["vocabularies"][tag] = {"name": name, "path": str(vocabs[name]),
                                        "sha256": vocab_hashes[name], "standin": standin,
                                        "vg_vocabulary": _vocab_vg_digest(vocabs[name])}
        section["counts"][tag] = {split: len(rows) for split, rows in state.rows.items()}
        section["skipped_" + tag] = dict(sorted(state.skipped.items()))
        for split, rows in state.rows.items():
            stem = output_name(split, tag)
            write_text_atomic(folder / f"{stem}.csv", csv_text(COLUMNS, rows))
            write_jsonl_atomic(folder / f"{stem}.jsonl", state.provenance[split])
            section["files"].append(f"systematicity/{stem}.csv")
            log.info("%s: %d rows", stem, len(rows))
    section["files"].sort()
    update_manifest(out_dir, "systematicity", section)
    return section
