"""``crepe-gen eval --bench OUT --model ADAPTER:NAME[:PRETRAINED]``: Recall@k of a model."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..evaluation.harness import EvalConfig, default_out, evaluate, write_results
from ..evaluation.models import ADAPTERS, TEXT_RULES, known_models, load_adapter
from ..core.errors import ConfigError
from .checks import at_least, seed, input_path, lm_endpoint, output_file

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "eval"
HELP = "evaluate a model on a CREPE-format benchmark folder (Recall@1/3/5, mean rank, 95% CIs)"


class _ListModels(argparse.Action):
    """``--list-models``: print the valid ``--model`` names and exit, like ``--version``."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        for adapter, names in known_models().items():
            print(f"{adapter}: {' '.join(names)}")
        parser.exit()


def add_arguments(parser) -> None:
    parser.add_argument("--list-models", action=_ListModels,
                        help="print the model names --model accepts, per adapter, and exit")
    parser.add_argument("--bench", required=True, help="benchmark folder (holds productivity/, systematicity/)")
    parser.add_argument("--model", required=True, nargs="+", metavar="MODEL",
                        help=f"one or more ADAPTER:NAME[:PRETRAINED], evaluated in turn with one table across "
                             f"them; ADAPTER one of {', '.join(sorted(ADAPTERS))}; "
                             f"e.g. open_clip:ViT-B-32:laion2b_s34b_b79k, open_clip:RN50:/path/ckpt.pt, "
                             f"text:{'|'.join(sorted(TEXT_RULES))}, text:lm:gemma3-270m")
    parser.add_argument("--images", default=None, help="VG image folder (with VG_100K/, VG_100K_2/)")
    parser.add_argument("--out", default=None,
                        help="results JSON of a single --model (a CSV with the same stem is written too; "
                             "default: BENCH/eval/MODEL.json, one per model)")
    parser.add_argument("--batch-size", type=at_least(1), default=EvalConfig.batch_size)
    parser.add_argument("--bootstrap", type=at_least(1), default=EvalConfig.n_bootstrap, help="bootstrap resamples")
    parser.add_argument("--seed", type=seed, default=EvalConfig.seed)
    parser.add_argument("--device", default="cpu", help="torch device for open_clip (cpu, cuda)")


def run(args) -> int:
    config = EvalConfig(batch_size=args.batch_size, n_bootstrap=args.bootstrap, seed=args.seed)
    input_path(args.bench, "--bench", kind="folder")
    if args.images is not None:
        input_path(args.images, "--images", kind="folder")
    if args.out and len(args.model) > 1:
        raise ConfigError("--out names the results of one model: leave it out with several --model values "
                          "(each goes to BENCH/eval/MODEL.json)")
    adapters = [load_adapter(spec, device=args.device, seed=args.seed) for spec in args.model]  # all checked first
    outs = [output_file(Path(args.out) if args.out else default_out(args.bench, adapter.spec), "--out")
            for adapter in adapters]
    for spec in args.model:
        if spec.startswith("text:lm:"):
            lm_endpoint(spec[len("text:lm:"):])
    table = []
    for adapter, out in zip(adapters, outs):
        results = evaluate(args.bench, adapter, args.images, config, cache_dir=out.parent / ".eval_cache",
                           lenient=args.lenient, progress=not args.quiet)
        json_path, csv_path = write_results(results, out)
        print(f"{results['model']}: {results['items']} items, {results['ties']} with ties (split evenly)"
              + (f", {results['skipped_rows']} bad rows skipped" if results["skipped_rows"] else "")
              + f"; wrote {json_path} and {csv_path}")
        table += [(results["model"], group) for group in results["groups"] if group["grouping"] in {"task", "foil"}]
    print(f"{'model':<28}{'task':<14}{'foil':<10}{'items':>7}{'R@1':>8}{'95% CI':>18}{'chance':>8}"
          f"{'mean rank':>11}{'median':>8}")
    for model, group in table:
        r1 = group["recall@1"]
        interval = "[{:.3f}, {:.3f}]".format(r1["ci_low"], r1["ci_high"])
        print(f"{model:<28}{group['task']:<14}{group['foil'] or 'all':<10}{group['items']:>7}{r1['value']:>8.3f}"
              f"{interval:>18}{group['chance_recall@1']:>8.3f}{group['mean_rank']['value']:>11.2f}"
              f"{group['median_rank']['value']:>8.1f}")
    return 0
