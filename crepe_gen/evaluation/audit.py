"""Blind-bias audit: can the positive be found without looking at the image?

This module holds the audit's configuration, its cells, verdicts and report;
the text-only baselines are in :mod:`crepe_gen.evaluation.baselines` and the
files are read by :mod:`crepe_gen.bench.reader` (any CSV under a folder).

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

Baselines (:data:`~crepe_gen.evaluation.baselines.BASELINES`): the only candidate without a negation word;
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

Fluency (:data:`~crepe_gen.language.fluency.FLUENCY_RULES`): per set and foil
type, and pooled per set, the share of distinct positives and of distinct
negatives each rule flags, and the share flagged by any rule. The target is at
most ``fluency_max_positive`` of positives flagged and negatives flagged no
more often than positives (within ``fluency_max_gap``: a fluency gap is a
text-only cue). It is reported, and judged only with ``fluency_verdict=True``:
the bundled sample's systematicity negatives (word swaps in human region
captions) do not meet it yet.

Examples
--------
>>> import tempfile, pathlib
>>> from crepe_gen.bench.writer import write_csv_atomic
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

import collections
import logging
import math
import statistics
from dataclasses import asdict, dataclass, field, replace
from pathlib import PurePath

from ..bench.format import SYSTEMATICITY
from ..bench.reader import ANY_CSV, Coverage, FileSummary, Item, coverage, load_items
from ..core.errors import InputError, Problems
from ..core.fingerprint import NOT_FINGERPRINTED
from ..core.io import portable_path
from ..language.fluency import FLUENCY_RULES, flagged_rules
from ..language.names import caption_key as normalized  # the equality test, shared with the generators
from ..textonly.classifier import tie_split_credit
from ..textonly.language_model import load_scorer
from ..vg.reader import read_image_groups
from .baselines import BASELINES, LEGEND, SHORT_NAMES
from .blind import distinct_key
from .judge import JUDGE_NOTES, JUDGE_PICKS, JUDGE_SHORT_NAMES, judge_cells, judge_config
from .lm_attacker import LM_PICKS, LM_SHORT_NAMES, lm_cells
from .quiz import QUIZ_PICKS, QUIZ_SHORT_NAMES, score_answers

__all__ = ["POOLED_LEVEL", "AuditConfig", "Cell", "FluencyRow", "fluency_rows", "AuditReport", "cell_level", "audit_items",
           "audit_paths", "quiz_report", "sampled_cells", "normalized", "BASELINES"]

log = logging.getLogger(__name__)

#: The level of a cell that pools every level of a foil type.
POOLED_LEVEL = "all"


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
    fluency_max_positive: the fluency target's largest share of positives flagged.
    fluency_max_gap: how much more often negatives may be flagged than positives.
    fluency_verdict: a fluency row missing the target fails the audit.
    lm: a language model spec (:func:`crepe_gen.textonly.language_model.load_scorer`)
        for the LM attacker (:mod:`crepe_gen.evaluation.lm_attacker`); None: not run.
    lm_rows: items per cell the LM attacker scores (a seeded sample).
    lm_cache: a file where LM scores persist across runs (None: none).
    judge: ``URL,MODEL`` of an OpenAI-compatible chat endpoint for the reasoning
        judge (:mod:`crepe_gen.evaluation.judge`); None: not run.
    judge_config: a YAML file of the judge's LLM options (any
        :class:`~crepe_gen.llm.config.LLMConfig` field: endpoint, timeout, budget, ...).
    judge_rows: items per cell the judge reads (a seeded sample), each asked twice.
    judge_cache: the SQLite file where the judge's answers persist (None: none).
    judge_max_requests, judge_max_tokens: the judge's request budget and most
        tokens per answer (None: the config file's, else the defaults).
    image_groups: a JSON file ``{image_id: source scene}`` (``image_sources.json``
        of a synthetic VG folder): the learned baselines group by source scene.
    partial: a folder in the released layout that lacks some of its files
        (:func:`~crepe_gen.bench.reader.coverage`) is listed but does not fail.
    """

    margin: float = 0.05
    min_rows: int = 20
    alpha: float = 0.01
    strict_margin: bool = False
    folds: int = 5
    classifier: bool = True
    seed: int = 0
    lenient: bool = False
    progress: bool = field(default=False, metadata=NOT_FINGERPRINTED)
    baselines: tuple[str, ...] | None = None
    fluency_max_positive: float = 0.02
    fluency_max_gap: float = 0.0
    fluency_verdict: bool = False
    lm: str | None = None
    lm_rows: int = 30
    lm_cache: str | None = field(default=None, metadata=NOT_FINGERPRINTED)
    image_groups: str | None = None
    judge: str | None = None
    judge_config: str | None = None
    judge_rows: int = 10
    judge_cache: str | None = field(default=None, metadata=NOT_FINGERPRINTED)
    judge_max_requests: int | None = None
    judge_max_tokens: int | None = None
    partial: bool = False

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
        for name in ("lm_rows", "judge_rows", "judge_max_requests", "judge_max_tokens"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if not 0 <= self.fluency_max_positive <= 1 or not 0 <= self.fluency_max_gap <= 1:
            raise ValueError("fluency_max_positive and fluency_max_gap must be in [0, 1], got "
                             f"{self.fluency_max_positive} and {self.fluency_max_gap}")


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
    notes: dict = field(default_factory=dict)

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
class FluencyRow:
    """Fluency figures of one (kind, foil) pool; foil ``"all"`` pools a set.

    ``flagged`` maps ``"positive"``/``"negative"`` to ``{rule: count}`` with
    the key ``"any"`` for candidates flagged by at least one rule.
    """

    kind: str
    foil: str
    positives: int = 0
    negatives: int = 0
    flagged: dict = field(default_factory=dict)

    def rate(self, role: str, rule: str = "any") -> float:
        total = self.positives if role == "positive" else self.negatives
        return self.flagged.get(role, {}).get(rule, 0) / total if total else 0.0

    def meets_target(self, config: AuditConfig) -> bool:
        positive = self.rate("positive")
        return (positive <= config.fluency_max_positive + 1e-12
                and self.rate("negative") <= positive + config.fluency_max_gap + 1e-12)

    def to_dict(self, config: AuditConfig) -> dict:
        data = asdict(self)
        data["rates"] = {role: {rule: self.rate(role, rule) for rule in ("any", *FLUENCY_RULES)}
                         for role in ("positive", "negative")}
        data["meets_target"] = self.meets_target(config)
        return data


def fluency_rows(items: list[Item]) -> list[FluencyRow]:
    """One :class:`FluencyRow` per (kind, foil) and one per kind (foil ``"all"``),
    each counting distinct candidates once (splits and foil types share positives).

    >>> rows = fluency_rows([Item("productivity", "atom", 4, 1, "A pant.", ("A cup.", "A jean."))])
    >>> [(r.foil, r.rate("positive"), r.rate("negative"), r.flagged["negative"]["plural_only_singular"])
    ...  for r in rows]
    [('atom', 1.0, 0.5, 1), ('all', 1.0, 0.5, 1)]
    """
    groups: dict[tuple, dict[str, set]] = collections.defaultdict(lambda: {"positive": set(), "negative": set()})
    for item in items:
        for key in ((item.task, item.foil), (item.task, POOLED_LEVEL)):
            groups[key]["positive"].add((item.image_id, item.positive))
            groups[key]["negative"].update((item.image_id, item.positive, n) for n in item.negatives)
    flags: dict[str, tuple[str, ...]] = {}
    rows = []
    for (kind, foil), roles in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] == POOLED_LEVEL, kv[0][1])):
        row = FluencyRow(kind, foil, len(roles["positive"]), len(roles["negative"]))
        for role, candidates in roles.items():
            counts = collections.Counter()
            for candidate in candidates:
                text = candidate[-1]
                if text not in flags:
                    flags[text] = flagged_rules(text)
                counts.update(flags[text])
                counts["any"] += bool(flags[text])
            row.flagged[role] = {rule: counts[rule] for rule in ("any", *FLUENCY_RULES)}
        rows.append(row)
    return rows


