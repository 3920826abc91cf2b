"""``crepe-gen build [--config configs/NAME.yaml] [--out OUT]``: the whole pipeline, resumable."""

from __future__ import annotations

import sys
from pathlib import Path

from ..build import DEFAULT_OUT, STAGES, BuildContext, load_build_config, run_build
from ..core.errors import ConfigError
from .checks import input_path, language_model, output_dir

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "build"
HELP = ("build the benchmark (productivity, vocab, systematicity, audit, eval, card, export); "
        "stages already done are skipped; with no options, the bundled sample and stand-in corpus")


def add_arguments(parser) -> None:
    parser.add_argument("--config", default=None,
                        help="build config YAML (default: the defaults spelled out in configs/sample.yaml)")
    parser.add_argument("--out", default=None, help=f"output folder (default: the config's, else ./{DEFAULT_OUT})")
    parser.add_argument("--only", nargs="+", choices=list(STAGES), default=(), metavar="STAGE",
                        help=f"run only these stages ({', '.join(STAGES)})")


def check_build(config, *, only=(), out_flag: str = "out", lenient: bool = False) -> None:
    """Every check a build can make before it starts: the output folder, the
    Visual Genome and images folders, the config section of every stage that
    will run, the caption folders to count and the models to evaluate."""
    output_dir(config.out, out_flag)
    if config.images is not None:
        input_path(config.images, f"{config.source}: images", kind="folder")
    ctx = BuildContext(config, Path(config.out), lenient=lenient, progress=False)
    for name in config.stages:
        if only and name not in only:
            continue
        stage_config = STAGES[name].config(ctx)
        _STAGE_CHECKS.get(name, lambda c, where: None)(stage_config, f"{config.source}: section {name!r}")


def _check_vocab(stage, where: str) -> None:
    for name, captions in stage.corpora.items():
        if captions is not None:
            input_path(captions, f"{where}: corpora: {name}")


def _check_eval(stage, where: str) -> None:
    from ..evaluation.harness import EvalConfig
    from ..evaluation.models import load_adapter

    try:
        EvalConfig(batch_size=stage.batch_size, n_bootstrap=stage.n_bootstrap, seed=stage.seed)
        for spec in stage.models:
            load_adapter(spec, device=stage.device, seed=stage.seed)
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None


def _check_audit(stage, where: str) -> None:
    language_model(stage.lm, f"{where}: lm")


def _check_productivity(stage, where: str) -> None:
    language_model(stage.prior_model, f"{where}: prior_model")


#: Checks beyond the stage config's own, by stage.
_STAGE_CHECKS = {"vocab": _check_vocab, "eval": _check_eval, "audit": _check_audit,
                 "productivity": _check_productivity}


def run(args) -> int:
    config = load_build_config(args.config, out=args.out)
    check_build(config, only=tuple(args.only), out_flag="--out" if args.out else f"{config.source}: out",
                lenient=args.lenient)
    def announce(stage: str, seconds: float | None) -> None:
        print(f"stage {stage}: " + ("running" if seconds is None else f"done in {seconds:.1f} s"),
              file=sys.stderr, flush=True)

    result = run_build(config, lenient=args.lenient, progress=not args.quiet, only=tuple(args.only),
                       on_stage=None if args.quiet else announce)
    ran = ", ".join(f"{name} ({result.seconds[name]:.0f} s)" for name in result.ran)
    print(f"built {result.out}: ran {ran or 'nothing'}"
          + (f"; up to date: {', '.join(result.skipped)}" if result.skipped else ""))
    table = result.out / "audit" / "audit.txt"
    if table.exists():
        print(table.read_text(encoding="utf-8"), end="")
    if (result.out / "README.md").exists():
        print(f"dataset card: {result.out / 'README.md'}")
    if result.audit_passed is False:
        print("crepe-gen: the text-only audit FAILED (the card says so); exit status 1")
        return 1
    return 0
