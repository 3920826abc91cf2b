"""Count, per foil type, the foils of a built benchmark folder that are true for their row's crop.

Uses the independent checker of the test suite (``tests/crop_check.py``: plain
matching against the VG annotations, nothing of ``crepe_gen.vg.truth`` or
``crepe_gen.vg.crop``) on the JSONL provenance of every productivity and
systematicity row.

Usage::

    python scripts/count_crop_true_foils.py OUT [--vg VG_DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import crop_check  # noqa: E402  (the test suite's checker)

from crepe_gen.vg.reader import VisualGenome  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="a folder written by crepe-gen build")
    parser.add_argument("--vg", default=None, help="the Visual Genome folder it was built from (default: the sample)")
    args = parser.parse_args(argv)
    by_image = crop_check.images(VisualGenome(args.vg))
    report = {"productivity": crop_check.productivity_report(args.out, by_image),
              "systematicity": crop_check.systematicity_report(args.out, by_image)}
    print(json.dumps(report, indent=2, sort_keys=True, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
