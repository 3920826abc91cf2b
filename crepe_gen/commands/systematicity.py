"""``crepe-gen systematicity [--vg DIR] [--vocab NAME=VOCAB ...] --out OUT``.

Writes ``OUT/systematicity/syst_vg_hard_negs_{seen,unseen}_compounds_in_{NAME}.csv``
with JSONL twins and the ``systematicity`` section of ``OUT/manifest.json``.
Without ``--vocab``, vocabularies of the stand-in corpus shipped with the
package are built and used (labelled as stand-in in the manifest).
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import ConfigError
from ..systematicity import SystematicityConfig, run_systematicity
from ..systematicity.extract import EXTRACTORS
from ..vg.reader import VisualGenome
from .checks import at_least, seed, input_path, output_dir

__all__ = ["NAME", "HELP", "add_arguments", "parse_vocabs", "run"]

NAME = "systematicity"
HELP = ("seen/unseen compound splits of VG region captions per training set, "
        "with HN-Atom, HN-Comp and combined negatives")


def add_arguments(parser) -> None:
    defaults = SystematicityConfig()
    parser.add_argument("--vg", default=None, metavar="DIR",
                        help="Visual Genome folder (default: the bundled 100-image sample)")
    parser.add_argument("--vocab", action="append", default=[], metavar="NAME=VOCAB",
                        help="a training set's vocabulary parquet (crepe-gen vocab); NAME cc12m, "
                             "yfcc or laion gives the released file names; repeat per set "
                             "(default: the shipped stand-in corpus)")
    parser.add_argument("--out", required=True, metavar="OUT", help="benchmark folder")
    parser.add_argument("--seed", type=seed, default=defaults.seed, help="random seed (default %(default)s)")
    parser.add_argument("--min-count", type=at_least(1), default=defaults.min_count, metavar="K",
                        help="seen means counted at least K times (default %(default)s)")
    parser.add_argument("--unseen-atoms", action="store_true", help="also write the unseen_atoms split")
    parser.add_argument("--max-negatives", type=at_least(1), default=defaults.max_negatives,
                        help="most negatives per list and row (default %(default)s)")
    parser.add_argument("--extractor", default=defaults.extractor, choices=sorted(EXTRACTORS),
                        help="caption extractor (default %(default)s)")


def parse_vocabs(values: list[str]) -> dict[str, Path]:
    """``["cc12m=a.parquet", ...]`` -> ``{"cc12m": Path("a.parquet")}``.

    >>> parse_vocabs(["laion=v/laion.parquet"])
    {'laion': PosixPath('v/laion.parquet')}
    """
    vocabs = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ConfigError(f"--vocab {value!r}: expected NAME=VOCAB")
        if name in vocabs:
            raise ConfigError(f"--vocab {name} given twice")
        vocabs[name] = Path(path)
    return vocabs


def run(args) -> int:
    config = SystematicityConfig(seed=args.seed, min_count=args.min_count, unseen_atoms=args.unseen_atoms,
                                 max_negatives=args.max_negatives, extractor=args.extractor, progress=not args.quiet)
    vocabs = parse_vocabs(args.vocab)
    for name, path in vocabs.items():
        input_path(path, "--vocab", kind="file")
    output_dir(args.out, "--out")
    vg = VisualGenome(args.vg, lenient=args.lenient)
    section = run_systematicity(vg, vocabs, args.out, config)
    for tag, splits in sorted(section["counts"].items()):
        sizes = ", ".join(f"{split} {n}" for split, n in splits.items())
        print(f"{tag}: {sizes}")
    if section["standin_corpus"]:
        print("vocabularies: the shipped stand-in corpus (not a real training set)")
    if args.lenient:
        print(vg.problems.summary())
    return 0
