"""Benchmark the evaluation harness; figures printed next to a baseline.

1. Bootstrap confidence intervals: the multinomial-over-rank-values method of
   crepe_gen.evaluation.harness against plain index resampling (numpy, same B), time and
   peak memory.
2. The whole harness with a text-only rule on a synthetic productivity set of
   --rows rows (items/s), against scoring the same items in a bare loop.
3. open_clip RN50 with random weights on --clip-items items with synthetic
   images (items/s on this CPU), against encoding one item at a time.

Usage: .venv/bin/python scripts/bench_eval.py [--rows 100000] [--clip-items 128]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from crepe_gen.bench.reader import load_benchmark  # noqa: E402
from crepe_gen.evaluation.harness import EvalConfig, bootstrap_metrics, evaluate, item_rank  # noqa: E402
from crepe_gen.bench.writer import write_csv_atomic  # noqa: E402
from crepe_gen.evaluation.models import TextRuleAdapter, load_adapter  # noqa: E402

COLUMNS = ["image_id", "caption", "n", "n_objects", "n_relations", "n_attributes",
           "n_connected_components", "hard_negs", "x", "y", "width", "height"]
WORDS = "a red blue cup dog man table on under near with tall small green".split()


def synthetic_bench(root: Path, rows: int, images: int) -> None:
    rng = random.Random(0)
    per_level = rows // 9
    for level in range(4, 13):
        data = []
        for i in range(per_level):
            caption = " ".join(rng.choice(WORDS) for _ in range(level + 2))
            negs = [" ".join(rng.choice(WORDS) for _ in range(level + 2)) for _ in range(5)]
            data.append({"image_id": 1 + (i % images), "caption": caption, "n": level, "n_objects": 2,
                         "n_relations": 1, "n_attributes": level - 3, "n_connected_components": 1,
                         "hard_negs": negs, "x": 10.0, "y": 12.0, "width": 100.0, "height": 80.0})
        write_csv_atomic(root / f"productivity/atom/prod_vg_hard_negs_atom_complexity_{level}.csv", COLUMNS, data)


def measure(function, memory: bool = False):
    """(result, seconds, peak MiB); memory tracing slows Python code, so only on request."""
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if memory else float("nan")
    if memory:
        tracemalloc.stop()
    return result, seconds, peak


def naive_bootstrap(ranks, n_bootstrap, seed=0):
    rng = np.random.default_rng(seed)
    samples = ranks[rng.integers(0, len(ranks), size=(n_bootstrap, len(ranks)))]
    return np.percentile((samples <= 1).mean(axis=1), [2.5, 97.5])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--clip-items", type=int, default=128)
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()

    ranks = np.random.default_rng(1).integers(1, 7, size=args.rows)
    _, fast_s, fast_mb = measure(lambda: bootstrap_metrics(ranks, n_bootstrap=args.bootstrap), True)
    _, naive_s, naive_mb = measure(lambda: naive_bootstrap(ranks, args.bootstrap), True)
    print(f"bootstrap of {args.rows} ranks, B={args.bootstrap}")
    print(f"  {'':<24}{'seconds':>10}{'peak MiB':>10}")
    print(f"  {'multinomial (ours)':<24}{fast_s:>10.3f}{fast_mb:>10.1f}")
    print(f"  {'index resampling':<24}{naive_s:>10.3f}{naive_mb:>10.1f}")

    with tempfile.TemporaryDirectory() as tmp:
        bench = Path(tmp) / "bench"
        synthetic_bench(bench, args.rows, images=max(1, args.clip_items // 4))
        config = EvalConfig(n_bootstrap=args.bootstrap)
        results, harness_s, _ = measure(lambda: evaluate(bench, TextRuleAdapter("shortest"), config=config))
        items, _ = load_benchmark(bench)
        adapter = TextRuleAdapter("shortest")
        start = time.perf_counter()
        for item in items:
            item_rank(adapter.score(None, [item.candidates])[0])
        loop_s = time.perf_counter() - start
        print(f"text:shortest on {results['items']} items (6 candidates each)")
        print(f"  {'whole harness (ours)':<24}{results['items'] / harness_s:>10.0f} items/s (read, rank, 5 groupings, CIs)")
        print(f"  {'bare scoring loop':<24}{len(items) / loop_s:>10.0f} items/s (rank only, data in memory)")

        if args.clip_items:
            from PIL import Image
            images = Path(tmp) / "images" / "VG_100K"
            images.mkdir(parents=True)
            for image_id in sorted({item.image_id for item in items}):
                Image.new("RGB", (320, 240), (image_id * 7 % 255, 90, 160)).save(images / f"{image_id}.jpg")
            subset = Path(tmp) / "subset"
            synthetic_bench(subset, args.clip_items, images=max(1, args.clip_items // 4))
            clip = load_adapter("open_clip:RN50")
            clip.score([Image.new("RGB", (64, 64))], [["warm up"]])
            for batch in (32, 1):
                results, seconds, _ = measure(lambda: evaluate(subset, clip, images.parent,
                                                                EvalConfig(batch_size=batch, n_bootstrap=100)))
                label = "batch 32 (ours)" if batch == 32 else "one item at a time"
                print(f"  open_clip RN50 {label:<20}{results['items'] / seconds:>8.1f} items/s "
                      f"({results['items']} items, CPU, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
