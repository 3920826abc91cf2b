"""``crepe-gen inspect [VG_DIR]``: counts and most common names of a VG folder."""

from __future__ import annotations

from ..vg.stats import vg_stats
from ..vg.reader import VisualGenome
from .checks import at_least

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "inspect"
HELP = "print counts and the most common names, attributes and predicates of a VG folder"


def add_arguments(parser) -> None:
    parser.add_argument("vg_dir", nargs="?", default=None,
                        help="Visual Genome folder (default: the bundled 100-image sample)")
    parser.add_argument("--top", type=at_least(1), default=10, help="how many common names to list")
    parser.add_argument("--images-dir", default=None,
                        help="folder of the VG images (VG_100K/, VG_100K_2/): count the JPEGs found "
                             "and those whose size differs from image_data.json")


def run(args) -> int:
    vg = VisualGenome(args.vg_dir, lenient=args.lenient, progress=not args.quiet, images_dir=args.images_dir)
    print(f"Visual Genome folder: {vg.root}")
    print(vg_stats(vg).format(top=args.top))
    if args.lenient:
        print(vg.problems.summary())
    return 0
