"""Agreement of the fast extractor with the spaCy reference on real text.

Runs both extractors over the region descriptions of a Visual Genome folder
(default: the bundled sample, 7,278 regions) and prints, per kind, the
micro-averaged precision and recall of the fast extractor taking the
reference as truth. Both extractors only report names of the VG vocabulary,
so every compound compared has its atoms in that vocabulary.

    .venv/bin/python scripts/extractor_agreement.py [--vg DIR] [--examples 10]
"""

from __future__ import annotations

import argparse
import time

from crepe_gen.extract import get_extractor, vocabulary_for
from crepe_gen.visual_genome import VisualGenome

KINDS = ("objects", "attributes", "relations", "attribute_compounds", "relation_compounds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vg", default=None, help="Visual Genome folder (default: bundled sample)")
    parser.add_argument("--examples", type=int, default=0, help="print this many disagreements")
    args = parser.parse_args()

    captions = [region["phrase"] for _, regions in VisualGenome(args.vg, lenient=True).region_descriptions()
                for region in regions]
    vocabulary = vocabulary_for(args.vg)
    fast, reference = get_extractor("fast", vocabulary), get_extractor("spacy", vocabulary)
    started = time.perf_counter()
    fast_results = [fast(c) for c in captions]
    fast_seconds = time.perf_counter() - started
    started = time.perf_counter()
    reference_results = list(reference.extract_many(captions))
    reference_seconds = time.perf_counter() - started

    print(f"{len(captions)} region descriptions; fast {len(captions) / fast_seconds:,.0f} captions/s, "
          f"spaCy reference {len(captions) / reference_seconds:,.0f} captions/s (one process)")
    print(f"{'kind':<22}{'reference':>10}{'fast':>8}{'both':>8}{'precision':>11}{'recall':>8}")
    rows = {kind: [0, 0, 0] for kind in KINDS + ("all compounds",)}
    shown = 0
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
        if not w <= g and shown < args.examples:
            shown += 1
            print(f"  {caption!r}\n    fast only: {sorted(g - w)}\n    reference only: {sorted(w - g)}")
    for kind, (want, got, both) in rows.items():
        precision = both / got if got else 1.0
        recall = both / want if want else 1.0
        print(f"{kind:<22}{want:>10}{got:>8}{both:>8}{precision:>11.3f}{recall:>8.3f}")


if __name__ == "__main__":
    main()
