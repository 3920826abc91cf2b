"""``crepe-gen productivity``: the productivity set (complexity 4..12, atom/swap/negate foils)."""

from __future__ import annotations

import json

from pathlib import Path

from ..core.errors import ConfigError
from ..llm.client import check_endpoint
from ..llm.estimate import Estimate
from ..llm.cache import ResponseCache
from .checks import at_least, seed, input_path, language_model, output_dir
from .llm_options import add_llm_arguments, config_from_args
from ..productivity.stage import ProductivityConfig, run_productivity
from ..vg.reader import VisualGenome

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "productivity"
HELP = "generate the productivity set: subgraphs of complexity 4..12 with atom, swap and negate foils"


def add_arguments(parser) -> None:
    parser.add_argument("--vg", default=None, help="Visual Genome folder (default: the bundled 100-image sample)")
    parser.add_argument("--out", required=True, help="output folder (OUT/productivity/..., OUT/manifest.json)")
    parser.add_argument("--config", default=None, help="YAML file of ProductivityConfig fields")
    parser.add_argument("--seed", type=seed, default=None, help="random seed (default 0)")
    parser.add_argument("--per-level", type=at_least(1), default=None,
                        help="rows per level and foil type (default: as many as every cell can hold)")
    parser.add_argument("--images", default=None,
                        help="folder of VG images: only images whose JPEG is there are used")
    parser.add_argument("--workers", type=at_least(1), default=None,
                        help="worker processes (output does not depend on it)")
    parser.add_argument("--max-images", type=at_least(1), default=None, help="read at most this many images")
    parser.add_argument("--prior-model", default=None, metavar="SPEC",
                        help="language model whose scores of short compounds choose atom and swap rows by "
                             "plausibility rank: gemma3-270m, a GGUF file, or URL,MODEL (default: none)")
    add_llm_arguments(parser)


def run(args) -> int:
    overrides = {"seed": args.seed, "per_level": args.per_level, "workers": args.workers,
                 "max_images": args.max_images, "prior_model": args.prior_model}
    if args.config:
        config = ProductivityConfig.from_yaml(args.config, **overrides)
    else:
        config = ProductivityConfig.from_dict({k: v for k, v in overrides.items() if v is not None},
                                              "command line")
    language_model(config.prior_model, "--prior-model" if args.prior_model else f"{args.config}: prior_model")
    llm = config_from_args(args, default_cache=Path(args.out) / "llm_cache.sqlite", seed=args.seed)
    if llm is not None and llm.cache_path and Path(llm.cache_path).exists():
        ResponseCache(llm.cache_path).close()  # a damaged cache is refused now, not after the rows are made
    if args.dry_run and llm is None:
        raise ConfigError("--dry-run estimates the LLM pass: give --llm-base-url or --llm-config")
    if not args.dry_run:  # a dry run writes nothing and sends nothing
        output_dir(args.out, "--out")
    if args.images is not None:
        input_path(args.images, "--images", kind="folder")
    vg = VisualGenome(args.vg, lenient=args.lenient)
    if llm is not None and not args.dry_run:
        check_endpoint(llm)
    section = run_productivity(vg, args.out, config, images_dir=args.images, progress=not args.quiet,
                               llm=llm, llm_dry_run=args.dry_run)
    if "llm_estimate" in section:
        print("dry run, no LLM request sent and no benchmark file written: "
              + Estimate(**section["llm_estimate"]).format())
        return 0
    rows = section["rows"]
    print(f"productivity set in {args.out}/productivity ({section['images_read']} images read)")
    for foil_type, by_level in rows.items():
        print(f"  {foil_type:7s} " + " ".join(f"n={n}:{count}" for n, count in by_level.items()))
    if "llm" in section:
        print(f"LLM rows: {json.dumps(section['llm']['rows'], sort_keys=True)}; "
              f"{section['llm']['requests']} requests, {section['llm']['cache_hits']} cached")
    if section["skipped"]:
        print("skipped: " + json.dumps(section["skipped"], sort_keys=True))
    return 0
