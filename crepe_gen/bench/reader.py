"""Reading CREPE-format benchmark folders: the one reader of the audit, the
evaluation harness, the dataset card and the export.

Two presets (:class:`ReadPolicy`) say which files are read:

* :data:`RELEASED` (the harness, card and export): files with their released
  names (:data:`FILE_KINDS`),
  ``productivity/{foil}/prod_vg_hard_negs_{foil}_complexity_{n}.csv`` and
  ``systematicity/syst_vg_hard_negs_{split}_in_{tag}.csv``; the foil type,
  level and split come from the name, and the box columns are required;
* :data:`ANY_CSV` (the audit): every CSV under a folder (:func:`classify_csv`:
  one that is not a CREPE CSV is a bad file, but for the evaluation results
  crepe_gen writes beside the sets, :data:`OTHER_CSV_KINDS`);
  the task comes from the header (:func:`csv_task`), the productivity foil
  type from the file or folder name (:func:`productivity_foil`), the
  systematicity split from the file name (:func:`systematicity_split`) and
  the level from the ``n`` column; boxes are not read.

Rows are typed by the column kinds of :mod:`crepe_gen.bench.format`
(:func:`parse_row`: integers, floats, lists of captions stored as Python
literals). A bad file or row is one :class:`~crepe_gen.core.errors.InputError`
naming the file (and the row, the column, its value and what the column
should hold), raised or, with a lenient
:class:`~crepe_gen.core.errors.Problems`, skipped and counted by reason. Each
row gives one :class:`Item` per foil type that has negatives.

Examples
--------
>>> import tempfile, pathlib
>>> from crepe_gen.bench.format import PRODUCTIVITY_COLUMNS, productivity_path
>>> from crepe_gen.bench.writer import write_csv_atomic
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> row = {"image_id": 7, "caption": "a red cup", "n": 4, "n_objects": 1, "n_relations": 0,
...        "n_attributes": 1, "n_connected_components": 1, "hard_negs": ["a blue cup"],
...        "x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0}
>>> write_csv_atomic(productivity_path(out, "atom", 4), PRODUCTIVITY_COLUMNS, [row])
>>> items, problems = load_benchmark(out)
>>> item = items[0]
>>> item.task, item.foil, item.level, item.box, item.candidates, item.file, item.row
('productivity', 'atom', 4, (1.0, 2.0, 3.0, 4.0), ('a red cup', 'a blue cup'), \
'productivity/atom/prod_vg_hard_negs_atom_complexity_4.csv', 1)
>>> [(i.level, i.box, i.source) for i in load_items([out], ANY_CSV, Problems())[0]]
[(4, None, 'prod_vg_hard_negs_atom_complexity_4.csv:1')]
"""

from __future__ import annotations

import ast
import csv
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Callable, Iterator

from tqdm import tqdm

from ..core.errors import InputError, Problems
from ..core.io import read_manifest
from .format import (BOX_COLUMNS, FLOAT_COLUMNS, INT_COLUMNS, LEVELS, LIST_COLUMNS, PRODUCTIVITY,
                     PRODUCTIVITY_FOILS, SPLITS, SYSTEMATICITY, SYSTEMATICITY_FOILS, SYSTEMATICITY_NEGATIVE_COLUMNS,
                     TASKS, TRAINING_SETS, negative_columns, productivity_path, systematicity_stem)

__all__ = [
    "Item", "BenchFile", "Coverage", "FileSummary", "coverage", "expected_names", "ReadPolicy", "RELEASED", "ANY_CSV", "RowFault", "FILE_KINDS",
    "csv_task", "productivity_foil", "systematicity_split", "find_csv_files", "released_files",
    "OTHER_CSV_KINDS", "other_csv_kind", "classify_csv", "parse_int", "parse_captions", "set_literal_repeats", "parse_caption", "parse_row", "read_rows",
    "read_items", "load_items", "load_benchmark",
]

log = logging.getLogger(__name__)

_FOIL_IN_NAME = re.compile(r"(?<![a-z])(" + "|".join(PRODUCTIVITY_FOILS) + r")(?![a-z])")
_SPLIT_IN_NAME = re.compile(r"(?:un)?seen_compounds(?:_in_[a-z0-9]+)?")
#: Errors that a malformed cell can raise while it is parsed.
_CELL_ERRORS = (ValueError, SyntaxError, TypeError, MemoryError, RecursionError)