@dataclass
class AuditReport:
    """The judged cells, the files read, the noise guard's ``z`` and the skipped problems."""

    config: AuditConfig
    cells: list[Cell]
    files: list[FileSummary]
    z: float | None
    problems: Problems
    fluency: list[FluencyRow] = field(default_factory=list)
    lm_cells: list[Cell] = field(default_factory=list)
    lm_model: str | None = None
    judge_cells: list[Cell] = field(default_factory=list)
    judge_model: str | None = None
    reader_cells: list[Cell] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)

    @property
    def attacker_cells(self) -> list[Cell]:
        """Every judged cell: the baselines', the language model's, the judge's and a blind-review sheet's."""
        return self.cells + self.lm_cells + self.judge_cells + self.reader_cells

    @property
    def fluency_passed(self) -> bool:
        return all(row.meets_target(self.config) for row in self.fluency)

    @property
    def passed(self) -> bool:
        cells_pass = all(cell.verdict != "FAIL" for cell in self.attacker_cells)
        complete = (self.config.partial or all(found.complete for found in self.coverage)) and \
            not any(f.duplicates for f in self.files)
        return cells_pass and complete and (self.fluency_passed or not self.config.fluency_verdict)

    def cell(self, kind: str, foil: str, level: str) -> Cell:
        for cell in self.cells:
            if (cell.kind, cell.foil, cell.level) == (kind, foil, str(level)):
                return cell
        raise KeyError((kind, foil, level))

    def to_dict(self, start=None, root=None) -> dict:
        """The report as plain data; with *start* and *root*, file paths are
        recorded as :func:`~crepe_gen.core.io.portable_path` gives them."""
        files = [asdict(f) for f in self.files]
        if start is not None:
            files = [{**f, "path": portable_path(f["path"], start, root)} for f in files]
        return {
            "passed": self.passed,
            "config": asdict(self.config),
            "baselines": list(BASELINES),
            "noise_guard_z": self.z,
            "files": files,
            "skipped": dict(sorted(self.problems.counts.items())),
            "coverage": [{**asdict(found), "missing": found.missing, "complete": found.complete,
                          "folder": found.folder if start is None else portable_path(found.folder, start, root)}
                         for found in self.coverage],
            "cells": [cell.to_dict() for cell in self.cells],
            "fluency": {"rules": {name: rule.description for name, rule in FLUENCY_RULES.items()},
                        "judged": self.config.fluency_verdict, "passed": self.fluency_passed,
                        "rows": [row.to_dict(self.config) for row in self.fluency]},
            "language_model": None if self.lm_model is None else {
                "model": self.lm_model, "picks": list(LM_PICKS), "rows_per_cell": self.config.lm_rows,
                "cells": [cell.to_dict() for cell in self.lm_cells]},
            "judge": None if self.judge_model is None else {
                "model": self.judge_model, "rows_per_cell": self.config.judge_rows, "asks_per_row": 2,
                "cells": [cell.to_dict() for cell in self.judge_cells]},
            "reader": {"cells": [cell.to_dict() for cell in self.reader_cells]} if self.reader_cells else None,
        }

    def format_table(self) -> str:
        """The report as fixed-width text tables, one line per cell: the baselines,
        the language model's picks (when run) and the fluency table."""
        guard = ("plain margin" if self.config.strict_margin or self.z is None
                 else f"and {self.z:.2f} null standard errors")
        text = []
        if self.cells:
            text = _cells_table(self.cells, BASELINES, SHORT_NAMES, equal=True)
            text.append(f"Recall@1 in %, ties split evenly; a cell with at least {self.config.min_rows} "
                        f"rows fails when a baseline beats chance by more than "
                        f"{100 * self.config.margin:g} points ({guard}) or a negative equals its positive.")
            text.append("Columns: " + "; ".join(f"{name}: {meaning}" for name, meaning in LEGEND.items()) + ".")
        if self.reader_cells:
            text.extend(_cells_table(self.reader_cells, QUIZ_PICKS, QUIZ_SHORT_NAMES, equal=False,
                                     notes={"questions": "questions", "unanswered": "unanswered"}))
            text.append(f"Blind-review sheet: Recall@1 in % of the reader's answers (unanswered questions left out); "
                        f"a cell with at least {self.config.min_rows} answers fails when the reader beats chance "
                        f"by more than {100 * self.config.margin:g} points ({guard}).")
        if self.lm_model is not None:
            text.extend(["", *_cells_table(self.lm_cells, LM_PICKS, LM_SHORT_NAMES, equal=False)])
            text.append(f"Language model {self.lm_model}: Recall@1 in % of picking the most or least likely "
                        f"candidate (total or per-token log-likelihood), on at most {self.config.lm_rows} "
                        "sampled rows per cell; judged as the baselines are.")
        if self.judge_model is not None:
            text.extend(["", *_cells_table(self.judge_cells, JUDGE_PICKS, JUDGE_SHORT_NAMES, equal=False,
                                           notes=JUDGE_NOTES)])
            text.append(f"Judge {self.judge_model}: Recall@1 in % of the reasoning reader's pick, on at most "
                        f"{self.config.judge_rows} sampled rows per cell, each asked in two orders; unparseable "
                        "answers score as misses; agree: both orders chose the same candidate; top number: "
                        "answers at the most chosen number (position bias). Judged as the baselines are.")
        if self.fluency:
            text.extend(["", self.format_fluency()])
        if self.files:
            text.extend(["", *self.format_files()])
        unjudged = self.unjudged_attackers()
        text.append(("PASSED" if self.passed else "FAILED")
                    + (f" (not counted: {'; '.join(unjudged)})" if unjudged else ""))
        return "\n".join(text)

    def unjudged_attackers(self) -> list[str]:
        """The attackers asked for whose every cell was too small to judge:
        their table counts for nothing in the verdict, which must say so."""
        asked = (("the language model", self.lm_cells, "--lm-rows"), ("the judge", self.judge_cells, "--judge-rows"),
                 ("the blind-review sheet", self.reader_cells, "--quiz-rows"))
        return [f"{name} judged no cell, each has fewer than {self.config.min_rows} rows; raise {flag}"
                for name, cells, flag in asked if cells and not any(cell.judged for cell in cells)]

    def format_files(self) -> list[str]:
        """What was read: each searched folder's files against those expected
        (an incomplete set fails), and every row not scored, by reason (a
        row repeated within its file fails: it would be scored twice)."""
        lines = [("Files: " if found.complete else "Files (INCOMPLETE, allowed by --partial): " if self.config.partial
                  else "Files (INCOMPLETE, fails the audit; --partial allows it): ") + found.line()
                 for found in self.coverage]
        rows = sum(f.rows for f in self.files)
        empty, duplicates = sum(f.empty for f in self.files), sum(f.duplicates for f in self.files)
        lines.append(f"Rows: {rows} read from {len(self.files)} files; {empty} negative lists empty (not scored), "
                     f"{duplicates} rows repeating an earlier row of their file"
                     f"{' (counted twice: fails the audit)' if duplicates else ''}, "
                     f"{self.problems.total} bad records skipped")
        sets, repeats = sum(f.set_literals for f in self.files), sum(f.set_repeats for f in self.files)
        if sets:
            lines.append(f"Set literals: {sets} negative lists stored as a Python set, read in the order written; "
                         f"{repeats} of them named a caption twice (kept once)")
        lines += [f"Skipped in {PurePath(f.path).name}: {f.skipped} of {f.rows} rows ({f.skipped / f.rows:.0%}; "
                  "the cell is judged on the rest)" for f in self.files if f.skipped]
        return lines

    def format_fluency(self) -> str:
        """The fluency table: per set and foil, % of positives / negatives each rule flags."""
        rules = ("any", *FLUENCY_RULES)
        headers = ["set", "foil", "pos", "neg"] + [r.replace("_", " ") for r in rules] + ["target"]
        lines = [[row.kind[:4], row.foil, str(row.positives), str(row.negatives)]
                 + [f"{_percent(row.rate('positive', r))}/{_percent(row.rate('negative', r))}" for r in rules]
                 + ["met" if row.meets_target(self.config) else "missed"] for row in self.fluency]
        widths = [max(len(line[i]) for line in [headers] + lines) for i in range(len(headers))]
        text = ["  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(line, widths))).rstrip()
                for line in [headers] + lines]
        judged = "judged: a missed target fails the audit" if self.config.fluency_verdict else "reported, not judged"
        text.append(f"Fluency: % of distinct positives/negatives flagged per rule; target at most "
                    f"{100 * self.config.fluency_max_positive:g}% of positives flagged and negatives flagged no "
                    f"more often than positives (+{100 * self.config.fluency_max_gap:g} points) ({judged}).")
        return "\n".join(text)


