"""``crepe-gen build [--config configs/NAME.yaml] [--out OUT]``: the whole pipeline, resumable."""

from __future__ import annotations

from ..build import DEFAULT_OUT, STAGES, load_build_config, run_build

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


def run(args) -> int:
    config = load_build_config(args.config, out=args.out)
    result = run_build(config, lenient=args.lenient, progress=True, only=tuple(args.only))
    print(f"built {result.out}: ran {', '.join(result.ran) or 'nothing'}"
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
