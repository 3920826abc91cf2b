"""``crepe-gen eval --bench OUT --model ADAPTER:NAME[:PRETRAINED]``: Recall@k of a model."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..evaluation.harness import EvalConfig, default_out, evaluate, write_results
from ..evaluation.models import ADAPTERS, TEXT_RULES, known_models, load_adapter
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
    parser.add_argument("--model", required=True,
                        help=f"ADAPTER:NAME[:PRETRAINED], ADAPTER one of {', '.join(sorted(ADAPTERS))}; "
                             f"e.g. open_clip:ViT-B-32:laion2b_s34b_b79k, open_clip:RN50:/path/ckpt.pt, "
                             f"text:{'|'.join(sorted(TEXT_RULES))}, text:lm:gemma3-270m")
    parser.add_argument("--images", default=None, help="VG image folder (with VG_100K/, VG_100K_2/)")
    parser.add_argument("--out", default=None,
                        help="results JSON (a CSV with the same stem is written too; "
                             "default: BENCH/eval/MODEL.json)")
    parser.add_argument("--batch-size", type=at_least(1), default=EvalConfig.batch_size)
    parser.add_argument("--bootstrap", type=at_least(1), default=EvalConfig.n_bootstrap, help="bootstrap resamples")
    parser.add_argument("--seed", type=seed, default=EvalConfig.seed)
    parser.add_argument("--device", default="cpu", help="torch device for open_clip (cpu, cuda)")


def run(args) -> int:
    config = EvalConfig(batch_size=args.batch_size, n_bootstrap=args.bootstrap, seed=args.seed)
    input_path(args.bench, "--bench", kind="folder")
    if args.images is not None:
        input_path(args.images, "--images", kind="folder")
    adapter = load_adapter(args.model, device=args.device, seed=args.seed)
    out = output_file(Path(args.out) if args.out else default_out(args.bench, adapter.spec), "--out")
    if args.model.startswith("text:lm:"):
        lm_endpoint(args.model[len("text:lm:"):])
    results = evaluate(args.bench, adapter, args.images, config, cache_dir=out.parent / ".eval_cache",
                       lenient=args.lenient, progress=True)
    json_path, csv_path = write_results(results, out)
    print(f"{results['model']}: {results['items']} items, {results['ties']} with ties (split evenly)"
          + (f", {results['skipped_rows']} bad rows skipped" if results["skipped_rows"] else ""))
    print(f"{'task':<14}{'foil':<10}{'items':>7}{'R@1':>8}{'95% CI':>18}{'chance':>8}{'mean rank':>11}"
          f"{'median':>8}")
    for group in results["groups"]:
        if group["grouping"] in {"task", "foil"}:
            r1 = group["recall@1"]
            interval = "[{:.3f}, {:.3f}]".format(r1["ci_low"], r1["ci_high"])
            print(f"{group['task']:<14}{group['foil'] or 'all':<10}{group['items']:>7}{r1['value']:>8.3f}"
                  f"{interval:>18}{group['chance_recall@1']:>8.3f}{group['mean_rank']['value']:>11.2f}"
                  f"{group['median_rank']['value']:>8.1f}")
    print(f"wrote {json_path} and {csv_path}")
    return 0