def _cells_table(cells: list[Cell], names, short_names: dict, equal: bool, notes: dict | None = None) -> list[str]:
    """Fixed-width lines of *cells*, a column per name of *names* (and per key of *notes*)."""
    notes = notes or {}
    headers = (["set", "foil", "level", "rows", "chance"] + [short_names[b] for b in names]
               + (["equal"] if equal else []) + list(notes.values()) + ["margin", "verdict"])
    lines = []
    for cell in cells:
        recall = [_percent(cell.recall.get(name)) for name in names]
        margin = cell.max_margin
        verdict = cell.verdict
        if cell.failing:
            verdict += " (" + ", ".join(short_names[name] for name in cell.failing) + ")"
        if cell.equal_negatives and equal:
            verdict += f" ({cell.equal_negatives} equal)"
        lines.append([cell.kind[:4], cell.foil, cell.level, str(cell.rows), _percent(cell.chance) if cell.rows else "-"] + recall
                     + ([_percent(cell.equal_rate, 2)] if equal else [])
                     + [_note(cell.notes.get(key)) for key in notes]
                     + ["-" if margin is None else f"{100 * margin:+.1f}", verdict])
    widths = [max(len(row[i]) for row in [headers] + lines) for i in range(len(headers))]
    text = ["  ".join(h.ljust(w) if i < 3 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths))).rstrip()]
    for row in lines:
        text.append("  ".join(v.ljust(w) if i < 3 or i == len(row) - 1 else v.rjust(w)
                              for i, (v, w) in enumerate(zip(row, widths))).rstrip())
    return text


