"""Caption corpora as distributed: LAION parquet, CC-12M TSV, YFCC CSV/TSV, plain text (``txt``), JSONL.

A corpus is described by a :class:`CorpusSpec`, read from a small YAML file:
the presets ``splits/{cc12m,yfcc15m,laion400m}.yaml`` ship in the package and
a user's own corpus is the same kind of file::

    name: laion400m
    format: parquet          # a key of FORMATS: parquet, tsv, csv, txt, jsonl
    files: ["*.parquet"]     # glob patterns, matched under each --captions folder
    columns: [TEXT]          # caption columns: names, or 0-based indexes without a header
    header: true             # csv/tsv: first row names the columns
    url_decoded: false       # true: fields are URL-encoded with + for spaces (YFCC dump)

The unit of work is a :class:`Shard`: one input file, or a range of row groups
of a parquet file. :func:`read_shard` yields caption strings and counts the bad
rows it skips by reason (null or empty caption, bytes that are not UTF-8, a
caption longer than ``max_caption_chars``, a malformed row, a corrupt shard):
a bad row is never fatal.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "cc.tsv").write_bytes(b"http://a\\tA dog on a bench\\nhttp://b\\t\\nhttp://c\\t\\xff\\xfe\\n")
>>> spec = load_corpus_spec("cc12m")
>>> shards = plan_shards(spec, [folder])
>>> skipped = {}
>>> list(read_shard(spec, shards[0], skipped)), skipped
(['A dog on a bench'], {'empty caption': 1, 'not UTF-8': 1})
"""

from __future__ import annotations

import csv
import glob
import gzip
import json
import logging
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterator

import yaml

from ..bench.format import TRAINING_SETS
from ..core.errors import ConfigError, InputError

__all__ = ["FORMATS", "PRESETS", "CorpusSpec", "Format", "Shard", "load_corpus_spec", "plan_shards",
           "preset_path", "read_shard"]

log = logging.getLogger(__name__)

#: Preset corpus names (files ``splits/NAME.yaml`` in the package).
PRESETS = tuple(TRAINING_SETS)


@dataclass(frozen=True)
class CorpusSpec:
    """How to find and read the captions of one corpus (see the module docstring)."""

    name: str
    format: str
    files: tuple = ("*",)
    columns: tuple = ()
    header: bool = True
    url_decoded: bool = False
    rows_per_shard: int = 1_000_000
    max_caption_chars: int = 10_000

    def __post_init__(self):
        if self.format not in FORMATS:
            raise ConfigError(f"corpus {self.name!r}: unknown format {self.format!r}; "
                              f"choose from {', '.join(sorted(FORMATS))}")
        if self.rows_per_shard < 1 or self.max_caption_chars < 1:
            raise ConfigError(f"corpus {self.name!r}: rows_per_shard and max_caption_chars must be positive")

    def to_dict(self) -> dict:
        """The spec as a plain dict (manifests, fingerprints)."""
        return {"name": self.name, "format": self.format, "files": list(self.files),
                "columns": list(self.columns), "header": self.header,
                "url_decoded": self.url_decoded, "rows_per_shard": self.rows_per_shard,
                "max_caption_chars": self.max_caption_chars}


@dataclass(frozen=True, order=True)
class Shard:
    """One unit of work: a file, or row groups ``[first_group, stop_group)`` of a parquet file."""

    path: str
    first_group: int | None = None
    stop_group: int | None = None

    @property
    def id(self) -> str:
        """A stable name of the shard: its file, and its row groups if any."""
        if self.first_group is None:
            return self.path
        return f"{self.path}#row-groups-{self.first_group}-{self.stop_group}"


def preset_path(name: str) -> Path:
    """The YAML file of a preset corpus shipped in the package."""
    return Path(str(resources.files("crepe_gen") / "splits" / f"{name}.yaml"))


