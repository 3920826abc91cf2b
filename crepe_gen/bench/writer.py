"""Writing benchmark CSVs in the released CREPE format.

Rows are written with a header and ``\\n`` line ends; list values (the
negatives) are stored as Python literals (``['a cat', 'a dog']``), as in the
released files, so :func:`crepe_gen.bench.reader.parse_captions` reads them
back. Files are written atomically (:func:`crepe_gen.core.io.write_text_atomic`).

Examples
--------
>>> print(csv_text(["image_id", "caption", "hard_negs"],
...                [{"image_id": 1, "caption": "a cat", "hard_negs": ["a dog", "a cow's hat"]}]), end="")
image_id,caption,hard_negs
1,a cat,"['a dog', ""a cow's hat""]"
"""

from __future__ import annotations

import csv
import io

from ..core.io import write_text_atomic

__all__ = ["csv_text", "write_csv_atomic"]


def csv_text(columns: list[str], rows) -> str:
    """CSV text with a header, ``\\n`` line ends, lists as Python literals.

    Parameters
    ----------
    columns
        The header, in order; every row must hold each of them.
    rows
        Mappings from column to value.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([repr(row[c]) if isinstance(row[c], list) else row[c] for c in columns])
    return buffer.getvalue()


def write_csv_atomic(path, columns: list[str], rows) -> None:
    """Write :func:`csv_text` of *rows* to *path* atomically (folders made as needed).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "prod" / "rows.csv"
    >>> write_csv_atomic(path, ["image_id", "hard_negs"], [{"image_id": 3, "hard_negs": []}])
    >>> path.read_text()
    'image_id,hard_negs\\n3,[]\\n'
    """
    write_text_atomic(path, csv_text(columns, rows))