def _note(value) -> str:
    return "-" if value is None else str(value) if isinstance(value, int) else _percent(value)


def sampled_cells(sampled: dict, make_cell, key=distinct_key) -> list[Cell]:
    """The cells of an attacker that reads a sample (``{(kind, foil, level): items}``):
    ``make_cell(kind, foil, level, items)`` per level, and per foil type with
    several levels a pooled cell of its items distinct under *key*."""
    by_pool = collections.defaultdict(list)
    for (kind, foil, level), cell_items in sampled.items():
        by_pool[(kind, foil)].append((level, cell_items))
    cells = []
    for (kind, foil), levels in sorted(by_pool.items()):
        levels.sort(key=lambda pair: _level_key(pair[0]))
        for level, cell_items in levels:
            cells.append(make_cell(kind, foil, level, cell_items))
        if len(levels) > 1:
            pooled = list({key(i): i for _, its in levels for i in its}.values())
            cells.append(make_cell(kind, foil, POOLED_LEVEL, pooled))
    return cells


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
        first.setdefault(distinct_key(item), index)
    return sorted(first.values())


def cell_level(item: Item) -> str:
    """The level of an item's cell: the systematicity split, or the
    productivity level as text.

    >>> cell_level(Item("productivity", "atom", 4, 1, "a cup", ("a mug",)))
    '4'
    >>> cell_level(Item("systematicity", "comp", None, 1, "a cup", ("a mug",), split="seen_compounds"))
    'seen_compounds'
    """
    return item.split if item.task == SYSTEMATICITY else str(item.level)


