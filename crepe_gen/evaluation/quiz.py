"""The blind-review sheet: any reader (a person, a chat model, another program) against a benchmark's text.

:func:`write_quiz` samples at most ``rows`` distinct rows per foil type (kind
and foil, drawn with a seed, at most one row per image and kind), shuffles each row's
candidates (:func:`~crepe_gen.evaluation.blind.shuffled_orders`) and the
questions, and writes into a folder:

- ``sheet.md``: a short instruction, then per question its id and its
  numbered candidates; nothing that tells a foil type, level, image or source;
- ``key.json``: ``{id: number of the true caption}`` (numbers from 1, as on the sheet);
- ``questions.json``: per id its kind, foil type, level, image id, source
  file and row, and the order shown (for scoring and for reading answers back).

A positive appears in one question only: where one caption has rows of
several foil types (systematicity's HN-Atom, HN-Comp and combined), one foil
type is drawn for it, or the candidate two questions share would name it.

Hand the reader ``sheet.md`` alone. :func:`score_answers` reads its answers,
one ``ID<TAB>NUMBER`` line per question (any whitespace; blank lines and
``#`` comments are skipped), into the audit's cells: per level and pooled per
foil type, judged as every baseline's are. Unanswered questions are left out
of the cells and counted; a line that names no question, repeats one, or
gives a number outside the question's candidates is an
:class:`~crepe_gen.core.errors.InputError` naming the file and line.

Examples
--------
>>> import tempfile, pathlib
>>> from crepe_gen.bench.reader import Item
>>> items = [Item("productivity", "atom", 4, i, f"a red cup {i}", (f"a blue cup {i}", f"a red mug {i}"))
...          for i in range(3)]
>>> quiz = pathlib.Path(tempfile.mkdtemp())
>>> summary = write_quiz(items, quiz, rows=25, seed=0)
>>> key = json.loads((quiz / "key.json").read_text())
>>> answers = quiz / "answers.tsv"
>>> _ = answers.write_text("".join(f"{qid}\\t{number}\\n" for qid, number in key.items()))
>>> cells = score_answers(quiz, answers)
>>> [(c.foil, c.level, c.rows, c.recall["reader"]) for c in cells]
[('atom', '4', 3, 1.0)]
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from ..bench.reader import Item
from ..core.errors import InputError
from ..core.fingerprint import fingerprint
from ..core.io import write_json_atomic, write_text_atomic
from ..language.names import caption_key as normalized
from .blind import numbered, sample_rows, shuffled_orders

__all__ = ["QUIZ_PICKS", "QUIZ_SHORT_NAMES", "SHEET_INTRO", "write_quiz", "read_answers", "score_answers"]

QUIZ_PICKS = ("reader",)
QUIZ_SHORT_NAMES = {"reader": "reader"}

SHEET_INTRO = """# Blind review