@dataclass(frozen=True)
class Item:
    """One test: an image region, its positive caption (candidate 0) and the
    negatives of one foil type.

    ``level`` is the productivity complexity (None for systematicity);
    ``split`` the systematicity split (None for productivity); ``box`` is
    ``(x, y, width, height)`` or None when not read; ``file`` and ``row``
    say where the item was read; ``group`` is the source scene when the image
    is a copy of another (see :attr:`scene_group`).

    >>> item = Item("productivity", "swap", 4, 12, "a cat on a mat", ("a mat on a cat",))
    >>> item.candidates, item.source
    (('a cat on a mat', 'a mat on a cat'), '')
    """

    task: str
    foil: str
    level: int | str | None
    image_id: int
    positive: str
    negatives: tuple[str, ...]
    split: str | None = None
    box: tuple[float, float, float, float] | None = None
    file: str = ""
    row: int = 0
    group: int | None = None

    @property
    def scene_group(self) -> int:
        """What learned attackers group their folds by: the source scene, else the image."""
        return self.image_id if self.group is None else self.group

    @property
    def candidates(self) -> tuple[str, ...]:
        """The positive followed by the negatives."""
        return (self.positive,) + self.negatives

    @property
    def source(self) -> str:
        """``file name:row`` (empty for an item not read from a file)."""
        return f"{PurePath(self.file).name}:{self.row}" if self.file else ""


@dataclass(frozen=True)
class BenchFile:
    """A benchmark CSV: its task, foil types (empty when the productivity
    foil type is unknown), level and split when its name tells them."""

    path: Path
    task: str
    foils: tuple[str, ...]
    level: int | None = None
    split: str | None = None

    @property
    def negative_columns(self) -> dict[str, str]:
        """``{foil type: column}`` of the file's negative lists."""
        if self.task == PRODUCTIVITY:
            return negative_columns(PRODUCTIVITY, self.foils[0]) if self.foils else {}
        return {foil: SYSTEMATICITY_NEGATIVE_COLUMNS[foil] for foil in self.foils}


@dataclass
class FileSummary:
    """Rows read from one file, items kept and items without negatives."""

    path: str
    kind: str
    rows: int = 0
    items: int = 0
    empty: int = 0
    duplicates: int = 0  # rows equal, cell for cell, to an earlier row of the file
    set_literals: int = 0  # negative lists stored as a set literal (read in the order written)
    set_repeats: int = 0  # of those, lists that named one caption twice (kept once)
    skipped: int = 0  # bad rows skipped under --lenient


# -- finding files ---------------------------------------------------------------------

def csv_task(columns) -> str | None:
    """``"productivity"``, ``"systematicity"`` or None from a CSV header.

    >>> csv_task(["image_id", "caption", "n", "hard_negs"])
    'productivity'
    >>> csv_task(["image_id", "caption", "valid_hard_negs_atom"]) is None
    True
    """
    columns = set(columns)
    if {"image_id", "caption", *SYSTEMATICITY_NEGATIVE_COLUMNS.values()} <= columns:
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


#: How each task's released files are named: (glob under the folder, name pattern).
#: The pattern's groups give the foil type and level, or the split.
FILE_KINDS: dict[str, tuple[str, re.Pattern]] = {
    PRODUCTIVITY: ("productivity/*/prod_vg_hard_negs_*_complexity_*.csv",
                   re.compile(r"prod_vg_hard_negs_(?P<foil>\w+?)_complexity_(?P<level>\d+)\.csv")),
    SYSTEMATICITY: ("systematicity/syst_vg_hard_negs_*_in_*.csv",
                    re.compile(r"syst_vg_hard_negs_(?P<split>\w+_compounds_in_\w+)\.csv")),
}


def _layout_globs(pattern: str) -> tuple[str, ...]:
    """Where a task's files may sit in a folder: below the task's folder (a
    build: ``OUT/productivity/atom/...``), or with the task's folder itself
    given (the released download: ``DIR/atom/...``, ``DIR/syst_...``)."""
    return pattern, pattern.partition("/")[2]


def released_files(bench_dir) -> list[BenchFile]:
    """Every CSV under *bench_dir* with a released name, sorted by task, level
    and name: in a build's layout or in the released download's
    (:func:`_layout_globs`), which every command reads alike.

    >>> released_files("/nonexistent")
    []
    """
    found = []
    for task, (pattern, name_pattern) in FILE_KINDS.items():
        paths = sorted({path for glob in _layout_globs(pattern) for path in Path(bench_dir).glob(glob)})
        for path in paths:
            match = name_pattern.fullmatch(path.name)
            if not match:
                continue
            if task == PRODUCTIVITY:
                found.append(BenchFile(path, task, (match["foil"],), level=int(match["level"])))
            else:
                found.append(BenchFile(path, task, SYSTEMATICITY_FOILS, split=match["split"]))
    return sorted(found, key=lambda f: (f.task, f.level or 0, f.path.name, f.path))


