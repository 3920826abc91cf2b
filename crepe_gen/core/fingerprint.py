"""One fingerprint for every done-marker, resume check and cache key.

A fingerprint is the SHA-256 of the *canonical JSON* of what a result depends
on (sorted keys, no spaces, paths and other objects as strings), so equal
inputs always give the same key, whatever the order of a mapping.

Configuration dataclasses say once, on the field, what does not decide their
results: a field declared with ``metadata=NOT_FINGERPRINTED`` (progress bars,
worker counts) is left out of :func:`config_fields`, so no caller excludes
fields by hand.

Examples
--------
>>> from dataclasses import dataclass, field
>>> @dataclass(frozen=True)
... class Config:
...     seed: int = 0
...     progress: bool = field(default=False, metadata=NOT_FINGERPRINTED)
>>> config_fields(Config(seed=3, progress=True))
{'seed': 3}
>>> fingerprint(Config(seed=3, progress=True)) == fingerprint(Config(seed=3))
True
>>> fingerprint({"b": 1, "a": 2}) == fingerprint({"a": 2, "b": 1})
True
>>> len(fingerprint("x")), len(fingerprint("x", length=64))
(20, 64)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

__all__ = ["NOT_FINGERPRINTED", "canonical_json", "config_fields", "fingerprint", "file_digest", "code_version",
           "file_listing"]

#: Field metadata of configuration fields that do not change a result.
NOT_FINGERPRINTED = {"fingerprint": False}


def canonical_json(data) -> str:
    """JSON with sorted keys and no spaces; dataclasses as their
    :func:`config_fields`, other unknown objects (paths) as strings.

    >>> canonical_json({"b": 1, "a": [1, 2]})
    '{"a":[1,2],"b":1}'
    """
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def _plain(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return config_fields(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def config_fields(config) -> dict:
    """The fields of a configuration dataclass that decide its results
    (every field not marked :data:`NOT_FINGERPRINTED`), nested dataclasses included."""
    return {field.name: getattr(config, field.name) for field in dataclasses.fields(config)
            if field.metadata.get("fingerprint", True)}


def fingerprint(*parts, length: int = 20) -> str:
    """Hex SHA-256 (the first *length* digits) of the canonical JSON of *parts*.

    One part is hashed as itself, several as a list, so
    ``fingerprint(request, length=64)`` is the SHA-256 of the request's
    canonical JSON.
    """
    data = parts[0] if len(parts) == 1 else list(parts)
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()[:length]


def file_digest(path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes, read in blocks.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = path.write_text("abc")
    >>> file_digest(path)[:12]
    'ba7816bf8f01'
    """
    digest = hashlib.new(algorithm)
    with open(Path(path), "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_version(stage: str, stage_format: int) -> dict:
    """What saved work of *stage* was made by: the package version and the
    stage's own format number (bumped when the same inputs give other results).
    Part of every resume key, so work saved by other code is never reused.

    >>> code_version("productivity", 2)["stage"]
    'productivity/2'
    """
    from .. import __version__

    return {"crepe_gen": __version__, "stage": f"{stage}/{stage_format}"}


def file_listing(root, pattern: str = "**/*") -> list[list]:
    """``[[relative path, size], ...]`` of the files under *root* matching
    *pattern*, sorted: a cheap stand-in for hashing a folder whose files
    count by presence (image folders); empty when *root* is None or missing.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "1.jpg").write_bytes(b"jpg")
    >>> file_listing(root, "*.jpg")
    [['1.jpg', 3]]
    """
    if root is None or not Path(root).is_dir():
        return []
    root = Path(root)
    return sorted([path.relative_to(root).as_posix(), path.stat().st_size]
                  for path in root.glob(pattern) if path.is_file())
