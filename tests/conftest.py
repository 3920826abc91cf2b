"""Shared fixtures: small Visual Genome folders written into tmp_path, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crepe_gen.vg.reader import bundled_sample


@pytest.fixture
def sample_dir() -> Path:
    """The real 100-image VG sample bundled with the package."""
    return bundled_sample()


@pytest.fixture
def write_vg(tmp_path):
    """``write_vg({file name: content}) -> folder``: JSON-serializable content
    is written as JSON, ``str`` as text and ``bytes`` as they are."""

    def write(files: dict, folder: str = "vg") -> Path:
        root = tmp_path / folder
        root.mkdir(exist_ok=True)
        for name, content in files.items():
            if isinstance(content, bytes):
                (root / name).write_bytes(content)
            elif isinstance(content, str):
                (root / name).write_text(content, encoding="utf-8")
            else:
                (root / name).write_text(json.dumps(content), encoding="utf-8")
        return root

    return write


@pytest.fixture
def run_cli():
    """Run ``python -m crepe_gen.cli ARGS`` in a subprocess; returns the CompletedProcess."""

    def run(*args, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "crepe_gen.cli", *map(str, args)],
                              capture_output=True, text=True, timeout=timeout)

    return run