def find_csv_files(paths) -> list[Path]:
    """CSV files named in *paths*, folders searched recursively, sorted.

    Raises :class:`~crepe_gen.core.errors.InputError` for a path that does not exist.
    """
    found = []
    for path in map(Path, paths):
        if path.is_dir():  # a folder or FIFO named like a CSV is found too, and refused when read
            found.extend(p for p in path.rglob("*") if p.suffix.lower() == ".csv")
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(path, "no such file or folder")
    return sorted(set(found))


def _file_fault(path, error: Exception) -> InputError:
    """The one-line error of a file that cannot be read as UTF-8 CSV."""
    if isinstance(error, UnicodeDecodeError):
        return InputError(path, f"bytes that are not UTF-8 ({error.reason})")
    return InputError(path, f"unreadable CSV ({error})")


#: CSVs that are no benchmark files but that crepe_gen writes into the folders
#: it writes benchmarks to, by columns their header holds: a folder search
#: passes over them.
OTHER_CSV_KINDS: dict[str, frozenset] = {
    "evaluation results": frozenset({"recall@1", "recall@1_low", "recall@1_high"}),
}


def other_csv_kind(columns) -> str | None:
    """Which of :data:`OTHER_CSV_KINDS` a CSV header is, or None.

    >>> other_csv_kind(["task", "foil", "recall@1", "recall@1_low", "recall@1_high"])
    'evaluation results'
    >>> other_csv_kind(["a", "b"]) is None
    True
    """
    return next((kind for kind, needed in OTHER_CSV_KINDS.items() if needed <= set(columns)), None)


def classify_csv(path, problems: Problems, *, explicit: bool = False) -> BenchFile | None:
    """The :class:`BenchFile` of any CSV, from its header and path; None (and
    a problem) when it is not a CREPE CSV: an empty file, a header with neither
    ``hard_negs`` nor the ``valid_hard_negs_*`` columns. Only a file of
    :data:`OTHER_CSV_KINDS` found in a folder (not named *explicitly*) is passed
    over without a problem. A productivity file whose foil type the path does
    not tell gets no foils: reading it reports that."""
    path = Path(path)
    if not path.is_file():  # opening a FIFO would wait forever
        problems.report(InputError(path, "named like a CSV but " + ("a folder" if path.is_dir()
                                                                     else "not a regular file")))
        return None
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        problems.report(_file_fault(path, error))
        return None
    if not header:
        problems.report(InputError(path, "empty file, no CSV header"))
        return None
    task = csv_task(header)
    if task is None:
        other = other_csv_kind(header)
        if other and not explicit:
            log.info("not read: %s (%s, not a benchmark file)", path, other)
        else:
            problems.report(InputError(path, "not a CREPE CSV (no hard_negs or valid_hard_negs_* columns)"
                                       + (f"; it holds {other}" if other else "")))
        return None
    if task == PRODUCTIVITY:
        foil = productivity_foil(path)
        return BenchFile(path, task, (foil,) if foil else ())
    return BenchFile(path, task, SYSTEMATICITY_FOILS, split=systematicity_split(path))


def _find_released(paths, problems: Problems, progress: bool) -> Iterator[BenchFile]:
    for path in paths:
        yield from released_files(path)


def _find_any_csv(paths, problems: Problems, progress: bool) -> Iterator[BenchFile]:
    explicit = {Path(p) for p in paths if Path(p).is_file()}
    for path in tqdm(find_csv_files(paths), desc="reading CSVs", disable=not progress, leave=False):
        bench_file = classify_csv(path, problems, explicit=path in explicit)
        if bench_file is not None:
            yield bench_file


@dataclass(frozen=True)
class ReadPolicy:
    """Which files a reader finds and whether it reads boxes: use one of the
    presets :data:`RELEASED` and :data:`ANY_CSV`.

    Attributes
    ----------
    name : str
        What the preset reads.
    find : callable
        ``find(paths, problems, progress)`` yields the :class:`BenchFile` of
        every benchmark file in *paths*.
    box : bool
        Whether the box columns are required and read into ``Item.box``.

    >>> RELEASED.box, ANY_CSV.box
    (True, False)
    """

    name: str
    find: Callable[[list, Problems, bool], Iterator[BenchFile]]
    box: bool


