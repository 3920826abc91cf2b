"""Throughput of the fast extractor against the spaCy reference, per corpus size.

Reads LAION-like parquet shards (scripts/make_synthetic_corpus.py; use the
``--mode varied`` corpus, whose captions do not repeat, for figures that say
something about real web captions). For each size (the first N captions of
the corpus) a fresh pool of worker processes runs the fast extractor, then the
extraction plus the counting, over every caption, one shard per task, and
reports CPU seconds per core (``time.process_time()`` in each worker: the
machine is shared, so wall time would measure the other work too), the share
of sentence-cache lookups that hit (sentences of two or more VG forms whose
compound rules did not have to run), the spaCy reference
on a subsample of the same captions in this process, the ratio, the compound
recall of the fast extractor against the reference on that subsample
(scripts/extractor_agreement.py), and the projected time for LAION-400M
(400 million captions) on 2 cores and on 64 cores from the per-core figure
of the largest size.

    .venv/bin/python scripts/bench_extract.py --corpus /work/bench/varied_1m \\
        --sizes 100000 300000 1000000 --workers 2 --reference-captions 3000
"""

from __future__ import annotations

import argparse
import glob
import multiprocessing
import time

import pyarrow.parquet as pq

from crepe_gen.systematicity.counting import count_captions, paused_gc
from crepe_gen.systematicity.extract import get_extractor
from crepe_gen.systematicity.fast_extractor import FastExtractor
from extractor_agreement import agreement, compound_recall

LAION_400M = 400_000_000


def read_texts(path: str, limit: int | None = None) -> list[str]:
    texts = pq.read_table(path, columns=["TEXT"]).column("TEXT").to_pylist()
    return texts[:limit] if limit else texts


def plan(paths: list[str], size: int) -> list[tuple[str, int]]:
    """``(shard, captions to read from it)`` covering the first *size* captions."""
    tasks, left = [], size
    for path in paths:
        if left <= 0:
            break
        rows = pq.ParquetFile(path).metadata.num_rows
        tasks.append((path, min(rows, left)))
        left -= rows
    return tasks


_COUNTING_EXTRACTOR: list = []


def bench_shard(task: tuple[str, int]) -> dict:
    """Extract one shard, then extract and count it with a second extractor
    (its own cache, so the counting pass is not served by the first); CPU
    seconds of each, and how many sentences ran the compound rules (missed
    the sentence cache) in the first."""
    path, limit = task
    extractor = get_extractor("fast")
    if not _COUNTING_EXTRACTOR:
        _COUNTING_EXTRACTOR.append(FastExtractor(extractor.names))
    texts = read_texts(path, limit)
    before, lookups = extractor.rule_runs, extractor.cache_lookups
    started = time.process_time()
    with paused_gc():   # as count_captions does
        for text in texts:
            extractor(text)
    extract_seconds = time.process_time() - started
    misses = extractor.rule_runs - before
    started = time.process_time()
    count_captions(texts, _COUNTING_EXTRACTOR[0])
    count_seconds = time.process_time() - started
    return {"captions": len(texts), "extract": extract_seconds, "count": count_seconds, "misses": misses,
            "lookups": extractor.cache_lookups - lookups}


def bench_size(paths: list[str], size: int, workers: int) -> dict:
    """One size, in fresh worker processes (so every size starts with an empty cache)."""
    wall = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.map(bench_shard, plan(paths, size), chunksize=1)
    captions = sum(r["captions"] for r in results)
    return {"captions": captions, "wall": time.perf_counter() - wall,
            "extract": captions / sum(r["extract"] for r in results),
            "count": captions / sum(r["count"] for r in results),
            "hit": 1 - sum(r["misses"] for r in results) / max(1, sum(r["lookups"] for r in results))}


def bench_reference(path: str, captions: int) -> tuple[float, float, int]:
    """spaCy captions/s (CPU) on the first *captions* of *path*, and the fast
    extractor's compound recall against it on the same captions."""
    subset = read_texts(path, captions)
    reference = get_extractor("spacy")
    started = time.process_time()
    reference_results = list(reference.extract_many(subset))
    rate = len(subset) / (time.process_time() - started)
    fast = FastExtractor(get_extractor("fast").names)   # a fresh cache
    rows, _ = agreement([fast(text) for text in subset], reference_results)
    return rate, compound_recall(rows), len(subset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="/work/bench/varied_1m")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000],
                        help="numbers of captions, each from the start of the corpus")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reference-captions", type=int, default=3000)
    args = parser.parse_args()

    paths = sorted(glob.glob(f"{args.corpus}/*.parquet"))
    if not paths:
        raise SystemExit(f"no parquet shards in {args.corpus}")
    get_extractor("fast")  # builds the VG names table once before forking
    rows = [bench_size(paths, size, args.workers) for size in args.sizes]
    reference_rate, recall, subset = bench_reference(paths[0], args.reference_captions)

    print(f"corpus {args.corpus}; {args.workers} workers; CPU seconds per core (time.process_time)")
    print(f"spaCy reference: {reference_rate:,.0f} captions/s/core on the first {subset:,} captions; "
          f"fast compound recall against it there: {recall:.3f}")
    print(f"{'captions':>10}{'fast extract/s':>16}{'cache hits':>12}{'vs spaCy':>10}"
          f"{'extract+count/s':>17}{'wall s':>8}")
    for row in rows:
        print(f"{row['captions']:>10,}{row['extract']:>16,.0f}{row['hit']:>12.1%}"
              f"{row['extract'] / reference_rate:>9.1f}x{row['count']:>17,.0f}{row['wall']:>8.1f}")
    largest = rows[-1]
    print(f"projected LAION-400M from {largest['captions']:,} captions (extract + count; extract alone):")
    for cores in (2, 64):
        print(f"  {cores:>3} cores: fast {LAION_400M / largest['count'] / cores / 3600:7.2f} h"
              f" ({LAION_400M / largest['extract'] / cores / 3600:.2f} h)"
              f"   spaCy {LAION_400M / reference_rate / cores / 3600:8.1f} h")


if __name__ == "__main__":
    main()
