"""The ``crepe-gen`` command: a thin shell over the library.

Subcommands live in :mod:`crepe_gen.commands`, one module each. Errors from
bad input are printed as one line and exit with status 2, never a traceback.

Examples
--------
>>> main(["inspect", "--top", "3"])  # doctest: +ELLIPSIS
Visual Genome folder: ...
0
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys

from . import __version__
from . import commands
from .core.errors import CrepeGenError

__all__ = ["main", "build_parser", "command_modules"]

log = logging.getLogger("crepe_gen")


def command_modules(only: str | None = None) -> dict:
    """``{name: module}`` of every subcommand module, or of just the module
    file named *only* when there is one (so that running one command does not
    import every other command's dependencies)."""
    names = sorted(info.name for info in pkgutil.iter_modules(commands.__path__))
    if only in names:
        names = [only]
    found = {}
    for name in names:
        module = importlib.import_module(f"{commands.__name__}.{name}")
        if hasattr(module, "NAME") and hasattr(module, "run"):
            found[module.NAME] = module
    return found


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with *command*, only that subcommand is loaded
    when a module of that name exists."""
    parser = argparse.ArgumentParser(
        prog="crepe-gen", description="Generate the CREPE compositionality benchmark from Visual Genome.")
    parser.add_argument("--version", action="version", version=f"crepe_gen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in command_modules(command).items():
        # argparse %-formats help strings; a literal "%" in HELP must not break --help
        child = sub.add_parser(name, help=module.HELP.replace("%", "%%"), description=module.HELP)
        child.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
        child.add_argument("--lenient", action="store_true",
                           help="skip bad input records and report how many and why")
        module.add_arguments(child)
        child.set_defaults(_run=module.run)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    parser = build_parser(command)
    if command is not None and command not in parser._subparsers._group_actions[0].choices:
        parser = build_parser()  # a command whose NAME differs from its module's: load all
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.verbose > 1 else logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        status = args._run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except CrepeGenError as error:
        print(f"crepe-gen: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("crepe-gen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that stopped early (``| head``)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # as the Python docs advise
        return 141


if __name__ == "__main__":
    sys.exit(main())