def audit_items(items: list[Item], config: AuditConfig = AuditConfig()) -> list[Cell]:
    """Score every baseline on *items* and return the cells, unjudged."""
    pools: dict[tuple, list[Item]] = collections.defaultdict(list)
    for item in items:
        pools[(item.task, item.foil)].append(item)
    cells = []
    for (kind, foil), pool in sorted(pools.items()):
        pool.sort(key=lambda item: (_level_key(cell_level(item)), item.image_id, item.source))
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
            by_level[cell_level(item)].append(index)
        for level in sorted(by_level, key=_level_key) + [POOLED_LEVEL]:
            if level == POOLED_LEVEL and len(by_level) == 1:
                continue
            indices = by_level[level] if level != POOLED_LEVEL else _distinct(pool)
            level_credits = {name: None if values is None else [values[i] for i in indices]
                             for name, values in credits.items()}
            cells.append(_build_cell(kind, foil, level, [pool[i] for i in indices], level_credits))
    return cells


def quiz_report(quiz_dir, answers_path, config: AuditConfig = AuditConfig()) -> AuditReport:
    """The verdict on a filled blind-review sheet (:mod:`crepe_gen.evaluation.quiz`)."""
    cells = score_answers(quiz_dir, answers_path)
    z = _judge(cells, config)
    return AuditReport(config, [], [], z, Problems(lenient=config.lenient), reader_cells=cells)


