"""Benchmark ``crepe_gen.evaluation.audit`` on a ~20,000-row productivity set.

Writes synthetic CREPE-format sets (9 levels x 3 foil types), audits each and
prints, side by side, the audit (all ten baselines) and a reference
n-gram classifier written the textbook way (a scikit-learn pipeline of
fitted TF-IDF word 1-2-grams and character 2-4-grams, default logistic
regression, ``cross_val_predict`` with ``GroupKFold``): wall time, CPU time,
and the classifier's pooled Recall@1 per foil type.

Styles: ``released`` copies the released set's defects, ``balanced`` is an
exchangeable length-matched process, ``regions`` draws all six candidates of
a row from real Visual Genome region phrases (the bundled sample), so its
vocabulary is realistic and no baseline should beat chance.

    .venv/bin/python scripts/bench_audit.py --rows 100 740 --reference-max 100
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from crepe_fixtures import PRODUCTIVITY_COLUMNS, write_productivity_set  # noqa: E402

from crepe_gen.bench.reader import ANY_CSV, load_items  # noqa: E402
from crepe_gen.evaluation.audit import AuditConfig, audit_paths, normalized, tie_split_credit  # noqa: E402
from crepe_gen.core.errors import Problems  # noqa: E402
from crepe_gen.bench.writer import write_csv_atomic  # noqa: E402
from crepe_gen.vg.reader import VisualGenome  # noqa: E402


def write_regions_set(out: Path, rows: int, seed: int) -> None:
    # One phrase per normalized form, so no negative equals its positive.
    by_form = {}
    for _, regions in VisualGenome().region_descriptions():
        for region in regions:
            by_form.setdefault(normalized(region["phrase"]), region["phrase"].strip())
    phrases = sorted(phrase for form, phrase in by_form.items() if form)
    rng = random.Random(seed)
    for foil in ("atom", "swap", "negate"):
        for n in range(4, 13):
            table = []
            for index in range(rows):
                positive, *negatives = rng.sample(phrases, 6)
                table.append({"image_id": 1000 * n + index, "caption": positive, "n": n,
                              "n_objects": 2, "n_relations": 1, "n_attributes": n - 3,
                              "n_connected_components": 1, "hard_negs": negatives,
                              "x": 0.0, "y": 0.0, "width": 1.0, "height": 1.0})
            write_csv_atomic(out / "productivity" / foil / f"prod_vg_hard_negs_{foil}_complexity_{n}.csv",
                             PRODUCTIVITY_COLUMNS, table)


def reference_classifier(folder: Path, seed: int) -> tuple[dict, float, float]:
    """Textbook pipeline: fitted TF-IDF + default logistic regression, grouped CV."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline, make_union

    wall, cpu = time.perf_counter(), time.process_time()
    pools: dict[str, list] = {}
    for item in load_items([folder], ANY_CSV, Problems())[0]:
        pools.setdefault(item.foil, []).append(item)
    recall = {}
    for foil, items in sorted(pools.items()):
        texts = [c for item in items for c in item.candidates]
        labels = [int(i == 0) for item in items for i in range(len(item.candidates))]
        groups = [item.image_id for item in items for _ in item.candidates]
        model = make_pipeline(
            make_union(TfidfVectorizer(ngram_range=(1, 2)),
                       TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=False)),
            LogisticRegression(max_iter=1000))
        decision = cross_val_predict(model, np.array(texts, dtype=object), labels, groups=groups,
                                     cv=GroupKFold(5, shuffle=True, random_state=seed),
                                     method="decision_function")
        credits, start = [], 0
        for item in items:
            end = start + len(item.candidates)
            credits.append(tie_split_credit(decision[start:end].tolist()))
            start = end
        recall[foil] = sum(credits) / len(credits)
    return recall, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100, 740],
                        help="rows per level and foil type (several sizes allowed)")
    parser.add_argument("--reference-max", type=int, default=100,
                        help="run the (slow) reference pipeline only up to this many rows per cell")
    parser.add_argument("--styles", nargs="+", default=["released", "balanced", "regions"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import sklearn.linear_model  # noqa: F401  (import time is not audit time)

    print(f"{'style':<9} {'rows':>6}  {'what':<28} {'wall s':>7} {'cpu s':>7}  "
          f"{'ngram R@1 atom/negate/swap':<28} verdict")
    for per_cell, style in [(r, s) for r in args.rows for s in args.styles]:
        folder = Path(tempfile.mkdtemp(prefix=f"bench_audit_{style}_"))
        if style == "regions":
            write_regions_set(folder, per_cell, args.seed)
        else:
            write_productivity_set(folder, style, levels=range(4, 13), rows=per_cell, seed=args.seed)
        wall, cpu = time.perf_counter(), time.process_time()
        report = audit_paths([folder], AuditConfig(seed=args.seed))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rows = sum(c.rows for c in report.cells if c.level == "all")
        ours = "/".join(f"{100 * c.recall['ngram_classifier']:.1f}" for c in report.cells
                        if c.level == "all")
        print(f"{style:<9} {rows:>6}  {'crepe_gen audit (10 baselines)':<28} {wall:>7.1f} {cpu:>7.1f}  "
              f"{ours:<28} {'PASSED' if report.passed else 'FAILED'}")
        if per_cell <= args.reference_max:
            recall, wall, cpu = reference_classifier(folder, args.seed)
            theirs = "/".join(f"{100 * recall[f]:.1f}" for f in sorted(recall))
            print(f"{style:<9} {rows:>6}  {'reference pipeline (ngram)':<28} {wall:>7.1f} {cpu:>7.1f}  "
                  f"{theirs:<28} -")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole run: {peak:.0f} MB")


if __name__ == "__main__":
    main()
