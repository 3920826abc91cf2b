"""Count the atoms and compounds of a caption corpus into a vocabulary file.

The corpus is cut into shards (:mod:`crepe_gen.systematicity.corpora`); :func:`count_shard`
reads one shard, extracts every caption (:mod:`crepe_gen.systematicity.extract`) and writes
the shard's counts atomically to a small JSON file, which doubles as the
shard's resume marker: a rerun skips shards whose file exists, so a killed
run resumes without counting anything twice. A shard file is named by what
its counts depend on (the caption file's contents, the corpus spec, the
extractor, the VG names, the code version); files of other names are
discarded when a run starts, and a second run into the same shard folder is
refused while one is live (:func:`crepe_gen.core.lock.output_lock`). The same shard function runs on
every executor (:mod:`crepe_gen.core.parallel`). The shard files are then merged
into the vocabulary parquet:

====================  ======  ==========================================
column                type    meaning
====================  ======  ==========================================
``kind``              string  ``object``, ``attribute``, ``relation``,
                              ``attribute_compound``, ``relation_compound``
``key``               string  the canonical name; compound parts joined
                              with ``|`` (``red|shirt``, ``man|on|horse``)
``count``             int64   number of captions that mention it
====================  ======  ==========================================

rows sorted by ``kind`` then ``key``, so the same input gives the same bytes.
In memory a compound key is a tuple of names (``("red", "shirt")``), from
counting to the splits: only the files join it (:func:`encode_key`,
:func:`decode_key`).
Next to ``VOCAB`` a manifest ``VOCAB.manifest.json`` records the corpus, the
inputs, the extractor, per-shard counts and skipped rows by reason.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "vocab.parquet"
>>> summary = build_vocab("cc12m", None, out, VocabConfig(progress=False))
>>> summary["stand_in"], summary["captions"] > 1000
(True, True)
>>> vocab = load_vocab(out)
>>> vocab["object"]["man"] > 0, ("man", "wearing", "shirt") in vocab["relation_compound"]
(True, True)
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import time
from collections import Counter, _count_elements
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..core.errors import InputError
from ..core.fingerprint import NOT_FINGERPRINTED, code_version, file_digest, fingerprint
from ..core.io import atomic_open, portable_path, remove_stale_temps, versions, write_json_atomic
from ..core.lock import output_lock
from ..core.parallel import ExecutorConfig, run_tasks
from .corpora import CorpusSpec, Shard, load_corpus_spec, plan_shards, read_shard
from .extract import get_extractor
from .vg_names import load_names, save_names, vg_names

__all__ = ["COMPOUND_KINDS", "KINDS", "SEPARATOR", "CorpusCounts", "ShardTask", "VocabConfig", "build_vocab",
           "count_captions", "count_shard", "decode_key", "encode_key", "load_vocab", "manifest_path",
           "paused_gc", "read_counts", "standin_corpus_dir", "write_vocab"]

log = logging.getLogger(__name__)

#: The kinds of vocabulary entries, in file order.
KINDS = ("attribute", "attribute_compound", "object", "relation", "relation_compound")
#: The kinds whose keys are tuples of names.
COMPOUND_KINDS = frozenset({"attribute_compound", "relation_compound"})
SEPARATOR = "|"
#: Bump when the shard file layout or the counts of the same captions change,
#: so old shard files are not reused. 2: the fast extractor no longer reads
#: compounds across a sentence end (". ", " | ", " - ", ...).
SHARD_FORMAT = 2

#: A training set's counts: ``{(kind, key): captions mentioning it}``; the key
#: is a name for atoms and a tuple of names for compounds (``("red", "shirt")``).
CorpusCounts = dict


@dataclass(frozen=True)
class VocabConfig:
    """Options of :func:`build_vocab`.

    ``vg_root`` is the Visual Genome folder whose names table the extractor
    looks names up in (None: the bundled sample), read with the reader's
    ``lenient``; ``work_dir`` holds the shard files (default ``VOCAB.shards/``
    next to the output).
    """

    extractor: str = "fast"
    executor: str = field(default="local", metadata=NOT_FINGERPRINTED)
    workers: int | None = field(default=None, metadata=NOT_FINGERPRINTED)
    scheduler: str | None = field(default=None, metadata=NOT_FINGERPRINTED)
    vg_root: str | None = None
    work_dir: str | None = None
    progress: bool = field(default=True, metadata=NOT_FINGERPRINTED)
    lenient: bool = False


@dataclass(frozen=True)
class ShardTask:
    """Everything a worker needs to count one shard (picklable, no live objects)."""

    corpus: CorpusSpec
    shard: Shard
    extractor: str
    names_path: str
    result_path: str


def standin_corpus_dir() -> Path:
    """The stand-in caption corpus shipped with the package (not a real training set)."""
    return Path(str(resources.files("crepe_gen") / "data" / "standin_corpus"))


def count_captions(captions, extractor) -> Counter:
    """The :data:`CorpusCounts` of *captions* (a Counter).

    >>> from crepe_gen.systematicity.extract import get_extractor
    >>> counts = count_captions(["a red shirt", "a red shirt on a man"], get_extractor("fast"))
    >>> counts["attribute_compound", ("red", "shirt")], counts["relation_compound", ("shirt", "on", "man")]
    (2, 1)
    """
    fields = {kind: Counter() for kind in _EXTRACTION_KINDS}
    with paused_gc():
        for caption in captions:
            ex = extractor(caption)
            # each field holds distinct entries: one count per caption
            _count(fields["object"], ex.objects)
            _count(fields["attribute"], ex.attributes)
            _count(fields["relation"], ex.relations)
            _count(fields["attribute_compound"], ex.attribute_compounds)
            _count(fields["relation_compound"], ex.relation_compounds)
    counts: Counter = Counter()
    for kind in _EXTRACTION_KINDS:
        for key, n in fields[kind].items():
            counts[kind, key] = n
    return counts


#: The kinds in the order of an Extraction's fields.
_EXTRACTION_KINDS = ("object", "attribute", "relation", "attribute_compound", "relation_compound")
# the C loop behind Counter.update, without its per-call type checks
_count = _count_elements


@contextlib.contextmanager
def paused_gc():
    """No cyclic garbage collection inside: a counting loop makes no cycles,
    while the extractor's caches grow to millions of tuples that every full
    collection would walk again (about a third of the time on varied
    captions). Restores the collector's previous state.

    >>> import gc
    >>> with paused_gc():
    ...     gc.isenabled()
    False
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def count_shard(task: ShardTask) -> dict:
    """Count one shard and write its result file; returns the shard's stats."""
    extractor = get_extractor(task.extractor, _names(task.names_path))
    skipped: dict = {}
    started = time.perf_counter()
    captions = [0]

    def counted(texts):
        for text in texts:
            captions[0] += 1
            yield text

    counts = count_captions(counted(read_shard(task.corpus, task.shard, skipped)), extractor)
    stats = {"shard": task.shard.id, "captions": captions[0], "skipped": dict(sorted(skipped.items()))}
    # timings are logged, not written: the shard files of two runs compare equal
    log.debug("shard %s: %d captions in %.3f s", task.shard.id, captions[0], time.perf_counter() - started)
    rows = sorted([kind, encode_key(kind, key), n] for (kind, key), n in counts.items())
    write_json_atomic(task.result_path, {"format": SHARD_FORMAT, "stats": stats, "counts": rows})
    return stats


