"""CLI subcommands, one module each.

A module here is a subcommand when it defines ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; :mod:`crepe_gen.cli`
finds them all, so adding a command touches no other file. Commands only turn
flags into configs and call the library.
"""

__all__: list[str] = []
