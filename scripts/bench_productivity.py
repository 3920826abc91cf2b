"""Benchmark: a full productivity set (9 levels x 3 foil types) from a full-scale VG.

Two jobs, each in its own subprocess so its peak RSS (``ru_maxrss`` from
``os.wait4``) is its own, printed side by side:

* ``read graphs`` (the baseline): stream every scene graph once, nothing else:
  the floor any generator over these files pays per pass;
* ``productivity``: ``run_productivity`` with ``per_level`` rows per level and
  type (2,000 by default) and ``--workers`` processes.

Then checks the targets: wall time under 10 minutes, peak RSS under 4 GB,
every one of the 27 files holding ``per_level`` rows.

Usage::

    python scripts/bench_productivity.py [VG_DIR] [--per-level 2000] [--workers 2] [--out DIR]

VG_DIR defaults to /work/bench/vg_full (made by scripts/make_synthetic_vg.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DIR = Path("/work/bench/vg_full")
WALL_TARGET_SECONDS = 600
RSS_TARGET_BYTES = 4e9


def job_read_graphs(vg_dir: str) -> dict:
    from crepe_gen.vg.reader import VisualGenome

    images = sum(1 for _ in VisualGenome(vg_dir).scene_graphs())
    return {"images": images}


def job_productivity(vg_dir: str, out: str, per_level: int, workers: int) -> dict:
    from crepe_gen.productivity.stage import ProductivityConfig, run_productivity
    from crepe_gen.vg.reader import VisualGenome

    section = run_productivity(VisualGenome(vg_dir), out,
                               ProductivityConfig(per_level=per_level, workers=workers))
    return {"images_read": section["images_read"], "vocabulary_images": section["vocabulary_images"],
            "rows": section["rows"]}


def run_job(argv: list[str]) -> tuple[dict, float, int]:
    """Run this script as a child job; return its result, wall seconds and peak RSS bytes."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--job", json.dumps(argv)],
                               stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    output = process.stdout.read()
    process.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"job {argv[0]} failed")
    return json.loads(output.strip().splitlines()[-1]), wall, usage.ru_maxrss * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vg_dir", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--per-level", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=None, help="output folder (default: a temporary one)")
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        name, *rest = json.loads(args.job)
        result = {"read": job_read_graphs, "productivity": job_productivity}[name](*rest)
        print(json.dumps(result))
        return 0

    out = args.out or tempfile.mkdtemp(prefix="bench_productivity_")
    print(f"VG folder: {args.vg_dir}; output: {out}; per level and type: {args.per_level}; "
          f"workers: {args.workers}")
    read, read_wall, read_rss = run_job(["read", args.vg_dir])
    prod, prod_wall, prod_rss = run_job(["productivity", args.vg_dir, out, args.per_level, args.workers])
    # ru_maxrss of a waited-for job is the largest of its processes (workers included), not their sum.
    print(f"{'job':<28}{'wall s':>10}{'peak RSS MB':>14}  (RSS: largest single process)")
    print(f"{'read graphs (baseline)':<28}{read_wall:>10.1f}{read_rss / 1e6:>14.0f}")
    print(f"{'productivity':<28}{prod_wall:>10.1f}{prod_rss / 1e6:>14.0f}")
    print(f"ratio productivity / read: wall {prod_wall / read_wall:.2f}x, RSS {prod_rss / read_rss:.2f}x")
    print(f"images in folder: {read['images']:,}; vocabulary over {prod['vocabulary_images']:,}; "
          f"generation read {prod['images_read']:,}")
    cells = [count for by_level in prod["rows"].values() for count in by_level.values()]
    print(f"files: {len(cells)}; rows per file: min {min(cells)}, max {max(cells)}; total {sum(cells):,}")
    checks = {
        f"wall under {WALL_TARGET_SECONDS} s": prod_wall < WALL_TARGET_SECONDS,
        f"peak RSS under {RSS_TARGET_BYTES / 1e9:.0f} GB": prod_rss < RSS_TARGET_BYTES,
        f"27 files of {args.per_level} rows": len(cells) == 27 and min(cells) >= args.per_level,
    }
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'MISS'} {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
