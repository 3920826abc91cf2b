"""Write a LAION-like synthetic caption corpus for benchmarks (outside git).

Parquet shards with a ``TEXT`` column (and ``URL``), as the LAION-400M
metadata; captions composed deterministically from the Visual Genome names of
the bundled sample and caption-like templates (web-style noise included:
capitalized words, numbers, brand-like tokens, "stock photo", hashtags).

    .venv/bin/python scripts/make_synthetic_corpus.py --out /work/bench/laion_like \\
        --captions 10000000 --shard-size 1000000 --seed 0
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from crepe_gen.systematicity.vg_names import vg_names

TEMPLATES = [
    "{A} {O} {R} the {O2}",
    "a {A} {O} {R} a {A2} {O2} in the {O3}",
    "Photo of a {O} {R} {O2}",
    "{A} {O} and {A2} {O2} stock photo",
    "The {O} is {A}",
    "{N} {A} {O}s {R} {O2} - {W} {W2}",
    "close-up of {O} with {A} {O2}, {W}",
    "{W} {W2} {A} {O} for sale",
    "Vintage {A} {O} {R} the {O2} #{W}",
    "a {O} {R} a {O2} {R2} the {O3}",
    "{W} {N} {W2}",
    "{A} and {A2} {O}",
]
FILLER = ("beautiful summer modern design vintage free shipping image picture new best style "
          "home garden kitchen travel city nature wedding family holiday premium quality").split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/work/bench/laion_like"))
    parser.add_argument("--captions", type=int, default=10_000_000)
    parser.add_argument("--shard-size", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    names = vg_names()
    objects = np.array(sorted(names.objects))
    attributes = np.array(sorted(names.attributes))
    relations = np.array(sorted(names.relations))
    filler = np.array(FILLER)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    # shuffled once, so the Zipf ranks below fall on arbitrary names
    objects, attributes, relations = (pool[rng.permutation(len(pool))]
                                      for pool in (objects, attributes, relations))
    written = 0
    for shard in range(0, (args.captions + args.shard_size - 1) // args.shard_size):
        started = time.perf_counter()
        n = min(args.shard_size, args.captions - written)
        def pick(pool, size):
            """Skewed choice of names (a few frequent, a long tail), as in real captions."""
            ranks = (rng.random(size) ** 3 * len(pool)).astype(np.int64)
            return pool[ranks]
        columns = {k: pick(pool, n) for k, pool in [("O", objects), ("O2", objects), ("O3", objects),
                                                      ("A", attributes), ("A2", attributes),
                                                      ("R", relations), ("R2", relations)]}
        words = filler[rng.integers(0, len(filler), (2, n))]
        numbers = rng.integers(2, 12, n)
        template_ids = rng.integers(0, len(TEMPLATES), n)
        texts = []
        for i in range(n):
            texts.append(TEMPLATES[template_ids[i]].format(
                O=columns["O"][i], O2=columns["O2"][i], O3=columns["O3"][i], A=columns["A"][i],
                A2=columns["A2"][i], R=columns["R"][i], R2=columns["R2"][i], N=numbers[i],
                W=words[0, i], W2=words[1, i]))
        table = pa.table({"URL": [f"https://example.invalid/{written + i}.jpg" for i in range(n)],
                          "TEXT": texts})
        path = args.out / f"part-{shard:05d}.parquet"
        pq.write_table(table, path, row_group_size=100_000, compression="zstd")
        written += n
        print(f"{path}: {n} captions ({time.perf_counter() - started:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
