"""``crepe-gen vocab``: count a caption corpus's atoms and compounds into a vocabulary file."""

from __future__ import annotations

import json

from ..core.errors import ConfigError
from ..core.parallel import EXECUTORS
from ..systematicity.extract import EXTRACTORS
from ..systematicity.counting import VocabConfig, build_vocab, manifest_path
from .checks import at_least, output_dir, output_file

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "vocab"
HELP = "count the VG atoms and compounds of a caption corpus into a vocabulary parquet"


def add_arguments(parser) -> None:
    parser.add_argument("--corpus", default="laion400m",
                        help="preset (cc12m, yfcc15m, laion400m) or a corpus YAML file (default: laion400m)")
    parser.add_argument("--captions", nargs="+", default=None, metavar="PATH",
                        help="caption files or folders (default: the stand-in corpus, not a real training set)")
    parser.add_argument("--out", required=True, help="vocabulary parquet to write")
    parser.add_argument("--executor", choices=sorted(EXECUTORS), default="local")
    parser.add_argument("--workers", type=at_least(1), default=None, help="worker processes (default: every core)")
    parser.add_argument("--scheduler", default=None,
                        help="address of a running Dask scheduler (with --executor dask)")
    parser.add_argument("--extractor", choices=sorted(EXTRACTORS), default="fast")
    parser.add_argument("--vg", default=None,
                        help="Visual Genome folder whose names form the vocabulary (default: bundled sample)")
    parser.add_argument("--work-dir", default=None, help="folder of per-shard results (default: OUT.shards)")


def run(args) -> int:
    if args.scheduler and args.executor != "dask":
        raise ConfigError(f"--scheduler is the address of a Dask scheduler: it needs --executor dask "
                          f"(got --executor {args.executor})")
    output_file(args.out, "--out")
    if args.work_dir is not None:
        output_dir(args.work_dir, "--work-dir")
    config = VocabConfig(extractor=args.extractor, executor=args.executor, workers=args.workers,
                         scheduler=args.scheduler, vg_root=args.vg, work_dir=args.work_dir,
                         lenient=args.lenient, progress=not args.quiet)
    summary = build_vocab(args.corpus, args.captions, args.out, config)
    if summary["stand_in"]:
        print(f"note: no --captions given: counted the stand-in corpus for {args.corpus}, not a real training set")
    print(f"{summary['captions']} captions in {summary['shards']} shards "
          f"({summary['resumed_shards']} resumed) -> {summary['out']}")
    print("entries: " + json.dumps(summary["entries"]))
    skipped = summary["skipped"]
    print("skipped rows: " + (", ".join(f"{n} {reason}" for reason, n in skipped.items()) or "none"))
    print(f"manifest: {manifest_path(args.out)}")
    return 0
