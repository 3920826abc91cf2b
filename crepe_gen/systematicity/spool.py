"""Provenance records kept on disk until the files are written.

A row's full JSONL provenance (every candidate negative's edit record and
truth checks, the extraction, ...) is only needed when the file is written,
while balancing (:mod:`~crepe_gen.systematicity.balancing`) reads a few
fields of it. :class:`ProvenanceSpool` writes each full record as one JSON
line to a hidden temporary file per split next to the outputs and gives back
a slim record (:func:`slim_record`) to keep in memory; balancing edits the
slim records as it would the full ones (picks and drops negatives, drops
rows), and :meth:`ProvenanceSpool.records` streams the full records back with
those edits applied, in the same order and with the same bytes.

The spool files are named like the temporary files of
:func:`crepe_gen.core.io.atomic_open`, so those a killed run leaves are
removed when the next run takes the folder.

Examples
--------
>>> import tempfile
>>> record = {"image_id": 1, "region_id": 2, "caption": "a red cup", "plausibility": 0.5, "edits": 7,
...           "negatives": {"atom": [{"text": "a blue cup", "plausibility": 0.1, "edit": "x"},
...                                  {"text": "a tall cup", "plausibility": 0.2, "edit": "y"}]}}
>>> with ProvenanceSpool(tempfile.mkdtemp(), "demo") as spool:
...     slim = spool.add("seen", record)
...     slim["negatives"]["atom"] = slim["negatives"]["atom"][1:]
...     [r["negatives"]["atom"] for r in spool.records("seen", [slim])]
[[{'edit': 'y', 'plausibility': 0.2, 'text': 'a tall cup'}]]
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

__all__ = ["ProvenanceSpool", "SlimNegative", "slim_record"]

#: Record fields balancing reads; a negative keeps ``text`` and ``plausibility``.
SLIM_FIELDS = ("image_id", "region_id", "caption", "plausibility")
#: Key of a slim record's line in the spool.
LINE = "_line"


class SlimNegative(tuple):
    """A negative's ``text`` and ``plausibility`` (read as in a full record,
    ``negative["text"]``) and its place ``at`` in its full record's list; a
    tuple, a fraction of a dict's memory.

    >>> n = SlimNegative("a blue cup", 0.25, 3)
    >>> n["text"], n["plausibility"], n.at
    ('a blue cup', 0.25, 3)
    """

    __slots__ = ()
    _FIELDS = {"text": 0, "plausibility": 1}

    def __new__(cls, text: str, plausibility, at: int):
        return super().__new__(cls, (text, plausibility, at))

    def __getitem__(self, key):
        return super().__getitem__(self._FIELDS.get(key, key))

    @property
    def at(self) -> int:
        return super().__getitem__(2)

    def __repr__(self) -> str:
        return f"SlimNegative(text={self['text']!r}, plausibility={self['plausibility']!r}, at={self.at})"


def slim_record(record: dict, line: int) -> dict:
    """The fields of *record* balancing reads, plus where its full record and
    each negative's full record are.

    >>> slim_record({"image_id": 1, "region_id": 2, "caption": "c", "plausibility": 0.0, "box": [0, 0, 1, 1],
    ...              "negatives": {"atom": [{"text": "d", "plausibility": 1.0, "edit": {}}]}}, 4)
    {'image_id': 1, 'region_id': 2, 'caption': 'c', 'plausibility': 0.0, 'negatives': {'atom': [SlimNegative(text='d', plausibility=1.0, at=0)]}, '_line': 4}
    """
    slim = {key: record[key] for key in SLIM_FIELDS if key in record}
    slim["negatives"] = {kind: [SlimNegative(n["text"], n.get("plausibility"), j) for j, n in enumerate(negatives)]
                         for kind, negatives in record["negatives"].items()}
    slim[LINE] = line
    return slim


def applied(record: dict, slim: dict) -> dict:
    """*record* with the negatives its *slim* record kept, in the slim order."""
    negatives = record["negatives"]
    record["negatives"] = {kind: [negatives[kind][n.at] for n in slim["negatives"][kind]] for kind in negatives}
    return record


class ProvenanceSpool:
    """Full provenance records of one training set on disk, one file per split
    in *folder* (hidden temporary names with *stem*), removed on :meth:`close`."""

    def __init__(self, folder, stem: str):
        self.folder = Path(folder)
        self.stem = stem
        self._files: dict[str, tuple[Path, object]] = {}
        self._lines: dict[str, int] = {}

    def __enter__(self) -> "ProvenanceSpool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _handle(self, split: str):
        if split not in self._files:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, path = tempfile.mkstemp(prefix=f".{self.stem}_{split}.spool.", suffix=".tmp", dir=self.folder)
            self._files[split] = (Path(path), os.fdopen(fd, "w+", encoding="utf-8", newline=""))
            self._lines[split] = 0
        return self._files[split][1]

    def add(self, split: str, record: dict) -> dict:
        """Spool *record* (a row of *split*) and return its slim record."""
        handle = self._handle(split)
        handle.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
        line = self._lines[split]
        self._lines[split] = line + 1
        return slim_record(record, line)

    def records(self, split: str, slims: list):
        """The full records of *slims* (slim records of *split*, in spool
        order), with their negatives picked as the slim records' are."""
        if not slims:
            return
        handle = self._handle(split)
        handle.flush()
        handle.seek(0)
        line = -1
        for slim in slims:
            while line < slim[LINE]:
                text = handle.readline()
                line += 1
            yield applied(json.loads(text), slim)
        handle.seek(0, os.SEEK_END)

    def close(self) -> None:
        """Remove the spool files."""
        for path, handle in self._files.values():
            handle.close()
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        self._files.clear()