def audit_paths(paths, config: AuditConfig = AuditConfig()) -> AuditReport:
    """Audit every CREPE CSV in *paths* (files, or folders searched recursively).

    Raises :class:`~crepe_gen.core.errors.InputError` on a bad file or row (unless
    ``config.lenient``) and when no CREPE CSV is found.
    """
    problems = Problems(lenient=config.lenient)
    items, summaries = load_items(paths, ANY_CSV, problems, progress=config.progress)
    if not items:
        raise InputError(", ".join(map(str, paths)), "no CREPE CSV rows with negatives found")
    if config.image_groups:
        groups = read_image_groups(config.image_groups)
        items = [replace(item, group=groups.get(item.image_id)) for item in items]
    log.info("auditing %d items from %d files", len(items), len(summaries))
    cells = audit_items(items, config)
    lm, lm_model = [], None
    if config.lm:
        scorer = load_scorer(config.lm, config.lm_cache)
        lm, lm_model = lm_cells(items, scorer, rows=config.lm_rows, seed=config.seed,
                                progress=config.progress), scorer.name
    judged, judge_model = [], None
    if config.judge or config.judge_config:
        llm = judge_config(config.judge, config.judge_config, max_requests=config.judge_max_requests,
                           max_tokens=config.judge_max_tokens)
        judged, judge_model = judge_cells(items, llm, rows=config.judge_rows, seed=config.seed,
                                          cache_path=config.judge_cache, progress=config.progress), llm.model
    z = _judge(cells + lm + judged, config)
    if problems.counts:
        log.warning("%s", problems.summary())
    report = AuditReport(config, cells, summaries, z, problems, fluency_rows(items), lm, lm_model,
                         judged, judge_model, coverage=coverage(paths, summaries))
    for note in report.unjudged_attackers():
        log.warning("%s", note)
    return report
