"""Export a CREPE-format benchmark folder as a Hugging Face ``datasets`` folder.

``OUT/hf/`` gets one parquet file per config and split and a ``README.md``
whose YAML front matter lists them (``configs:``), so
``datasets.load_dataset("OUT/hf", name="productivity")`` loads it as it is,
with no loading script. Lists of negatives are real lists of strings, not
the Python literals of the CSVs. The files are read by
:mod:`crepe_gen.bench.reader`; the parquet column types follow the column
kinds of :mod:`crepe_gen.bench.format` (:func:`arrow_type`).

Configs and splits
    ``productivity``: splits ``atom``, ``negate``, ``swap`` (the level is the
    column ``n``); ``systematicity_{corpus}``: splits ``seen_compounds`` and
    ``unseen_compounds``.

Examples
--------
>>> config_split("productivity", "negate", None)
('productivity', 'negate')
>>> config_split("systematicity", None, "unseen_compounds_in_laion")
('systematicity_laion', 'unseen_compounds')
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from ..core.errors import InputError, Problems
from ..bench.format import COLUMNS, FLOAT_COLUMNS, INT_COLUMNS, LIST_COLUMNS, PRODUCTIVITY, SYSTEMATICITY
from ..bench.reader import read_rows, released_files
from ..core.io import atomic_open, write_text_atomic

__all__ = ["SCHEMAS", "ExportConfig", "arrow_type", "config_split", "export_hf", "front_matter"]

log = logging.getLogger(__name__)



def arrow_type(column: str) -> pa.DataType:
    """The parquet type of a benchmark column, from its kind in :mod:`crepe_gen.bench.format`.

    >>> arrow_type("n"), arrow_type("x"), arrow_type("hard_negs"), arrow_type("caption")
    (DataType(int64), DataType(double), ListType(list<item: string>), DataType(string))
    """
    if column in INT_COLUMNS:
        return pa.int64()
    if column in FLOAT_COLUMNS:
        return pa.float64()
    if column in LIST_COLUMNS:
        return pa.list_(pa.string())
    return pa.string()


#: Column types of each task, in the released column order.
SCHEMAS: dict[str, pa.Schema] = {task: pa.schema([(column, arrow_type(column)) for column in columns])
                                 for task, columns in COLUMNS.items()}


@dataclass(frozen=True)
class ExportConfig:
    """Where the export goes (relative to the benchmark folder) and how it is compressed."""

    folder: str = "hf"
    compression: str = "zstd"


def config_split(task: str, foil: str | None, split: str | None) -> tuple[str, str]:
    """The ``(config, split)`` names of a benchmark file."""
    if task == PRODUCTIVITY:
        return PRODUCTIVITY, foil
    seen, corpus = split.split("_in_", 1)
    return f"systematicity_{corpus}", seen


def export_hf(bench_dir, config: ExportConfig = ExportConfig(), *, card_text: str = "",
              card_assets=(), lenient: bool = False) -> dict:
    """Write the parquet files and ``README.md`` under ``bench_dir/config.folder``.

    *card_text* (Markdown) follows the front matter; *card_assets* (files,
    e.g. plots, with paths relative to *bench_dir*) are copied alongside so
    the card's links keep working. Returns ``{config: {split: rows}}``.
    """
    bench_dir = Path(bench_dir)
    out = bench_dir / config.folder
    files = released_files(bench_dir)
    if not files:
        raise InputError(bench_dir, "no CREPE-format CSV files to export")
    problems = Problems(lenient)
    tables: dict[tuple[str, str], list[dict]] = {}
    for bench_file in files:
        schema = SCHEMAS[bench_file.task]
        key = config_split(bench_file.task, bench_file.foils[0], bench_file.split)
        rows = tables.setdefault(key, [])
        for _, row in read_rows(bench_file, problems, columns=schema.names):
            rows.append({name: row[name] for name in schema.names})
    sizes: dict[str, dict[str, int]] = {}
    entries = []
    for (config_name, split), rows in sorted(tables.items()):
        task = PRODUCTIVITY if config_name == PRODUCTIVITY else SYSTEMATICITY
        relative = f"{config_name}/{split}.parquet"
        table = pa.Table.from_pylist(rows, schema=SCHEMAS[task])
        with atomic_open(out / relative, "wb") as handle:
            pq.write_table(table, handle, compression=config.compression)
        sizes.setdefault(config_name, {})[split] = len(rows)
        entries.append((config_name, split, relative))
    for asset in card_assets:
        target = out / Path(asset).relative_to(bench_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(asset, target)
    write_text_atomic(out / "README.md", front_matter(entries, sizes) + hub_card_text(card_text, entries))
    log.info("exported %d configs to %s", len(sizes), out)
    return sizes


def front_matter(entries, sizes: dict | None = None) -> str:
    """YAML front matter declaring every ``(config, split, path)`` and the
    metadata the Hub reads (task, language, size, source, licence).

    >>> entries = [("productivity", "atom", "productivity/atom.parquet")]
    >>> print(front_matter(entries, {"productivity": {"atom": 25}}), end="")
    ---
    configs:
    - config_name: productivity
      data_files:
      - split: atom
        path: productivity/atom.parquet
    license: cc-by-4.0
    language:
    - en
    task_categories:
    - image-to-text
    - text-to-image
    tags:
    - image-text-retrieval
    - compositionality
    - hard-negatives
    size_categories:
    - n<1K
    source_datasets:
    - extended|visual_genome
    annotations_creators:
    - machine-generated
    multilinguality:
    - monolingual
    pretty_name: CREPE (regenerated with crepe_gen)
    ---
    """
    configs: dict[str, list] = {}
    for config_name, split, path in entries:
        configs.setdefault(config_name, []).append({"split": split, "path": path})
    rows = sum(n for splits in (sizes or {}).values() for n in splits.values())
    data = {
        "configs": [{"config_name": name, "data_files": files} for name, files in configs.items()],
        "license": "cc-by-4.0",
        "language": ["en"],
        "task_categories": ["image-to-text", "text-to-image"],  # retrieval: pick the caption of an image
        "tags": ["image-text-retrieval", "compositionality", "hard-negatives"],
        "size_categories": [size_category(rows)],
        "source_datasets": ["extended|visual_genome"],
        "annotations_creators": ["machine-generated"],
        "multilinguality": ["monolingual"],
        "pretty_name": "CREPE (regenerated with crepe_gen)",
    }
    return "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True) + "---\n"


def size_category(rows: int) -> str:
    """The Hub's size bucket of *rows*.

    >>> size_category(999), size_category(12_000), size_category(2_500_000)
    ('n<1K', '10K<n<100K', '1M<n<10M')
    """
    for limit, name in ((10 ** 3, "n<1K"), (10 ** 4, "1K<n<10K"), (10 ** 5, "10K<n<100K"),
                        (10 ** 6, "100K<n<1M"), (10 ** 7, "1M<n<10M")):
        if rows < limit:
            return name
    return "n>10M"


def hub_card_text(card_text: str, entries) -> str:
    """The card as it belongs beside the parquet files: its ``## Files``
    section lists them, with a ``load_dataset`` snippet (the CSV paths of
    the benchmark folder are not in ``hf/``)."""
    files = ["## Files", "", *[f"- `{path}`: config `{name}`, split `{split}`" for name, split, path in entries],
             "", "Load a config with `datasets` (the folder holding this card, or its Hub name):", "",
             "```python", "from datasets import load_dataset", "",
             f'productivity = load_dataset("PATH/hf", name="{entries[0][0]}")',
             f'print(productivity["{entries[0][1]}"][0])', "```",
             "", "Lists of negatives are lists of strings.", ""]
    start = card_text.find("## Files")
    if start < 0:
        return card_text + "\n" + "\n".join(files)
    end = card_text.find("\n## ", start + 1)
    return card_text[:start] + "\n".join(files) + (card_text[end + 1:] if end >= 0 else "")