#: Released folders: files by their released names, boxes required.
RELEASED = ReadPolicy("released file names", _find_released, box=True)
#: Any CSVs (files, or folders searched recursively): task from the header,
#: foil type from the path, level from ``n``; no boxes.
ANY_CSV = ReadPolicy("any CSV", _find_any_csv, box=False)


# -- parsing rows ----------------------------------------------------------------------

#: What a column should hold, for the messages of :class:`RowFault`.
_EXPECTED = {"image_id": "an integer image id", "n": "an integer level", "caption": "a non-empty caption",
             **{c: "a number" for c in FLOAT_COLUMNS}}


class RowFault(ValueError):
    """A cell of *column* that does not hold what the column should.

    ``str(fault)`` is the reason, the same for every row with this fault (so
    lenient mode counts them together); :attr:`shown` is ``column = value``.

    >>> fault = RowFault("n", "four")
    >>> str(fault), fault.shown
    ('column n is not an integer level', "n = 'four'")
    """

    def __init__(self, column: str, value):
        expected = _EXPECTED.get(column) or ("an integer" if column in INT_COLUMNS
                                             else "a Python-literal list of strings")
        super().__init__(f"column {column} is not {expected}")
        self.column = column
        self.value = value

    @property
    def shown(self) -> str:
        """``column = value``, a long value cut to 40 characters, ``missing``
        for a cell the row lacks."""
        value = self.value
        if value is None:
            return f"{self.column} = missing"
        return f"{self.column} = {value if len(value) <= 40 else value[:37] + '...'!r}"


def parse_int(value) -> int | None:
    """Integers; ``"12.0"`` is accepted (pandas writes floats); an empty cell is None.

    >>> parse_int("12.0"), parse_int("")
    (12, None)
    """
    if value is None or value == "":
        return None
    number = float(value)
    if not number.is_integer():
        raise ValueError(value)
    return int(number)


def parse_captions(text: str) -> tuple[str, ...]:
    """A Python-literal list of strings, as the released files store negatives;
    an empty cell is an empty list. A set literal (3,768 of the released
    productivity rows store one, which CREPE's own loader reads with
    ``ast.literal_eval``) is read in the order written in the file, a repeat
    dropped: Python's own order for a set of strings changes with the hash
    seed, the file's does not (:func:`set_literal_repeats` counts repeats).

    >>> parse_captions("['a cat', \\"a dog's toy\\"]")
    ('a cat', "a dog's toy")
    >>> parse_captions("[]"), parse_captions("")
    ((), ())
    >>> parse_captions("{'penne on a plate', 'a cup', 'penne on a plate'}")
    ('penne on a plate', 'a cup')
    """
    if text is not None and text.lstrip().startswith("{"):
        value = tuple(dict.fromkeys(_set_elements(text)))
    else:
        value = ast.literal_eval(text) if text is None or text.strip() else []
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError("not a list of strings")
    return tuple(value)


def _set_elements(text: str) -> list:
    node = ast.parse(text.strip(), mode="eval").body
    if not isinstance(node, ast.Set):
        raise ValueError("not a list of strings")
    return [ast.literal_eval(element) for element in node.elts]


def set_literal_repeats(text: str) -> int | None:
    """None when *text* is no set literal, else how many of its elements
    repeat an earlier one (a set keeps one of each).

    >>> set_literal_repeats("{'a', 'b', 'a'}"), set_literal_repeats("['a', 'a']")
    (1, None)
    """
    if not text or not text.lstrip().startswith("{"):
        return None
    elements = _set_elements(text)
    return len(elements) - len(set(elements))


def parse_caption(value) -> str:
    """A caption, unchanged; empty or blank is an error."""
    if value is None or not value.strip():
        raise ValueError("empty caption")
    return value


def _parser(column) -> Callable:
    if column == "caption":
        return parse_caption
    if column in INT_COLUMNS:
        return parse_int
    if column in FLOAT_COLUMNS:
        return float
    if column in LIST_COLUMNS:
        return lambda text: list(parse_captions(text))
    return lambda text: text


