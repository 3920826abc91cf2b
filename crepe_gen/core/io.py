"""Atomic output files and manifests (CSV rows in the released format: :mod:`crepe_gen.bench.writer`).

Every output is written to a temporary file in the same folder and renamed
into place, so a killed run never leaves a half-written file behind; the
temporary files such a run leaves (``.NAME.XXXXXXXX.tmp``) are removed by
:func:`remove_stale_temps` when the next run takes the folder
(:func:`crepe_gen.core.lock.output_lock`).

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "a" / "b.txt"
>>> write_text_atomic(out, "hello\\n")
>>> out.read_text()
'hello\\n'
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import logging
import platform
import re
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from .errors import OutputError

__all__ = ["TEMP_NAME", "atomic_open", "remove_unproduced", "write_text_atomic", "write_json_atomic",
           "write_jsonl_atomic", "versions",
           "update_manifest", "read_manifest", "is_temp_name", "portable_path", "remove_stale_temps"]

log = logging.getLogger(__name__)

#: Names of the temporary files of :func:`atomic_open`: ``.{target name}.{8 random
#: characters of tempfile}.tmp``.
TEMP_NAME = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp")

#: The errors of a full disk or quota.
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_open(path, mode: str = "w", **kwargs):
    """Open a temporary sibling of *path*; rename it onto *path* on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # TEMP_NAME
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
        if "b" not in mode:
            kwargs.setdefault("encoding", "utf-8")
            kwargs.setdefault("newline", "")
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(error, OSError) and error.errno in _FULL:
            raise OutputError(f"{path}: cannot write: {error.strerror} (nothing half-written is left; "
                              "free space and rerun)") from None
        raise


def write_text_atomic(path, text: str) -> None:
    with atomic_open(path) as handle:
        handle.write(text)


def write_json_atomic(path, data) -> None:
    """Deterministic JSON: sorted keys, two-space indent, trailing newline."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def write_jsonl_atomic(path, rows) -> None:
    with atomic_open(path) as handle:
        for row in rows:
            handle.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")


def versions(*packages: str) -> dict[str, str]:
    """Versions of Python, crepe_gen and the named packages, for manifests."""
    found = {"python": platform.python_version(), "crepe_gen": _version("crepe_gen")}
    for name in packages:
        found[name] = _version(name)
    return found


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        module = sys.modules.get(name)
        return getattr(module, "__version__", "unknown")


def update_manifest(out_dir, section: str, data: dict) -> dict:
    """Set ``manifest[section] = data`` in ``OUT/manifest.json``, atomically.

    Each stage owns one section (``productivity``, ``systematicity``, ...), so
    stages can run in any order and rerun without clobbering each other.

    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> update_manifest(out, "productivity", {"rows": 3})["productivity"]
    {'rows': 3}
    """
    manifest = read_manifest(out_dir)
    manifest[section] = data
    write_json_atomic(Path(out_dir) / "manifest.json", manifest)
    return manifest


def read_manifest(out_dir) -> dict:
    """``OUT/manifest.json`` as a mapping; ``{}`` when it is absent, or damaged
    (truncated, not an object: one warning line), so that every stage's saved
    work is judged afresh and redone rather than trusted.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (out / "manifest.json").write_text('{"productivity": {"ro')
    >>> read_manifest(out)
    {}
    """
    path = Path(out_dir) / "manifest.json"
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        manifest = error
    if not isinstance(manifest, dict):
        log.warning("%s is damaged (%s); a new one is written and the work it recorded is done again", path,
                    manifest if isinstance(manifest, Exception) else f"a JSON {type(manifest).__name__}")
        return {}
    return manifest


def portable_path(path, start, root) -> str:
    """*path* as a record should hold it: relative to *start* (the folder of the
    file that records it) when it lies inside *root* (the output folder), so
    the record stays true when the folder is moved or copied; absolute otherwise.

    >>> portable_path("/out/productivity/a.csv", "/out/audit", "/out")
    '../productivity/a.csv'
    >>> portable_path("/data/corpus.txt", "/out/vocab", "/out")
    '/data/corpus.txt'
    """
    path, start, root = (Path(os.path.abspath(p)) for p in (path, start, root))
    if path != root and root not in path.parents:
        return path.as_posix()
    return Path(os.path.relpath(path, start)).as_posix()


def is_temp_name(name: str, targets=None) -> bool:
    """Whether *name* is a temporary file of :func:`atomic_open` (of one of
    the file names *targets*, when given).

    >>> is_temp_name(".prod.csv.k2j_9xq0.tmp"), is_temp_name("prod.csv"), is_temp_name(".x.tmp")
    (True, False, False)
    >>> is_temp_name(".a.csv.k2j_9xq0.tmp", targets={"b.csv"})
    False
    """
    match = TEMP_NAME.fullmatch(name)
    return match is not None and (targets is None or match["target"] in targets)


def remove_stale_temps(folder, *, targets=None, recursive: bool = True, skip_dir=None) -> list[Path]:
    """Remove the temporary files a killed run left in *folder* (and its
    subfolders when *recursive*, except those for which ``skip_dir(path)``
    is true); only names :func:`is_temp_name` accepts (of *targets* when
    given). Call it only while holding the folder's lock: another run's
    temporary files are live. Returns the files removed.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / ".a.csv.abcd1234.tmp").write_text("torn"), (root / "a.csv").write_text("kept")
    >>> [p.name for p in remove_stale_temps(root)], sorted(p.name for p in root.iterdir())
    (['.a.csv.abcd1234.tmp'], ['a.csv'])
    """
    folder = Path(folder)
    removed = []
    for parent, dirs, files in os.walk(folder):
        parent = Path(parent)
        if skip_dir is not None:
            dirs[:] = [name for name in dirs if not skip_dir(parent / name)]
        if not recursive:
            dirs[:] = []
        for name in sorted(files):
            if is_temp_name(name, targets):
                with contextlib.suppress(FileNotFoundError):
                    (parent / name).unlink()
                    removed.append(parent / name)
    if removed:
        log.info("removed %d temporary file(s) a killed run left in %s", len(removed), folder)
    return removed


def remove_unproduced(folder, produced, patterns) -> list[Path]:
    """Delete the files under *folder* that match one of the glob *patterns*
    (relative to *folder*) and are not among *produced*, and the folders
    this empties. A stage owns its output folder: a file an earlier run
    wrote with other settings (a level, split or training set this run does
    not make) must not be left looking like this run's output. Call it
    only while holding the folder's lock. Returns the files removed.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("a/x_4.csv", "a/x_5.csv", "b/x_4.csv", "notes.txt"):
    ...     _ = (root / name).parent.mkdir(exist_ok=True), (root / name).write_text("")
    >>> [p.relative_to(root).as_posix() for p in remove_unproduced(root, [root / "a/x_4.csv"], ["*/x_*.csv"])]
    ['a/x_5.csv', 'b/x_4.csv']
    >>> sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    ['a', 'a/x_4.csv', 'notes.txt']
    """
    folder = Path(folder)
    keep = {Path(p).resolve() for p in produced}
    stale = sorted({path for pattern in patterns for path in folder.glob(pattern)
                    if path.is_file() and path.resolve() not in keep})
    for path in stale:
        path.unlink()
        with contextlib.suppress(OSError):  # not empty: it holds other files
            if path.parent != folder:
                path.parent.rmdir()
    if stale:
        log.warning("removed %d file(s) in %s that an earlier run made and this one does not (%s%s)",
                    len(stale), folder, ", ".join(p.relative_to(folder).as_posix() for p in stale[:3]),
                    ", ..." if len(stale) > 3 else "")
    return stale
