"""Agreement of the fast extractor with the spaCy reference on real text.

Runs both extractors over the region descriptions of a Visual Genome folder
(default: the bundled sample, 7,278 regions) and prints, per kind, the
micro-averaged precision and recall of the fast extractor taking the
reference as truth. Both extractors only report names of the VG names table,
so every compound compared has its atoms in that table.

With the bundled sample it then scores both extractors against a hand-made
gold standard (``tests/data/extractor_gold.jsonl``: 120 region descriptions
drawn with seed 0, their compounds written down by hand in VG names), so
that disagreements can be told apart from errors.

    .venv/bin/python scripts/extractor_agreement.py [--vg DIR] [--examples 10]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from crepe_gen.systematicity.extract import get_extractor
from crepe_gen.systematicity.vg_names import vg_names
from crepe_gen.vg.reader import VisualGenome

GOLD = Path(__file__).resolve().parent.parent / "tests" / "data" / "extractor_gold.jsonl"
KINDS = ("objects", "attributes", "relations", "attribute_compounds", "relation_compounds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vg", default=None, help="Visual Genome folder (default: bundled sample)")
    parser.add_argument("--examples", type=int, default=0, help="print this many disagreements")
    args = parser.parse_args()

    captions = [region["phrase"] for _, regions in VisualGenome(args.vg, lenient=True).region_descriptions()
                for region in regions]
    names = vg_names(args.vg)
    fast, reference = get_extractor("fast", names), get_extractor("spacy", names)
    started = time.perf_counter()
    fast_results = [fast(c) for c in captions]
    fast_seconds = time.perf_counter() - started
    started = time.perf_counter()
    reference_results = list(reference.extract_many(captions))
    reference_seconds = time.perf_counter() - started

    print(f"{len(captions)} region descriptions; fast {len(captions) / fast_seconds:,.0f} captions/s, "
          f"spaCy reference {len(captions) / reference_seconds:,.0f} captions/s (one process)")
    rows, disagreements = agreement(fast_results, reference_results, captions)
    for caption, fast_only, reference_only in disagreements[:args.examples]:
        print(f"  {caption!r}\n    fast only: {fast_only}\n    reference only: {reference_only}")
    print_agreement(rows)
    if args.vg is None:
        print_gold_scores({"fast": fast, "spacy reference": reference})


def agreement(fast_results, reference_results, captions=None) -> tuple[dict, list]:
    """Per kind ``[reference, fast, both]`` entry counts, micro-averaged over
    captions (the reference taken as truth), plus ``"all compounds"``; and the
    captions whose reference compounds the fast extractor misses, as
    ``(caption, fast only, reference only)``.

    >>> from crepe_gen.systematicity.extraction import Extraction
    >>> rows, missed = agreement([Extraction(("man",), attribute_compounds=(("red", "man"),))],
    ...                          [Extraction(("man",), attribute_compounds=(("tall", "man"),))], ["c"])
    >>> rows["objects"], rows["all compounds"], missed
    ([1, 1, 1], [1, 1, 0], [('c', [('red', 'man')], [('tall', 'man')])])
    """
    rows = {kind: [0, 0, 0] for kind in KINDS + ("all compounds",)}
    disagreements = []
    captions = captions if captions is not None else [None] * len(fast_results)
    for caption, got, want in zip(captions, fast_results, reference_results):
        for kind in KINDS:
            g, w = set(getattr(got, kind)), set(getattr(want, kind))
            rows[kind][0] += len(w)
            rows[kind][1] += len(g)
            rows[kind][2] += len(g & w)
        g, w = set(got.compounds()), set(want.compounds())
        rows["all compounds"][0] += len(w)
        rows["all compounds"][1] += len(g)
        rows["all compounds"][2] += len(g & w)
        if not w <= g:
            disagreements.append((caption, sorted(g - w), sorted(w - g)))
    return rows, disagreements


def compound_recall(rows: dict) -> float:
    """Recall of all compounds in :func:`agreement`'s *rows*."""
    want, _, both = rows["all compounds"]
    return safe_ratio(both, want)


def print_agreement(rows: dict) -> None:
    print(f"{'kind':<22}{'reference':>10}{'fast':>8}{'both':>8}{'precision':>11}{'recall':>8}")
    for kind, (want, got, both) in rows.items():
        print(f"{kind:<22}{want:>10}{got:>8}{both:>8}{safe_ratio(both, got):>11.3f}{safe_ratio(both, want):>8.3f}")


def safe_ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def gold_scores(extractor, gold: list[dict]) -> tuple[int, int, int]:
    """``(gold compounds, extracted compounds, correct)`` over *gold* records."""
    want = got = both = 0
    for record in gold:
        truth = {tuple(compound) for compound in record["compounds"]}
        found = set(extractor(record["caption"]).compounds())
        want, got, both = want + len(truth), got + len(found), both + len(truth & found)
    return want, got, both


def print_gold_scores(extractors: dict, path: Path = GOLD) -> None:
    gold = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    print(f"\nagainst the hand-made gold standard ({len(gold)} region descriptions):")
    print(f"{'extractor':<22}{'gold':>10}{'found':>8}{'right':>8}{'precision':>11}{'recall':>8}")
    for name, extractor in extractors.items():
        want, got, both = gold_scores(extractor, gold)
        print(f"{name:<22}{want:>10}{got:>8}{both:>8}{safe_ratio(both, got):>11.3f}{safe_ratio(both, want):>8.3f}")


if __name__ == "__main__":
    main()