def parse_row(row: dict, columns, not_blank=("image_id",)) -> dict:
    """The typed values of *columns* of a CSV row: integers, floats and lists
    (from their Python literals) by the column kinds of
    :mod:`crepe_gen.bench.format`, other columns as text. A cell that does not
    parse, or an empty one in *not_blank*, raises :class:`RowFault`.

    >>> parse_row({"image_id": "3", "x": "1.5", "hard_negs": "['a']", "caption": "a b"},
    ...           ["image_id", "x", "hard_negs", "caption"])
    {'image_id': 3, 'x': 1.5, 'hard_negs': ['a'], 'caption': 'a b'}
    >>> parse_row({"image_id": ""}, ["image_id"])
    Traceback (most recent call last):
    ...
    crepe_gen.bench.reader.RowFault: column image_id is not an integer image id
    """
    typed = {}
    for column in columns:
        try:
            typed[column] = _parser(column)(row[column])
        except _CELL_ERRORS:
            raise RowFault(column, row[column]) from None
        if typed[column] is None and column in not_blank:
            raise RowFault(column, row[column])
    return typed


# -- reading files ---------------------------------------------------------------------

def read_rows(bench_file: BenchFile, problems: Problems | None = None, policy: ReadPolicy = RELEASED, *,
              columns=(), summary: FileSummary | None = None) -> Iterator[tuple[int, dict]]:
    """``(row number, typed row)`` of a benchmark CSV (:func:`parse_row`).

    A row holds the columns the items need (the caption, image id, negatives,
    ``n`` when the name gives no level, the box when *policy* reads it) and
    the further *columns* a caller asks for; all must be in the header. A
    malformed file or row is an :class:`~crepe_gen.core.errors.InputError`
    naming the file and row, or is skipped and counted by a lenient
    *problems*; *summary* counts the rows read.
    """
    problems = problems or Problems()
    path = Path(bench_file.path)
    if bench_file.task == PRODUCTIVITY and not bench_file.foils:
        problems.report(InputError(path, "cannot tell the foil type (atom, swap or negate) "
                                         "from the file or folder name"))
        return
    level_column = ("n",) if bench_file.task == PRODUCTIVITY and bench_file.level is None else ()
    needed = list(dict.fromkeys(["image_id", "caption", *level_column, *(BOX_COLUMNS if policy.box else ()),
                                 *bench_file.negative_columns.values(), *columns]))
    csv.field_size_limit(sys.maxsize)
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in needed if c not in (reader.fieldnames or ())]
            if missing:
                problems.report(InputError(path, f"missing column(s) {', '.join(missing)}"))
                return
            seen = set()
            for number, row in enumerate(reader, start=1):
                if summary is not None:
                    summary.rows += 1
                if None in row:  # DictReader's key for cells past the header's
                    problems.report(InputError(path, "row has more cells than the header",
                                               record=f"row {number} ({len(row[None])} more)"))
                    continue
                key = hash(tuple(row.values()))
                if key in seen and summary is not None:
                    summary.duplicates += 1
                seen.add(key)
                try:
                    typed = parse_row(row, needed, ("image_id", *level_column))
                except RowFault as fault:
                    problems.report(InputError(path, str(fault), record=f"row {number} ({fault.shown})"))
                    if summary is not None:
                        summary.skipped += 1
                    continue
                if summary is not None:
                    _count_set_literals(summary, row, bench_file.negative_columns.values())
                yield number, typed
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        problems.report(_file_fault(path, error))


def _count_set_literals(summary: FileSummary, row: dict, columns) -> None:
    for column in columns:
        repeats = set_literal_repeats(row[column])
        if repeats is not None:
            summary.set_literals += 1
            summary.set_repeats += repeats > 0


def read_items(bench_file: BenchFile, problems: Problems | None = None, policy: ReadPolicy = RELEASED, *,
               root=None, summary: FileSummary | None = None) -> Iterator[Item]:
    """The items of one benchmark CSV, one per row and foil type with negatives.

    ``Item.file`` is the path relative to *root* (POSIX) when given, else the
    path as given; *summary* counts rows, items and rows of a foil type
    without negatives.
    """
    file = Path(bench_file.path).relative_to(root).as_posix() if root is not None else str(bench_file.path)
    for number, row in read_rows(bench_file, problems, policy, summary=summary):
        box = tuple(row[c] for c in BOX_COLUMNS) if policy.box else None
        level = bench_file.level if bench_file.level is not None else row.get("n")
        for foil, column in bench_file.negative_columns.items():
            if not row[column]:
                if summary is not None:
                    summary.empty += 1
                continue
            if summary is not None:
                summary.items += 1
            yield Item(bench_file.task, foil, level, row["image_id"], row["caption"], tuple(row[column]),
                           split=bench_file.split, box=box, file=file, row=number)


