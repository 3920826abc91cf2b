"""Benchmark of the systematicity stage: time, memory and blind bias, side by side.

Runs ``run_systematicity`` on a Visual Genome folder (default: the bundled
sample) with the stand-in vocabularies, once per configuration, each in its own
process (so peak memory is its own), then audits each output:

- ``default``: negatives as shipped (HN-Atom: likely-in-context replacements
  in one slot; every list's ranks balanced against a text-only classifier);
- ``likely_comp``: HN-Comp and combined negatives kept only when at least as
  likely as the positive under a bigram model (the earlier design: few rows);
- ``baseline``: the default candidates with no rank balancing (the first
  ``max_negatives`` candidates kept), the way an unaudited generator would.

Usage::

    .venv/bin/python scripts/bench_systematicity.py [--vg DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

CONFIGS = {
    "default": {},
    "likely_comp": {"likely_comp_only": True},
    "baseline": {"balance_ranks": False},
}


def run_one(vg_root, vocabs, out, overrides, queue) -> None:
    from crepe_gen.systematicity.stage import SystematicityConfig, run_systematicity
    from crepe_gen.vg.reader import VisualGenome

    wall, cpu = time.perf_counter(), time.process_time()
    section = run_systematicity(VisualGenome(vg_root), vocabs, out,
                                dataclasses.replace(SystematicityConfig(), **overrides))
    queue.put({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
               "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "rows": sum(n for splits in section["counts"].values() for n in splits.values()),
               "regions": section["grounded_regions"]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vg", default=None, help="Visual Genome folder (default: bundled sample)")
    parser.add_argument("--out", default=None, help="working folder (default: a temporary one)")
    args = parser.parse_args()

    from crepe_gen.evaluation.audit import AuditConfig, audit_paths
    from crepe_gen.systematicity.stage import SystematicityConfig, standin_vocabs
    from crepe_gen.vg.reader import VisualGenome

    work = Path(args.out or tempfile.mkdtemp(prefix="bench_systematicity_"))
    vg_root = str(VisualGenome(args.vg).root)
    vocabs = standin_vocabs(work / "vocab", vg_root, SystematicityConfig())
    results = {}
    context = multiprocessing.get_context("spawn")
    for name, overrides in CONFIGS.items():
        queue = context.Queue()
        process = context.Process(target=run_one, args=(vg_root, vocabs, work / name, overrides, queue))
        process.start()
        figures = queue.get()
        process.join()
        report = audit_paths([work / name / "systematicity"], AuditConfig(progress=False))
        cells = {foil: report.cell("systematicity", foil, "all") for foil in ("atom", "comp", "combined")}
        figures.update(passed=report.passed, cells=cells)
        results[name] = figures

    print(f"Visual Genome: {vg_root}; stand-in vocabularies; output in {work}")
    print("Recall@1 % pooled over the six files: n-gram classifier / chance, shortest / longest (rows)")
    print(f"{'config':<12} {'regions':>7} {'rows':>6} {'wall s':>7} {'CPU s':>6} {'RSS MB':>7}  "
          + "  ".join(f"{foil:>30}" for foil in ("HN-Atom", "HN-Comp", "combined")) + "  audit")
    for name, r in results.items():
        figures = "  ".join(f"{cell_figure(r['cells'][foil]):>30}" for foil in ("atom", "comp", "combined"))
        print(f"{name:<12} {r['regions']:>7} {r['rows']:>6} {r['wall']:>7.1f} {r['cpu']:>6.1f} "
              f"{r['rss_mb']:>7.0f}  {figures}  {'PASSED' if r['passed'] else 'FAILED'}")


def cell_figure(cell) -> str:
    recall = cell.recall
    if not cell.rows or recall.get("ngram_classifier") is None:
        return "-"
    return (f"{100 * recall['ngram_classifier']:.1f}/{100 * cell.chance:.1f}, "
            f"{100 * recall['shortest']:.1f}/{100 * recall['longest']:.1f} ({cell.rows})")

if __name__ == "__main__":
    main()
