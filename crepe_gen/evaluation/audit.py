"""Blind-bias audit: can the positive be found without looking at the image?

Any folder of CREPE-format CSVs (the released set or one this project made) is
read into *items*: one positive caption and its negatives for one image. For
every item, text-only baselines score each candidate and pick the best one;
ties split the credit evenly (a tie among ``k`` candidates that includes the
positive scores ``1/k``), so a baseline that carries no information scores
chance exactly. Recall@1 is reported per cell (kind, foil type, level) and
pooled over the levels of each foil type (a test repeated in several
systematicity splits counts once there).

Kinds and cells:

- productivity CSVs (a ``hard_negs`` column): the foil type (``atom``,
  ``swap``, ``negate``) comes from the file or folder name, the level from the
  ``n`` column;
- systematicity CSVs (``valid_hard_negs_atom``, ``valid_hard_negs_comp``,
  ``valid_hard_negs_combined``): one item per non-empty column, the foil type
  from the column (``atom``, ``comp``, ``combined``) and the level from the
  split in the file name (``seen_compounds_in_cc12m``, ...).

Baselines (:data:`BASELINES`): the only candidate without a negation word;
the shortest; the longest; the lower-case one; the one whose casing or
punctuation differs from the majority; the one closest to the median length;
the centroid (most word 1-2-grams shared with the other candidates: one-edit
foils of a positive make it the centroid); the one with the fewest words never
seen in the positives of other images; and a text-only n-gram classifier.

The n-gram classifier and the unknown-words rule learn from a *pool*: all
items of one kind and foil type. The classifier is trained with grouped
cross-validation (no image is ever in both the training and the evaluated
fold), so it measures what transfers from other images only.

Verdict of a cell with at least ``min_rows`` items: it fails when a baseline
beats chance by more than ``margin`` and by more than ``z`` null standard
errors (the spread a random pick would show on that many rows; ``z`` is
Bonferroni-corrected over every judged test at family level ``alpha``), so
small cells are not failed on noise while large cells face the plain margin.
``strict_margin=True`` drops the noise guard. A negative equal to its positive
once normalized fails the audit in any cell.

Examples
--------
>>> import tempfile, pathlib
>>> from crepe_gen.core.io import write_csv_atomic
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> rows = [{"image_id": i, "caption": "a red cup", "n": 4,
...          "hard_negs": ["Not a red cup.", "No red cup at all."]} for i in range(30)]
>>> write_csv_atomic(out / "negate" / "prod_negate_4.csv", ["image_id", "caption", "n", "hard_negs"], rows)
>>> report = audit_paths([out], AuditConfig(classifier=False))
>>> cell = report.cell("productivity", "negate", "4")
>>> cell.rows, round(cell.chance, 3), cell.recall["no_negation"], cell.recall["shortest"]
(30, 0.333, 1.0, 1.0)
>>> report.passed
False
"""

from __future__ import annotations

import ast
import collections
import csv
import logging
import math
import re
import statistics
import string
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..core.errors import InputError, Problems
from ..language.names import caption_key as normalized  # the equality test, shared with the generators
from ..textonly.classifier import out_of_fold_scores, tie_split_credit

log = logging.getLogger(__name__)

PRODUCTIVITY = "productivity"
SYSTEMATICITY = "systematicity"
POOLED_LEVEL = "all"

PRODUCTIVITY_FOILS = ("atom", "swap", "negate")
#: Systematicity negative columns, keyed by the foil type they hold.
SYSTEMATICITY_COLUMNS = {"atom": "valid_hard_negs_atom", "comp": "valid_hard_negs_comp",
                         "combined": "valid_hard_negs_combined"}
PRODUCTIVITY_REQUIRED = ("image_id", "caption", "n", "hard_negs")
SYSTEMATICITY_REQUIRED = ("image_id", "caption") + tuple(SYSTEMATICITY_COLUMNS.values())