def load_corpus_spec(preset_or_path) -> CorpusSpec:
    """A preset name (``cc12m``, ``yfcc15m``, ``laion400m``) or a YAML file path.

    >>> load_corpus_spec("laion400m").columns
    ('TEXT',)
    """
    path = preset_path(preset_or_path) if preset_or_path in PRESETS else Path(preset_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, f"corpus file not found (presets: {', '.join(PRESETS)})") from None
    except yaml.YAMLError as error:
        raise InputError(path, f"malformed YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict) or "format" not in data:
        raise InputError(path, "corpus YAML must be a mapping with at least a 'format' key")
    known = set(CorpusSpec.__dataclass_fields__)
    unknown = sorted(set(data) - known - {"description"})
    if unknown:
        raise InputError(path, f"unknown corpus keys: {', '.join(unknown)}")
    data = {k: v for k, v in data.items() if k in known}
    data.setdefault("name", path.stem)
    for key in ("files", "columns"):
        if key in data:
            value = data[key]
            data[key] = tuple(value) if isinstance(value, list) else (value,)
    try:
        return CorpusSpec(**data)
    except (TypeError, ConfigError) as error:
        raise InputError(path, str(error)) from None


def plan_shards(spec: CorpusSpec, caption_paths) -> list[Shard]:
    """Every shard of the corpus under *caption_paths* (files or folders), sorted.

    A folder is searched with the spec's ``files`` patterns (recursively with
    ``**``); a file is taken as given. Parquet files are cut at row-group
    boundaries into shards of about ``rows_per_shard`` rows.
    """
    files = set()
    for root in caption_paths:
        root = Path(root)
        if root.is_file():
            files.add(root.resolve())
        elif root.is_dir():
            for pattern in spec.files:
                files.update(Path(p).resolve() for p in glob.glob(str(root / pattern), recursive=True)
                             if Path(p).is_file())
        else:
            raise InputError(root, "caption path not found")
    if not files:
        raise InputError(", ".join(map(str, caption_paths)),
                         f"no caption files match {list(spec.files)}")
    shards = []
    for path in sorted(files):
        shards.extend(FORMATS[spec.format].plan(spec, path))
    return shards


# -- readers ----------------------------------------------------------------------
class _BadRow(Exception):
    """A row to skip; ``args[0]`` is the reason."""


def _open_binary(path: str):
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def _utf8_lines(path: str, skipped: Counter) -> Iterator[str]:
    """Decoded lines of a (possibly gzipped) file; undecodable lines counted and skipped."""
    with _open_binary(path) as handle:
        for raw in handle:
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                skipped["not UTF-8"] = skipped.get("not UTF-8", 0) + 1


def _single_file(spec, path) -> list[Shard]:
    return [Shard(str(path))]


def _delimited(delimiter: str):
    def read(spec: CorpusSpec, shard: Shard, skipped: Counter) -> Iterator[object]:
        lines = _utf8_lines(shard.path, skipped)
        quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
        csv.field_size_limit(1 << 30)  # long captions are counted by read_shard, not fatal here
        rows = csv.reader(lines, delimiter=delimiter, quoting=quoting)
        indexes = [c for c in spec.columns if isinstance(c, int)] or [0]
        if spec.header:
            try:
                header = next(rows)
            except StopIteration:
                return
            try:
                indexes = [c if isinstance(c, int) else header.index(c) for c in spec.columns]
            except ValueError:
                raise InputError(shard.path, f"header has none of the columns {list(spec.columns)}") from None
        for row in rows:
            if not row:
                continue
            for index in indexes:
                yield row[index] if index < len(row) else _BadRow("malformed row")
    return read


def _read_text(spec: CorpusSpec, shard: Shard, skipped: Counter) -> Iterator[object]:
    for line in _utf8_lines(shard.path, skipped):
        yield line.rstrip("\r\n")


def _read_jsonl(spec: CorpusSpec, shard: Shard, skipped: Counter) -> Iterator[object]:
    columns = spec.columns or ("caption",)
    for line in _utf8_lines(shard.path, skipped):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            yield _BadRow("malformed row")
            continue
        if not isinstance(record, dict):
            yield _BadRow("malformed row")
            continue
        for column in columns:
            yield record.get(column)


def _plan_parquet(spec: CorpusSpec, path) -> list[Shard]:
    import pyarrow.parquet as pq

    try:
        metadata = pq.ParquetFile(path).metadata
    except Exception as error:  # any unreadable footer: the shard is reported as corrupt when read
        log.warning("%s: unreadable parquet footer (%s)", path, error)
        return [Shard(str(path), 0, 0)]
    shards, first, rows = [], 0, 0
    for group in range(metadata.num_row_groups):
        rows += metadata.row_group(group).num_rows
        if rows >= spec.rows_per_shard:
            shards.append(Shard(str(path), first, group + 1))
            first, rows = group + 1, 0
    if first < metadata.num_row_groups or not shards:
        shards.append(Shard(str(path), first, metadata.num_row_groups))
    return shards


def _read_parquet(spec: CorpusSpec, shard: Shard, skipped: Counter) -> Iterator[object]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(shard.path)
    columns = list(spec.columns or ("TEXT",))
    missing = [c for c in columns if c not in parquet.schema_arrow.names]
    if missing:
        raise InputError(shard.path, f"no column {missing[0]!r} (has {parquet.schema_arrow.names})")
    for group in range(shard.first_group, shard.stop_group):
        table = parquet.read_row_group(group, columns=columns)
        for column in columns:
            values = table.column(column)
            if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
                values = values.cast(pa.binary() if pa.types.is_string(values.type) else pa.large_binary())
            for value in values.to_pylist():
                if isinstance(value, bytes):
                    try:
                        value = value.decode("utf-8")
                    except UnicodeDecodeError:
                        value = _BadRow("not UTF-8")
                yield value


@dataclass(frozen=True)
class Format:
    """A corpus format: how to cut it into shards and read one shard's raw fields."""

    plan: object
    read: object
    defaults: dict = field(default_factory=dict)


#: Corpus formats by the ``format`` key of a corpus YAML.
FORMATS = {
    "parquet": Format(_plan_parquet, _read_parquet),
    "tsv": Format(_single_file, _delimited("\t")),
    "csv": Format(_single_file, _delimited(",")),
    "txt": Format(_single_file, _read_text),
    "jsonl": Format(_single_file, _read_jsonl),
}


def read_shard(spec: CorpusSpec, shard: Shard, skipped: Counter | dict) -> Iterator[str]:
    """The good captions of *shard*; bad rows are counted into *skipped* by reason.

    A shard that cannot be read to its end (truncated gzip, corrupt parquet)
    counts one ``"corrupt shard"`` and yields what it read before the damage.
    """
    raw_fields = FORMATS[spec.format].read(spec, shard, skipped)
    limit = spec.max_caption_chars
    while True:
        try:
            value = next(raw_fields)
        except StopIteration:
            return
        except InputError:
            raise
        except Exception as error:  # damage inside the file: zlib, EOF, parquet, csv errors
            log.warning("%s: corrupt shard (%s: %s)", shard.id, type(error).__name__, error)
            skipped["corrupt shard"] = skipped.get("corrupt shard", 0) + 1
            return
        if isinstance(value, _BadRow):
            reason = value.args[0]
        elif value is None:
            reason = "null caption"
        elif not isinstance(value, str):
            reason = "malformed row"
        else:
            if spec.url_decoded:
                value = urllib.parse.unquote_plus(value)
            if len(value) > limit:
                reason = "caption too long"
            elif not value.strip():
                reason = "empty caption"
            else:
                yield value
                continue
        skipped[reason] = skipped.get(reason, 0) + 1
