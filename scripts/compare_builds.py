"""Build the bundled sample at two git revisions and compare every output file.

A refactoring must not change what ``crepe-gen build`` writes. This script
checks out *base* (and *head*, default: the working tree) in temporary git
worktrees, runs ``crepe-gen build`` in each with the same config, and compares
every file of the two output folders byte for byte. Two kinds of file are
compared with a stated allowance:

* JSON manifests (``manifest.json``, ``*.manifest.json``) may differ only in
  ``versions`` fields (package versions, including crepe_gen's own);
* resume state (``.build/`` stage markers, ``*.shards/`` per-shard results,
  ``eval/.eval_cache/`` ranks,
  ``llm_cache.sqlite``) records fingerprints of the code's own configuration
  objects, so it is listed but not judged.

Exit status 0 when every judged file is identical, 1 otherwise.

Usage::

    python scripts/compare_builds.py --base HEAD~3            # HEAD~3 against the working tree
    python scripts/compare_builds.py --base v1 --head v2 --keep /tmp/cmp   # keep both outputs

Each build takes about a minute on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESUME_STATE = (".build/", ".shards/", ".eval_cache/", "llm_cache.sqlite")


def checkout(revision: str | None, where: Path) -> Path:
    """A worktree of *revision* (None: a copy of the working tree's package)."""
    if revision is None:
        shutil.copytree(REPO, where, ignore=shutil.ignore_patterns(".venv", ".git", "crepe_out", "__pycache__"),
                        symlinks=True)
        return where
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(where), revision],
                   check=True)
    return where


def remove(tree: Path, revision: str | None) -> None:
    if revision is None:
        shutil.rmtree(tree)
    else:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=True)


def build(tree: Path, out: Path, config: str | None) -> None:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
    command = [sys.executable, "-m", "crepe_gen.cli", "build", "--out", str(out)]
    if config:
        command += ["--config", config]
    result = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    if result.returncode not in (0, 1):  # 1: the audit failed, which is an output like any other
        sys.exit(f"build in {tree} failed ({result.returncode}):\n{result.stderr[-3000:]}")


def without_versions(value):
    if isinstance(value, dict):
        return {k: without_versions(v) for k, v in value.items() if k not in ("versions", "version")}
    if isinstance(value, list):
        return [without_versions(v) for v in value]
    return value


def compare(base: Path, head: Path) -> tuple[list[str], list[str], list[str]]:
    """(identical or allowed, differing, resume state) relative paths."""
    files = sorted({p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()}
                   | {p.relative_to(head).as_posix() for p in head.rglob("*") if p.is_file()})
    same, different, state = [], [], []
    for name in files:
        a, b = base / name, head / name
        if any(part in name for part in RESUME_STATE):
            state.append(name)
        elif not a.exists() or not b.exists():
            different.append(f"{name} (only in {'head' if b.exists() else 'base'})")
        elif a.read_bytes() == b.read_bytes():
            same.append(name)
        elif name.endswith("manifest.json") and (
                without_versions(json.loads(a.read_text())) == without_versions(json.loads(b.read_text()))):
            same.append(f"{name} (versions differ)")
        else:
            different.append(name)
    return same, different, state


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--head", default=None, help="git revision (default: the working tree)")
    parser.add_argument("--config", default=None, help="build config (default: the bundled sample)")
    parser.add_argument("--keep", default=None, help="keep the worktrees and outputs in this folder")
    args = parser.parse_args(argv)
    work = Path(args.keep or tempfile.mkdtemp(prefix="compare-builds-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        # Both sides are built from the same paths, so that the paths recorded
        # in manifests and reports agree.
        for side, revision in (("base", args.base), ("head", args.head)):
            tree = checkout(revision, work / "tree")
            try:
                build(tree, work / "out", args.config)
            finally:
                remove(tree, revision)
            shutil.rmtree(work / f"{side}-out", ignore_errors=True)
            (work / "out").rename(work / f"{side}-out")
        same, different, state = compare(work / "base-out", work / "head-out")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{len(same)} files identical, {len(different)} differ, {len(state)} resume-state files not judged")
    for name in different:
        print(f"DIFFERS: {name}")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
