"""The ``crepe-gen`` command: a thin shell over the library.

Subcommands live in :mod:`crepe_gen.commands`, one module each. Flags and
configs are checked before any work starts; every error is one line on
stderr, never a traceback (unless ``CREPE_GEN_DEBUG=1``).

Exit statuses
-------------
===  ==========================================================================
0    success
1    an audit or verification (crepe-gen verify) FAILED (a verdict, not a crash)
2    bad input, flag or config (also argparse usage errors)
3    an external service (an LLM endpoint) is unreachable or keeps failing
70   internal error (a bug): one line; ``CREPE_GEN_DEBUG=1`` shows the traceback
130  interrupted (Ctrl-C)
141  output pipe closed by its reader (``crepe-gen ... | head``)
===  ==========================================================================

Examples
--------
>>> main(["inspect", "--top", "3"])  # doctest: +ELLIPSIS
Visual Genome folder: ...
0
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import pkgutil
import signal
import sys
import threading
import traceback

from . import __version__
from . import commands
from .core.errors import CrepeGenError, ServiceError

__all__ = ["EXIT_STATUSES", "main", "build_parser", "command_modules"]

log = logging.getLogger("crepe_gen")

#: ``{status: meaning}``, shown by ``crepe-gen --help``.
EXIT_STATUSES = {
    0: "success",
    1: "an audit or verification FAILED (a verdict, not a crash)",
    2: "bad input, flag or config",
    3: "an external service (an LLM endpoint) is unreachable or keeps failing",
    70: "internal error (set CREPE_GEN_DEBUG=1 for the traceback)",
    130: "interrupted",
    141: "output pipe closed by its reader",
}
#: Environment variable that turns internal errors back into tracebacks.
DEBUG_ENV = "CREPE_GEN_DEBUG"


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line (exit status 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _epilog() -> str:
    return "exit statuses:\n" + "\n".join(f"  {status:<4} {meaning}" for status, meaning in EXIT_STATUSES.items())


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
    parser = _Parser(
        prog="crepe-gen", description="Generate the CREPE compositionality benchmark from Visual Genome.",
        epilog=_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"crepe_gen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in command_modules(command).items():
        # argparse %-formats help strings; a literal "%" in HELP must not break --help
        child = sub.add_parser(name, help=module.HELP.replace("%", "%%"), description=module.HELP)
        child.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
        child.add_argument("-q", "--quiet", action="store_true",
                           help="no progress bars or stage lines (warnings and results still print)")
        child.add_argument("--lenient", action="store_true",
                           help="skip bad input records and report how many and why")
        module.add_arguments(child)
        child.set_defaults(_run=module.run)
    return parser


_INTERRUPTED = False


def _on_interrupt(signum, frame):
    global _INTERRUPTED
    _INTERRUPTED = True
    signal.default_int_handler(signum, frame)  # raises KeyboardInterrupt


def main(argv=None) -> int:
    """Run the command line *argv*; returns the exit status (:data:`EXIT_STATUSES`)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler and \
            threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_interrupt)
    try:
        args = _parse(argv)
        level = logging.DEBUG if args.verbose > 1 else logging.INFO if args.verbose else logging.WARNING
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
        status = args._run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except ServiceError as error:
        print(f"crepe-gen: error: {error}", file=sys.stderr)
        return 3
    except CrepeGenError as error:
        print(f"crepe-gen: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("crepe-gen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that stopped early (``| head``)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # as the Python docs advise
        return 141
    except Exception as error:  # noqa: BLE001 - a bug: one line, the traceback on request
        if _INTERRUPTED:  # Ctrl-C inside a library that turned it into its own error (wn, sqlite3)
            print("crepe-gen: interrupted", file=sys.stderr)
            return 130
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            print(f"crepe-gen: error: {error.filename or 'an output file'}: {error.strerror}", file=sys.stderr)
            return 2
        debug = os.environ.get(DEBUG_ENV, "") not in ("", "0")
        if debug:
            traceback.print_exc()
        message = " ".join(str(error).split())
        hint = "" if debug else f" (set {DEBUG_ENV}=1 for the traceback)"
        print(f"crepe-gen: internal error: {type(error).__name__}: {message}{hint}", file=sys.stderr)
        return 70


def _parse(argv: list[str]) -> argparse.Namespace:
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    parser = build_parser(command)
    if command is not None and command not in parser._subparsers._group_actions[0].choices:
        parser = build_parser()  # a command whose NAME differs from its module's: load all
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
