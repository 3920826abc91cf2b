"""Benchmark: VG scene graphs into networkx graphs versus a plain ``json.load``.

Each job runs in its own subprocess so that its peak RSS (``ru_maxrss`` from
``os.wait4``) is its own. Prints wall time and peak RSS side by side, the
ratios, and whether the targets hold (peak RSS under 1.5 GB; wall time within
1.5x of ``json.load``).

Usage::

    python scripts/bench_load.py [VG_DIR] [--repeat N]

VG_DIR defaults to /work/bench/vg_full (see scripts/make_synthetic_vg.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_DIR = Path("/work/bench/vg_full")
RSS_TARGET_BYTES = 1.5e9
WALL_TARGET_RATIO = 1.5


def job_json_load(vg_dir: Path) -> dict:
    with open(vg_dir / "scene_graphs.json", "rb") as handle:
        data = json.load(handle)
    return {"images": len(data)}


def job_loader(vg_dir: Path) -> dict:
    from crepe_gen.vg.reader import VisualGenome

    images = nodes = 0
    for graph in VisualGenome(vg_dir).scene_graphs():
        images += 1
        nodes += len(graph)  # O(1); number_of_edges() alone costs more than building the graph
    return {"images": images, "nodes": nodes}


JOBS = {"json.load": job_json_load, "crepe_gen loader": job_loader}


def run_child(name: str, vg_dir: Path) -> dict:
    """Run one job in a fresh interpreter; wall time includes its start-up."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--child", name, str(vg_dir)],
                             stdout=subprocess.PIPE)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"job {name!r} failed with status {status}")
    result = json.loads(output)
    result.update(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime,
                  peak_rss_bytes=usage.ru_maxrss * 1024)  # Linux: KiB
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vg_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each job; the best wall time is kept")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(JOBS[args.child](args.vg_dir)))
        return 0

    path = args.vg_dir / "scene_graphs.json"
    if not path.exists():
        raise SystemExit(f"{path} not found: run scripts/make_synthetic_vg.py {args.vg_dir} first")
    print(f"file: {path} ({path.stat().st_size / 1e9:.2f} GB)")
    results = {}
    for name in JOBS:
        runs = [run_child(name, args.vg_dir) for _ in range(args.repeat)]
        results[name] = min(runs, key=lambda r: r["wall_s"])
        results[name]["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in runs)
        print(f"  {name}: done", flush=True)
    base, ours = results["json.load"], results["crepe_gen loader"]
    measures = ("wall_s", "cpu_s", "peak_rss_bytes")
    print(f"{'':18}{'wall (s)':>10}{'CPU (s)':>10}{'peak RSS (GB)':>15}  result")
    for name, r in results.items():
        detail = ", ".join(f"{k} {v:,}" for k, v in r.items() if k not in measures)
        print(f"{name:18}{r['wall_s']:>10.1f}{r['cpu_s']:>10.1f}{r['peak_rss_bytes'] / 1e9:>15.2f}  {detail}")
    wall_ratio, cpu_ratio, rss_ratio = (ours[m] / base[m] for m in measures)
    print(f"{'loader / json.load':18}{wall_ratio:>9.2f}x{cpu_ratio:>9.2f}x{rss_ratio:>14.2f}x")
    wall_ok = wall_ratio <= WALL_TARGET_RATIO
    rss_ok = ours["peak_rss_bytes"] < RSS_TARGET_BYTES
    print(f"targets: wall within {WALL_TARGET_RATIO}x of json.load: {'yes' if wall_ok else 'NO'}; "
          f"peak RSS under {RSS_TARGET_BYTES / 1e9} GB: {'yes' if rss_ok else 'NO'}")
    return 0 if wall_ok and rss_ok else 1


if __name__ == "__main__":
    sys.exit(main())