_NAMES: dict = {}


def _names(path: str):
    """The names table saved at *path*, loaded once per worker process."""
    if path not in _NAMES:
        _NAMES[path] = load_names(path)
    return _NAMES[path]


def _read_shard_result(path: Path) -> dict | None:
    """A finished shard's file, or None if absent or unreadable (then redone)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) and data.get("format") == SHARD_FORMAT else None


def build_vocab(corpus_spec, caption_paths, out_path, config: VocabConfig = VocabConfig()) -> dict:
    """Count a corpus into the vocabulary parquet *out_path*; returns the summary.

    *corpus_spec* is a :class:`~crepe_gen.systematicity.corpora.CorpusSpec`, a preset name or
    a YAML path. With no *caption_paths* the stand-in corpus in that preset's
    format is read (see ``crepe_gen/data/standin_corpus/README.md``).
    """
    spec = corpus_spec if isinstance(corpus_spec, CorpusSpec) else load_corpus_spec(corpus_spec)
    stand_in = not caption_paths
    if stand_in:
        caption_paths = [standin_corpus_dir() / spec.name]
        if not caption_paths[0].is_dir():
            raise InputError(caption_paths[0], f"no stand-in corpus for {spec.name!r}; give --captions")
    shards = plan_shards(spec, caption_paths)
    out_path = Path(out_path)
    work_dir = Path(config.work_dir) if config.work_dir else out_path.with_name(out_path.name + ".shards")
    with output_lock(work_dir):
        remove_stale_temps(out_path.parent, targets={out_path.name, manifest_path(out_path).name},
                           recursive=False)
        return _count_and_merge(spec, stand_in, caption_paths, shards, out_path, work_dir, config)


def _count_and_merge(spec: CorpusSpec, stand_in: bool, caption_paths, shards: list, out_path: Path,
                     work_dir: Path, config: VocabConfig) -> dict:
    names = vg_names(config.vg_root, lenient=config.lenient)
    names_path = work_dir / f"vg-vocabulary-{names.digest}.json"
    if not names_path.exists():
        save_names(names, names_path)
    digests: dict = {}
    tasks = [ShardTask(spec, shard, config.extractor, str(names_path),
                       str(work_dir / f"{_shard_key(spec, config.extractor, names.digest, shard, digests)}.json"))
             for shard in shards]
    _discard_stale(work_dir, {Path(task.result_path).name for task in tasks} | {names_path.name})
    todo = [task for task in tasks if _read_shard_result(Path(task.result_path)) is None]
    log.info("%d shards, %d already counted", len(tasks), len(tasks) - len(todo))
    if todo:
        executor = ExecutorConfig(config.executor, config.workers, config.scheduler)
        run_tasks(count_shard, todo, executor, progress=config.progress, description=f"counting {spec.name}")

    totals: Counter = Counter()
    shard_stats, skipped = [], Counter()
    for task in tasks:
        result = _read_shard_result(Path(task.result_path))
        if result is None:
            raise InputError(task.result_path, "shard result missing after counting")
        for kind, key, n in result["counts"]:
            totals[kind, decode_key(kind, key)] += n
        shard_stats.append(result["stats"])
        skipped.update(result["stats"]["skipped"])
    if skipped and not sum(s["captions"] for s in shard_stats):
        reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items()))
        raise InputError(caption_paths[0] if caption_paths else out_path,
                         f"no caption read ({reasons}): the {spec.name} corpus reads {spec.format} files"
                         + (f" (caption in column {', '.join(map(str, spec.columns))})" if spec.columns else "")
                         + "; a corpus YAML (--corpus FILE) reads other layouts")
    write_vocab(totals, out_path)

    here = manifest_path(out_path).parent
    summary = {
        "corpus": spec.to_dict(), "stand_in": stand_in,
        "inputs": sorted(portable_path(p, here, here) for p in caption_paths), "out": portable_path(out_path, here, here),
        "extractor": config.extractor, "executor": config.executor,
        "vg_vocabulary": {"root": config.vg_root or "bundled sample", "digest": names.digest},
        "shards": len(tasks),
        "captions": sum(s["captions"] for s in shard_stats),
        "skipped": dict(sorted(skipped.items())),
        "entries": dict(sorted(Counter(kind for kind, _ in totals).items())),
        "per_shard": shard_stats,
        "versions": versions("pyarrow"),
    }
    write_json_atomic(manifest_path(out_path), summary)
    # how the counts were reached is the run's, not the vocabulary's: two counts compare equal
    log.info("%d of %d shards resumed from an earlier run", len(tasks) - len(todo), len(tasks))
    return {**summary, "resumed_shards": len(tasks) - len(todo)}


def manifest_path(out_path) -> Path:
    """``VOCAB.manifest.json`` next to the vocabulary file *out_path*.

    >>> manifest_path("v/laion.parquet").as_posix()
    'v/laion.manifest.json'
    """
    out_path = Path(out_path)
    return out_path.with_name(out_path.stem + ".manifest.json")


def write_vocab(counts: Counter, path) -> None:
    """Write ``{(kind, key): count}`` as the vocabulary parquet, sorted, atomically
    (compound keys are tuples, written joined with ``|``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = sorted(((kind, encode_key(kind, key)), n) for (kind, key), n in counts.items())
    table = pa.table({"kind": pa.array([k for (k, _), _ in rows], pa.string()),
                      "key": pa.array([key for (_, key), _ in rows], pa.string()),
                      "count": pa.array([n for _, n in rows], pa.int64())})
    with atomic_open(path, "wb") as handle:
        pq.write_table(table, handle, compression="zstd")


def load_vocab(path) -> dict[str, Counter]:
    """``{kind: Counter}`` of a vocabulary parquet; compound keys as tuples.

    Every kind in :data:`KINDS` is present (possibly empty). Unknown kinds or
    missing columns are an :class:`~crepe_gen.core.errors.InputError`.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise InputError(path, "vocabulary file not found") from None
    except Exception as error:
        raise InputError(path, f"not a readable parquet file ({error})") from None
    missing = {"kind", "key", "count"} - set(table.column_names)
    if missing:
        raise InputError(path, f"vocabulary has no column {sorted(missing)[0]!r}")
    vocab = {kind: Counter() for kind in KINDS}
    columns = zip(*(table.column(c).to_pylist() for c in ("kind", "key", "count")))
    for index, (kind, key, count) in enumerate(columns):
        if kind not in vocab:
            raise InputError(path, f"unknown kind {kind!r}", record=f"row {index}")
        vocab[kind][decode_key(kind, key)] += count
    return vocab


def read_counts(path) -> CorpusCounts:
    """The :data:`CorpusCounts` of a vocabulary parquet (:func:`load_vocab`, flattened)."""
    return {(kind, key): int(count)
            for kind, counter in load_vocab(path).items() for key, count in counter.items()}


def encode_key(kind: str, key) -> str:
    """A key as the files write it: compound tuples joined with ``|``.

    >>> encode_key("attribute_compound", ("red", "shirt")), encode_key("object", "stop sign")
    ('red|shirt', 'stop sign')
    """
    if kind in COMPOUND_KINDS:
        if not isinstance(key, tuple):
            raise TypeError(f"{kind} key must be a tuple of names, got {key!r}")
        return SEPARATOR.join(key)
    return key


def decode_key(kind: str, text: str):
    """A key as read from a file (the inverse of :func:`encode_key`).

    >>> decode_key("relation_compound", "man|on|horse"), decode_key("object", "man")
    (('man', 'on', 'horse'), 'man')
    """
    return tuple(text.split(SEPARATOR)) if kind in COMPOUND_KINDS else text


def _shard_key(spec: CorpusSpec, extractor: str, names_digest: str, shard: Shard, digests: dict) -> str:
    """The name of a shard's result file: what its counts depend on (*digests*
    caches the caption files' hashes by path)."""
    if shard.path not in digests:
        digests[shard.path] = file_digest(shard.path)
    return fingerprint(SHARD_FORMAT, code_version("vocab", SHARD_FORMAT), spec.to_dict(), extractor,
                       names_digest, shard.id, digests[shard.path])


def _discard_stale(work_dir: Path, current: set) -> None:
    """Remove shard and names files of *work_dir* not among the *current* names."""
    stale = [path for path in work_dir.glob("*.json") if path.name not in current]
    if stale:
        log.warning("discarding %d saved shard file(s) of %s counted from other captions, configuration "
                    "or code; recounting", len(stale), work_dir)
        for path in stale:
            path.unlink()