Each question below lists numbered candidate captions of one photo. Exactly
one candidate is the true caption of the photo; each of the others was made by
editing the true caption so that it is false for the photo. You cannot see the
photo. For every question, write one line: the question's id, a tab, and the
number of the candidate you believe is the true caption (for example
`Q001\t3`).
"""

_LINE = re.compile(r"^\s*(\S+)\s+(\S+)\s*$")


def write_quiz(items: list[Item], out_dir, *, rows: int, seed: int) -> dict:
    """Write ``sheet.md``, ``key.json`` and ``questions.json`` into *out_dir*;
    returns ``{"questions": n, "per_foil": {"kind/foil": n}}``."""
    from .audit import cell_level

    sampled = _one_row_per_image(sample_rows(_one_foil_per_positive(items, seed), len(items), seed, "quiz-sample",
                                             lambda item: (item.task, item.foil)), rows, seed)
    chosen = [item for group in sampled.values() for item in group]
    random.Random(fingerprint("quiz-questions", seed)).shuffle(chosen)
    width = max(3, len(str(len(chosen))))
    sheet, key, questions = [SHEET_INTRO], {}, {}
    for number, item in enumerate(chosen, 1):
        qid = f"Q{number:0{width}d}"
        order = shuffled_orders(item, seed, "quiz-order", count=1)[0]
        sheet.append(f"## {qid}\n\n{numbered(item.candidates, order)}\n")
        key[qid] = order.index(0) + 1
        questions[qid] = {"kind": item.task, "foil": item.foil, "level": cell_level(item), "image_id": item.image_id,
                          "file": item.file, "row": item.row, "order": order, "candidates": list(item.candidates)}
    out = Path(out_dir)
    write_text_atomic(out / "sheet.md", "\n".join(sheet))
    write_json_atomic(out / "key.json", key)
    write_json_atomic(out / "questions.json", questions)
    return {"questions": len(chosen), "per_foil": {f"{k[0]}/{k[1]}": len(v) for k, v in sampled.items()}}


def _one_foil_per_positive(items: list[Item], seed: int) -> list[Item]:
    """The items whose foil type is the one drawn for their positive: a
    systematicity caption has HN-Atom, HN-Comp and combined rows, and a sheet
    that showed two of them would give the positive away as the candidate both share."""
    foils: dict[tuple, set] = {}
    for item in items:
        foils.setdefault((item.image_id, normalized(item.positive)), set()).add(item.foil)
    kept = {key: random.Random(fingerprint("quiz-foil", seed, *key)).choice(sorted(names))
            for key, names in foils.items()}
    return [item for item in items if kept[(item.image_id, normalized(item.positive))] == item.foil]


def _one_row_per_image(groups: dict, rows: int, seed: int) -> dict:
    """At most *rows* items per group and one item per image and kind: rows of
    one image share its objects, so a reader of the whole sheet could take one
    question's shared words ("a grey floor") as the answer to another's ("a
    floor that is not grey"). Groups draw in turn, each from its own seeded
    order, so none is starved by the others."""
    pools = {key: random.Random(fingerprint("quiz-image", seed, *key)).sample(items, len(items))
             for key, items in groups.items()}
    chosen = {key: [] for key in groups}
    used: set = set()
    while True:
        drew = False
        for key, pool in pools.items():
            while pool and len(chosen[key]) < rows:
                item = pool.pop()
                if (item.task, item.image_id) not in used:
                    used.add((item.task, item.image_id))
                    chosen[key].append(item)
                    drew = True
                    break
        if not drew:
            return chosen


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "not found: write the sheet first with crepe-gen audit PATH --quiz DIR") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, f"not valid JSON ({error})") from None


def read_answers(path, key: dict) -> dict[str, int]:
    """``{question id: number}`` from an answers file, checked against *key*."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(path, "not found") from None
    except UnicodeDecodeError as error:
        raise InputError(path, f"not UTF-8 text ({error})") from None
    answers = {}
    for index, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise InputError(path, f"line {index}: expected ID<TAB>NUMBER, got {line.strip()[:60]!r}")
        qid, value = match.groups()
        if qid not in key:
            raise InputError(path, f"line {index}: no question {qid!r} on the sheet")
        if qid in answers:
            raise InputError(path, f"line {index}: question {qid} answered twice")
        questions = key[qid]
        if not value.isdigit() or not 1 <= int(value) <= questions:
            raise InputError(path, f"line {index}: {qid} has candidates 1 to {questions}, got {value!r}")
        answers[qid] = int(value)
    return answers


def score_answers(quiz_dir, answers_path) -> list:
    """The reader's cells (unjudged) from a quiz folder and an answers file;
    each cell notes how many of its questions went unanswered."""
    from .audit import Cell, _build_cell, sampled_cells

    quiz = Path(quiz_dir)
    key = _read_json(quiz / "key.json")
    questions = _read_json(quiz / "questions.json")
    if not isinstance(key, dict) or not isinstance(questions, dict) or set(key) != set(questions):
        raise InputError(quiz, "key.json and questions.json do not describe the same questions")
    answers = read_answers(answers_path, {qid: len(q["order"]) for qid, q in questions.items()})
    by_cell: dict[tuple, list] = {}
    credit = {}
    for qid, question in questions.items():
        item = Item(question["kind"], question["foil"], question["level"], question["image_id"],
                    question["candidates"][0], tuple(question["candidates"][1:]), file=question["file"],
                    row=question["row"])
        by_cell.setdefault((item.task, item.foil, question["level"]), []).append((qid, item))
        if qid in answers:
            credit[qid] = float(answers[qid] == key[qid])

    def cell(kind, foil, level, entries):
        answered = [(qid, item) for qid, item in entries if qid in credit]
        if answered:
            built = _build_cell(kind, foil, level, [item for _, item in answered],
                                {"reader": [credit[qid] for qid, _ in answered]})
        else:
            built = Cell(kind, foil, level, recall={"reader": None})
        built.notes = {"questions": len(entries), "unanswered": len(entries) - len(answered)}
        return built

    return sampled_cells(by_cell, cell, key=lambda entry: entry[0])
