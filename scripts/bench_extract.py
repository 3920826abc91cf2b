"""Throughput of the fast extractor against the spaCy reference, in one run.

Reads LAION-like parquet shards (scripts/make_synthetic_corpus.py), runs the
fast extractor and the counting over every caption of the chosen shards, one
shard per worker process, and the spaCy reference over a subset in this
process; prints captions/s/core side by side, the ratio, and the projected
time for LAION-400M (400 million captions) on 2 cores and on 64 cores.

    .venv/bin/python scripts/bench_extract.py --corpus /work/bench/laion_like \\
        --workers 2 --reference-captions 2000
"""

from __future__ import annotations

import argparse
import glob
import multiprocessing
import time

import pyarrow.parquet as pq

from crepe_gen.systematicity.extract import get_extractor
from crepe_gen.systematicity.counting import count_captions

LAION_400M = 400_000_000


def read_texts(path: str, limit: int | None = None) -> list[str]:
    texts = pq.read_table(path, columns=["TEXT"]).column("TEXT").to_pylist()
    return texts[:limit] if limit else texts


def bench_shard(path: str) -> dict:
    """Read, extract and count one shard; CPU seconds of each phase."""
    extractor = get_extractor("fast")
    extractor("warm up")
    started = time.process_time()
    texts = read_texts(path)
    read_seconds = time.process_time() - started
    started = time.process_time()
    for text in texts:
        extractor(text)
    extract_seconds = time.process_time() - started
    started = time.process_time()
    count_captions(texts, extractor)
    count_seconds = time.process_time() - started
    return {"captions": len(texts), "read": read_seconds, "extract": extract_seconds, "count": count_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="/work/bench/laion_like")
    parser.add_argument("--shards", type=int, default=None, help="use only the first N shards")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reference-captions", type=int, default=2000)
    args = parser.parse_args()

    paths = sorted(glob.glob(f"{args.corpus}/*.parquet"))[:args.shards]
    if not paths:
        raise SystemExit(f"no parquet shards in {args.corpus}")
    get_extractor("fast")  # builds the VG names table once before forking
    wall = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        results = pool.map(bench_shard, paths, chunksize=1)
    wall = time.perf_counter() - wall
    captions = sum(r["captions"] for r in results)
    extract_rate = captions / sum(r["extract"] for r in results)
    count_rate = captions / sum(r["count"] for r in results)
    end_to_end = captions / sum(r["read"] + r["count"] for r in results)

    reference = get_extractor("spacy")
    subset = read_texts(paths[0], args.reference_captions)
    started = time.process_time()
    for _ in reference.extract_many(subset):
        pass
    reference_rate = len(subset) / (time.process_time() - started)

    print(f"corpus: {len(paths)} shards, {captions:,} captions; {args.workers} workers, wall {wall:.1f} s")
    print(f"{'':34}{'captions/s/core':>16}{'vs spaCy':>10}")
    print(f"{'spaCy reference (extract)':34}{reference_rate:>16,.0f}{1:>10.1f}x  ({len(subset):,} captions)")
    print(f"{'fast (extract)':34}{extract_rate:>16,.0f}{extract_rate / reference_rate:>10.1f}x")
    print(f"{'fast (extract + count)':34}{count_rate:>16,.0f}{count_rate / reference_rate:>10.1f}x")
    print(f"{'fast (read parquet + extract + count)':34}{end_to_end:>16,.0f}{end_to_end / reference_rate:>10.1f}x")
    print("projected LAION-400M, read + extract + count:")
    for cores in (2, 64):
        print(f"  {cores:>3} cores: fast {LAION_400M / end_to_end / cores / 3600:8.2f} h"
              f"   spaCy {LAION_400M / reference_rate / cores / 3600:10.1f} h")


if __name__ == "__main__":
    main()
