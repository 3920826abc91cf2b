"""``crepe-gen verify OUT``: every file a build wrote against the sha256 it recorded."""

from __future__ import annotations

from ..build import verify_build
from .checks import input_path

__all__ = ["NAME", "HELP", "add_arguments", "run"]

NAME = "verify"
HELP = "check every file a build wrote against the hashes it recorded (exit 1 naming each that differs)"


def add_arguments(parser) -> None:
    parser.add_argument("out", help="the build's output folder (moved or copied folders verify too)")


def run(args) -> int:
    input_path(args.out, None, kind="folder")
    checked, problems = verify_build(args.out)
    for problem in problems:
        print(f"differs: {problem}")
    print(f"{args.out}: {checked} files checked, {len(problems)} differ: verification "
          + ("FAILED" if problems else "passed"))
    return 1 if problems else 0