NEGATION_WORDS = frozenset("no not without none nobody nothing never neither nor nowhere cannot".split())
_WORDS = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
_FOIL_IN_NAME = re.compile(r"(?<![a-z])(atom|swap|negate)(?![a-z])")
_SPLIT_IN_NAME = re.compile(r"(?:un)?seen_compounds(?:_in_[a-z0-9]+)?")
_PUNCTUATION = frozenset(string.punctuation + "\u2018\u2019\u201c\u201d")


@dataclass(frozen=True)
class AuditConfig:
    """Options of the audit.

    margin: a baseline may beat chance by at most this much (0.05 = 5 points).
    min_rows: cells with fewer items are reported but not judged.
    alpha: family-wise false-alarm level of the noise guard (see module doc).
    strict_margin: judge on the margin alone, without the noise guard.
    folds: grouped cross-validation folds of the n-gram classifier.
    classifier: train the n-gram classifier (the slowest baseline).
    baselines: names from :data:`BASELINES` to run (None: all of them).
    seed: seeds the fold assignment; same inputs and seed, same report.
    lenient: skip bad rows and files (counted in the report) instead of failing.
    """

    margin: float = 0.05
    min_rows: int = 20
    alpha: float = 0.01
    strict_margin: bool = False
    folds: int = 5
    classifier: bool = True
    seed: int = 0
    lenient: bool = False
    progress: bool = False
    baselines: tuple[str, ...] | None = None

    def __post_init__(self):
        if self.baselines is not None:
            object.__setattr__(self, "baselines", tuple(self.baselines))
        unknown = sorted(set(self.baselines or ()) - set(BASELINES))
        if unknown:
            raise ValueError(f"unknown baseline(s) {', '.join(unknown)}; known: {', '.join(BASELINES)}")
        if not 0 <= self.margin < 1:
            raise ValueError(f"margin must be in [0, 1), got {self.margin}")
        if self.min_rows < 1:
            raise ValueError(f"min_rows must be at least 1, got {self.min_rows}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.folds < 2:
            raise ValueError(f"folds must be at least 2, got {self.folds}")


@dataclass(frozen=True)
class Item:
    """One test: the positive caption (candidate 0) and its negatives."""

    kind: str
    foil: str
    level: str
    image_id: int
    positive: str
    negatives: tuple[str, ...]
    source: str = ""

    @property
    def candidates(self) -> tuple[str, ...]:
        return (self.positive,) + self.negatives


# --------------------------------------------------------------------------
# Reading CREPE CSVs
# --------------------------------------------------------------------------

def csv_kind(columns) -> str | None:
    """``"productivity"``, ``"systematicity"`` or None from a CSV header.

    >>> csv_kind(["image_id", "caption", "n", "hard_negs"])
    'productivity'
    >>> csv_kind(["image_id", "caption", "valid_hard_negs_atom"]) is None
    True
    """
    columns = set(columns)
    if set(SYSTEMATICITY_REQUIRED) <= columns:
        return SYSTEMATICITY
    if "hard_negs" in columns:
        return PRODUCTIVITY
    return None


def productivity_foil(path) -> str | None:
    """The foil type named by the file name or, failing that, a parent folder.

    >>> productivity_foil("out/productivity/swap/prod_vg_hard_negs_swap_complexity_4.csv")
    'swap'
    >>> productivity_foil("x/negate/rows.csv"), productivity_foil("x/rows.csv")
    ('negate', None)
    """
    path = Path(path)
    for part in (path.stem,) + tuple(reversed(path.parent.parts)):
        found = _FOIL_IN_NAME.findall(part.lower())
        if len(set(found)) == 1:
            return found[0]
    return None


def systematicity_split(path) -> str:
    """The split named by a systematicity file name (the stem if none).

    >>> systematicity_split("syst_vg_hard_negs_unseen_compounds_in_laion.csv")
    'unseen_compounds_in_laion'
    """
    stem = Path(path).stem
    found = _SPLIT_IN_NAME.search(stem.lower())
    return found.group(0) if found else stem


def find_csv_files(paths) -> list[Path]:
    """CSV files named in *paths*, folders searched recursively, sorted."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(p for p in path.rglob("*") if p.suffix.lower() == ".csv" and p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(path, "no such file or folder")
    return sorted(set(found))


def parse_image_id(value) -> int:
    """Image ids as ints; ``"12.0"`` is accepted (pandas writes floats)."""
    number = float(value)
    if not number.is_integer():
        raise ValueError(value)
    return int(number)


def parse_captions(text: str) -> tuple[str, ...]:
    """A Python-literal list of strings, as the released files store negatives.

    >>> parse_captions("['a cat', \\"a dog's toy\\"]")
    ('a cat', "a dog's toy")
    >>> parse_captions("[]")
    ()
    """
    value = ast.literal_eval(text)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError("not a list of strings")
    return tuple(value)


@dataclass
class FileSummary:
    path: str
    kind: str
    rows: int = 0
    items: int = 0
    empty: int = 0


def read_items(path, kind: str, problems: Problems) -> tuple[list[Item], FileSummary]:
    """Items of one CREPE CSV; bad rows go to *problems* (raise or count)."""
    path = Path(path)
    summary = FileSummary(str(path), kind)
    items: list[Item] = []
    foil = productivity_foil(path) if kind == PRODUCTIVITY else None
    if kind == PRODUCTIVITY and foil is None:
        problems.report(InputError(path, "cannot tell the foil type (atom, swap or negate) "
                                         "from the file or folder name"))
        return items, summary
    try:
        _read_rows(path, kind, foil, problems, items, summary)
    except UnicodeDecodeError as error:
        problems.report(InputError(path, f"bytes that are not UTF-8 ({error.reason})"))
    except csv.Error as error:
        problems.report(InputError(path, f"unreadable CSV ({error})"))
    return items, summary


def _read_rows(path: Path, kind: str, foil, problems: Problems, items: list, summary) -> None:
    split = systematicity_split(path)
    csv.field_size_limit(sys.maxsize)
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        required = PRODUCTIVITY_REQUIRED if kind == PRODUCTIVITY else SYSTEMATICITY_REQUIRED
        missing = [c for c in required if c not in (reader.fieldnames or ())]
        if missing:
            problems.report(InputError(path, f"missing column(s) {', '.join(missing)}"))
            return
        for number, row in enumerate(reader, start=1):
            summary.rows += 1
            try:
                found = _row_items(row, kind, foil, split, f"{path.name}:{number}")
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as error:
                reason, value = _row_reason(row, error)
                problems.report(InputError(path, reason, record=f"row {number}{value}"))
                continue
            summary.empty += sum(1 for item in found if not item.negatives)
            found = [item for item in found if item.negatives]
            summary.items += len(found)
            items.extend(found)


class _BadField(ValueError):
    def __init__(self, column: str):
        super().__init__(column)
        self.column = column


def _row_items(row: dict, kind: str, foil: str | None, split: str, source: str) -> list[Item]:
    image_id = _field(row, "image_id", parse_image_id)
    caption = _field(row, "caption", _caption)
    if kind == PRODUCTIVITY:
        level = str(_field(row, "n", parse_image_id))
        negatives = _field(row, "hard_negs", parse_captions)
        return [Item(kind, foil, level, image_id, caption, negatives, source)]
    return [Item(kind, name, split, image_id, caption, _field(row, column, parse_captions), source)
            for name, column in SYSTEMATICITY_COLUMNS.items()]


def _caption(value) -> str:
    if value is None or not value.strip():
        raise ValueError("empty")
    return value


def _field(row: dict, column: str, parse):
    try:
        return parse(row[column])
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise _BadField(column) from None


def _row_reason(row: dict, error: Exception) -> tuple[str, str]:
    """The reason (shared by every row with the same fault, for the lenient
    counts) and the offending value, to show after the row number."""
    if not isinstance(error, _BadField):
        return f"unreadable row ({type(error).__name__})", ""
    value = row.get(error.column)
    shown = "missing" if value is None else repr(value if len(value) <= 40 else value[:37] + "...")
    expected = {"image_id": "an integer image id", "n": "an integer level",
                "caption": "a non-empty caption"}.get(error.column, "a Python-literal list of strings")
    return f"column {error.column} is not {expected}", f" ({error.column} = {shown})"


# --------------------------------------------------------------------------
# Baselines: each maps a pool of items to one score array per item
# --------------------------------------------------------------------------

def words(text: str) -> list[str]:
    """Lower-case word tokens; contractions stay whole.

    >>> words("A man isn't riding.")
    ['a', 'man', "isn't", 'riding']
    """
    return _WORDS.findall(text.lower().replace("\u2019", "'"))


def has_negation(text: str) -> bool:
    """True when *text* holds a negation word (no, not, n't, without, ...).

    >>> has_negation("There is no dog"), has_negation("A dog doesn't run"), has_negation("A nose")
    (True, True, False)
    """
    return any(w in NEGATION_WORDS or w.endswith("n't") for w in words(text))


def casing_signature(text: str) -> tuple[bool, bool]:
    """(starts upper case, has upper case after the first letter).

    >>> casing_signature("A dog"), casing_signature("a TV"), casing_signature("1 cat")
    ((True, False), (False, True), (False, False))
    """
    first = _LETTER.search(text)
    if first is None:
        return (False, False)
    rest = text[first.end():]
    return (first.group().isupper(), rest != rest.lower())


def punctuation_signature(text: str) -> tuple[str, str]:
    """(punctuation inside the text, the final punctuation mark)."""
    stripped = text.strip()
    inner = "".join(sorted(c for c in stripped[:-1] if c in _PUNCTUATION))
    last = stripped[-1:] if stripped[-1:] in _PUNCTUATION else ""
    return inner, last


def _per_candidate(function):
    def baseline(items, config):
        return [[float(function(c)) for c in item.candidates] for item in items]
    baseline.__doc__ = function.__doc__
    return baseline


def _odd_one_out(signature):
    def baseline(items, config):
        scores = []
        for item in items:
            keys = [signature(c) for c in item.candidates]
            counts = collections.Counter(keys)
            scores.append([float(-counts[k]) for k in keys])
        return scores
    return baseline


def middle_length_scores(items: list[Item], config: AuditConfig) -> list[list[float]]:
    """Minus the distance of each candidate's length to the row's median length:
    catches positives that sit in the middle because every foil edits them."""
    scores = []
    for item in items:
        lengths = [len(c.strip()) for c in item.candidates]
        middle = statistics.median(lengths)
        scores.append([-abs(length - middle) for length in lengths])
    return scores


def centroid_scores(items: list[Item], config: AuditConfig) -> list[list[float]]:
    """Summed word 1-2-gram Jaccard similarity to the other candidates of the row.

    When every negative is a different one-edit foil of the positive, the
    positive is the candidate closest to all others: this rule finds it.

    >>> item = Item("productivity", "atom", "4", 1, "a red cup on a table",
    ...             ("a blue cup on a table", "a red mug on a table", "a red cup under a table"))
    >>> scores = centroid_scores([item], AuditConfig())[0]
    >>> max(range(4), key=scores.__getitem__)
    0
    """
    scores = []
    for item in items:
        grams = []
        for candidate in item.candidates:
            tokens = words(candidate)
            grams.append(frozenset(tokens).union(zip(tokens, tokens[1:])))
        total = [0.0] * len(grams)
        for i in range(len(grams)):
            for j in range(i + 1, len(grams)):
                shared = len(grams[i] & grams[j])
                union = len(grams[i]) + len(grams[j]) - shared
                similarity = shared / union if union else 1.0
                total[i] += similarity
                total[j] += similarity
        scores.append(total)
    return scores


def unknown_words_scores(items: list[Item], config: AuditConfig) -> list[list[float]]:
    """Minus the number of words never seen in the positives of *other* images."""
    images_by_word: dict[str, set] = collections.defaultdict(set)
    for item in items:
        for word in set(words(item.positive)):
            images_by_word[word].add(item.image_id)
    scores = []
    for item in items:
        row = []
        for candidate in item.candidates:
            unknown = 0
            for word in words(candidate):
                seen_in = images_by_word.get(word, ())
                if not seen_in or (len(seen_in) == 1 and item.image_id in seen_in):
                    unknown += 1
            row.append(float(-unknown))
        scores.append(row)
    return scores


def classifier_scores(items: list[Item], config: AuditConfig) -> list[list[float]] | None:
    """Out-of-fold scores of the text-only classifier
    (:func:`crepe_gen.textonly.classifier.out_of_fold_scores`) for every
    candidate, trained on the items of other images only."""
    texts, labels, groups = [], [], []
    for item in items:
        for position, candidate in enumerate(item.candidates):
            texts.append(candidate)
            labels.append(int(position == 0))
            groups.append(item.image_id)
    decision = out_of_fold_scores(texts, labels, groups, folds=config.folds, seed=config.seed,
                                  progress=config.progress, description=f"n-gram classifier ({items[0].foil})")
    if decision is None:
        return None
    scores, start = [], 0
    for item in items:
        end = start + len(item.candidates)
        scores.append(decision[start:end].tolist())
        start = end
    return scores


#: Text-only baselines, in report order. Each maps (items of one pool, config)
#: to one score array per item (higher = more likely the positive), or None.
BASELINES = {
    "no_negation": _per_candidate(lambda text: not has_negation(text)),
    "shortest": _per_candidate(lambda text: -len(text.strip())),
    "longest": _per_candidate(lambda text: len(text.strip())),
    "lowercase": _per_candidate(lambda text: text == text.lower()),
    "odd_casing": _odd_one_out(casing_signature),
    "odd_punctuation": _odd_one_out(punctuation_signature),
    "middle_length": middle_length_scores,
    "centroid": centroid_scores,
    "unknown_words": unknown_words_scores,
    "ngram_classifier": classifier_scores,
}
SHORT_NAMES = {"no_negation": "no-neg", "shortest": "short", "longest": "long",
               "lowercase": "lower", "odd_casing": "case", "odd_punctuation": "punct",
               "middle_length": "middle", "centroid": "centroid", "unknown_words": "unknown", "ngram_classifier": "ngram"}


# --------------------------------------------------------------------------
# Cells, verdicts and the report
# --------------------------------------------------------------------------

@dataclass
class Cell:
    """Figures of one (kind, foil, level) cell; level ``"all"`` pools the levels."""

    kind: str
    foil: str
    level: str
    rows: int = 0
    images: int = 0
    chance: float = 0.0
    null_se: float = 0.0
    negatives: int = 0
    equal_negatives: int = 0
    recall: dict = field(default_factory=dict)
    judged: bool = False
    threshold: float | None = None
    failing: list = field(default_factory=list)

    @property
    def equal_rate(self) -> float:
        return self.equal_negatives / self.negatives if self.negatives else 0.0

    @property
    def max_margin(self) -> float | None:
        margins = [r - self.chance for r in self.recall.values() if r is not None]
        return max(margins) if margins else None

    @property
    def worst_baseline(self) -> str | None:
        known = {name: r for name, r in self.recall.items() if r is not None}
        return max(known, key=lambda name: (known[name], name)) if known else None

    @property
    def verdict(self) -> str:
        if self.failing or self.equal_negatives:
            return "FAIL"
        return "pass" if self.judged else "not judged"

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(equal_rate=self.equal_rate, max_margin=self.max_margin,
                    worst_baseline=self.worst_baseline, verdict=self.verdict)
        return data


@dataclass
class AuditReport:
    config: AuditConfig
    cells: list[Cell]
    files: list[FileSummary]
    z: float | None
    problems: Problems

    @property
    def passed(self) -> bool:
        return all(cell.verdict != "FAIL" for cell in self.cells)

    def cell(self, kind: str, foil: str, level: str) -> Cell:
        for cell in self.cells:
            if (cell.kind, cell.foil, cell.level) == (kind, foil, str(level)):
                return cell
        raise KeyError((kind, foil, level))

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "config": asdict(self.config),
            "baselines": list(BASELINES),
            "noise_guard_z": self.z,
            "files": [asdict(f) for f in self.files],
            "skipped": dict(sorted(self.problems.counts.items())),
            "cells": [cell.to_dict() for cell in self.cells],
        }

    def format_table(self) -> str:
        """The report as a fixed-width text table, one line per cell."""
        headers = (["set", "foil", "level", "rows", "chance"] + [SHORT_NAMES[b] for b in BASELINES]
                   + ["equal", "margin", "verdict"])
        lines = []
        for cell in self.cells:
            recall = [_percent(cell.recall.get(name)) for name in BASELINES]
            margin = cell.max_margin
            verdict = cell.verdict
            if cell.failing:
                verdict += " (" + ", ".join(SHORT_NAMES[name] for name in cell.failing) + ")"
            if cell.equal_negatives:
                verdict += f" ({cell.equal_negatives} equal)"
            lines.append([cell.kind[:4], cell.foil, cell.level, str(cell.rows), _percent(cell.chance)]
                         + recall + [_percent(cell.equal_rate, 2),
                                     "-" if margin is None else f"{100 * margin:+.1f}", verdict])
        widths = [max(len(row[i]) for row in [headers] + lines) for i in range(len(headers))]
        text = ["  ".join(h.ljust(w) if i < 3 else h.rjust(w) for i, (h, w) in
                          enumerate(zip(headers, widths))).rstrip()]
        for row in lines:
            text.append("  ".join(v.ljust(w) if i < 3 or i == len(row) - 1 else v.rjust(w)
                                  for i, (v, w) in enumerate(zip(row, widths))).rstrip())
        guard = ("plain margin" if self.config.strict_margin or self.z is None
                 else f"and {self.z:.2f} null standard errors")
        text.append(f"Recall@1 in %, ties split evenly; a cell with at least {self.config.min_rows} "
                    f"rows fails when a baseline beats chance by more than "
                    f"{100 * self.config.margin:g} points ({guard}) or a negative equals its positive.")
        text.append("PASSED" if self.passed else "FAILED")
        return "\n".join(text)


def _percent(value, digits: int = 1) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}"


def _level_key(level: str):
    return (2, "") if level == POOLED_LEVEL else (0, int(level), "") if level.isdigit() else (1, 0, level)


def _build_cell(kind, foil, level, items, credits: dict[str, list]) -> Cell:
    cell = Cell(kind, foil, level, rows=len(items))
    cell.images = len({item.image_id for item in items})
    chances = [1.0 / len(item.candidates) for item in items]
    cell.chance = math.fsum(chances) / len(items)
    cell.null_se = math.sqrt(math.fsum(p * (1 - p) for p in chances)) / len(items)
    for item in items:
        positive = normalized(item.positive)
        cell.negatives += len(item.negatives)
        cell.equal_negatives += sum(normalized(n) == positive for n in item.negatives)
    for name, values in credits.items():
        cell.recall[name] = None if values is None else math.fsum(values) / len(values)
    return cell


def _judge(cells: list[Cell], config: AuditConfig) -> float | None:
    judged = [cell for cell in cells if cell.rows >= config.min_rows]
    tests = sum(sum(r is not None for r in cell.recall.values()) for cell in judged)
    z = None
    if not config.strict_margin and tests:
        z = statistics.NormalDist().inv_cdf(1 - config.alpha / tests)
    for cell in judged:
        cell.judged = True
        cell.threshold = config.margin if z is None else max(config.margin, z * cell.null_se)
        cell.failing = [name for name, r in cell.recall.items()
                        if r is not None and r - cell.chance > cell.threshold + 1e-12]
    return z


def _distinct(pool: list[Item]) -> list[int]:
    """Indices of the first copy of each item: systematicity splits share many
    regions, and a pooled cell counts each test once."""
    first: dict[tuple, int] = {}
    for index, item in enumerate(pool):
        first.setdefault((item.image_id, item.positive, item.negatives), index)
    return sorted(first.values())


def audit_items(items: list[Item], config: AuditConfig = AuditConfig()) -> list[Cell]:
    """Score every baseline on *items* and return the cells, unjudged."""
    pools: dict[tuple, list[Item]] = collections.defaultdict(list)
    for item in items:
        pools[(item.kind, item.foil)].append(item)
    cells = []
    for (kind, foil), pool in sorted(pools.items()):
        pool.sort(key=lambda item: (_level_key(item.level), item.image_id, item.source))
        credits = {}
        for name, baseline in BASELINES.items():
            skipped = config.baselines is not None and name not in config.baselines
            if skipped or (name == "ngram_classifier" and not config.classifier):
                credits[name] = None
                continue
            scores = baseline(pool, config)
            credits[name] = None if scores is None else [tie_split_credit(s) for s in scores]
        by_level = collections.defaultdict(list)
        for index, item in enumerate(pool):
            by_level[item.level].append(index)
        for level in sorted(by_level, key=_level_key) + [POOLED_LEVEL]:
            if level == POOLED_LEVEL and len(by_level) == 1:
                continue
            indices = by_level[level] if level != POOLED_LEVEL else _distinct(pool)
            level_credits = {name: None if values is None else [values[i] for i in indices]
                             for name, values in credits.items()}
            cells.append(_build_cell(kind, foil, level, [pool[i] for i in indices], level_credits))
    return cells


def audit_paths(paths, config: AuditConfig = AuditConfig()) -> AuditReport:
    """Audit every CREPE CSV in *paths* (files, or folders searched recursively).

    Raises :class:`~crepe_gen.core.errors.InputError` on a bad file or row (unless
    ``config.lenient``) and when no CREPE CSV is found.
    """
    problems = Problems(lenient=config.lenient)
    explicit = {Path(p) for p in paths if Path(p).is_file()}
    items: list[Item] = []
    summaries = []
    files = find_csv_files(paths)
    for path in tqdm(files, desc="reading CSVs", disable=not config.progress, leave=False):
        kind = _header_kind(path, problems)
        if kind is None:
            if path in explicit:
                problems.report(InputError(path, "not a CREPE CSV (no hard_negs or "
                                                 "valid_hard_negs_* columns)"))
            else:
                log.info("ignoring %s: not a CREPE CSV", path)
            continue
        found, summary = read_items(path, kind, problems)
        items.extend(found)
        summaries.append(summary)
    if not items:
        raise InputError(", ".join(map(str, paths)), "no CREPE CSV rows with negatives found")
    log.info("auditing %d items from %d files", len(items), len(summaries))
    cells = audit_items(items, config)
    z = _judge(cells, config)
    if problems.counts:
        log.warning("%s", problems.summary())
    return AuditReport(config, cells, summaries, z, problems)


def _header_kind(path: Path, problems: Problems) -> str | None:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
    except UnicodeDecodeError as error:
        problems.report(InputError(path, f"bytes that are not UTF-8 ({error.reason})"))
        return None
    except (OSError, csv.Error) as error:
        problems.report(InputError(path, f"unreadable CSV ({error})"))
        return None
    return csv_kind(header)