def load_items(paths, policy: ReadPolicy, problems: Problems, *,
               progress: bool = False) -> tuple[list[Item], list[FileSummary]]:
    """Every item of the files *policy* finds in *paths*, with one
    :class:`FileSummary` per file read."""
    items, summaries = [], []
    for bench_file in policy.find(list(paths), problems, progress):
        summary = FileSummary(str(bench_file.path), bench_file.task)
        items.extend(read_items(bench_file, problems, policy, summary=summary))
        summaries.append(summary)
    return items, summaries


def load_benchmark(bench_dir, *, lenient: bool = False) -> tuple[list[Item], Problems]:
    """Every item of a released benchmark folder (:data:`RELEASED`), in a fixed
    order; ``Item.file`` is relative to *bench_dir*."""
    bench_dir = Path(bench_dir)
    files = released_files(bench_dir)
    if not files:
        raise InputError(bench_dir, "no CREPE-format CSV files found (productivity/ or systematicity/)")
    problems = Problems(lenient)
    items = [item for bench_file in files for item in read_items(bench_file, problems, root=bench_dir)]
    return items, problems


# -- what a folder should hold --------------------------------------------------------------

@dataclass
class Coverage:
    """The files of one task a searched folder should hold (a whole released
    set, or the cells and splits its build's manifest names), those found,
    and those found without a row.

    >>> c = Coverage("systematicity", "OUT", ["a.csv", "b.csv"], ["a.csv"], [])
    >>> c.missing, c.complete, c.line()
    (['b.csv'], False, 'systematicity in OUT/: 1 of 2 expected files; missing b.csv')
    """

    task: str
    folder: str
    expected: list
    found: list
    empty: list

    @property
    def missing(self) -> list:
        return sorted(set(self.expected) - set(self.found))

    @property
    def complete(self) -> bool:
        return not self.missing and not self.empty

    def line(self) -> str:
        text = (f"{self.task} in {PurePath(self.folder).name}/: {len(set(self.found) & set(self.expected))} of "
                f"{len(self.expected)} expected files")
        if self.missing:
            more = len(self.missing) - 6
            shown = ", ".join(self.missing[:6]) + (f" and {more} more" if more > 0 else "")
            text += f"; missing {shown}"
        if self.empty:
            text += f"; no rows in {', '.join(sorted(self.empty))}"
        return text


def expected_names(task: str, manifest: dict | None = None) -> list[str]:
    """The file names of a whole *task* set: the 27 productivity cells (three
    foil types, levels 4 to 12) and the 6 systematicity files (seen and unseen
    compounds of three training sets), or those a build's *manifest* names.

    >>> len(expected_names("productivity")), len(expected_names("systematicity"))
    (27, 6)
    >>> expected_names("productivity", {"productivity": {"config": {"levels": [4], "foil_types": ["swap"]}}})
    ['prod_vg_hard_negs_swap_complexity_4.csv']
    """
    section = (manifest or {}).get(task) or {}
    if task == PRODUCTIVITY:
        config = section.get("config") or {}
        return [productivity_path(".", foil, n).name for foil in config.get("foil_types", PRODUCTIVITY_FOILS)
                for n in config.get("levels", LEVELS)]
    if section.get("files"):
        return sorted(PurePath(name).name for name in section["files"])
    tags = sorted(set(TRAINING_SETS.values()))
    return [f"{systematicity_stem(split, tag)}.csv" for split in SPLITS[:2] for tag in tags]


def coverage(paths, summaries: list[FileSummary]) -> list[Coverage]:
    """One :class:`Coverage` per folder among *paths* and task read from it
    in the released layout (files with released names, :data:`FILE_KINDS`;
    files named one by one, and folders of other CSV names, are not judged).
    A build's ``manifest.json`` in the folder or the one above it says which
    cells and splits it made."""
    found = []
    for folder in (Path(p) for p in paths if Path(p).is_dir()):
        manifest = _manifest_near(folder)
        for task in TASKS:
            read = [s for s in summaries if s.kind == task and folder in Path(s.path).parents
                    and FILE_KINDS[task][1].fullmatch(Path(s.path).name)]
            if read:
                found.append(Coverage(task, str(folder), expected_names(task, manifest),
                                      sorted({Path(s.path).name for s in read}),
                                      sorted(Path(s.path).name for s in read if s.rows == 0)))
    return found


def _manifest_near(folder: Path) -> dict | None:
    for candidate in (folder, folder.parent):
        if (candidate / "manifest.json").is_file():
            return read_manifest(candidate)
    return None
