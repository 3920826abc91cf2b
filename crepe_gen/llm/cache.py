"""Persistent cache of LLM responses in one SQLite file.

A response is stored under the hash of everything that determined it: model,
endpoint kind, prompt and sampling parameters (see :func:`request_key`). Each
response is committed as soon as it arrives, in WAL mode, so a run killed at
any moment (even with SIGKILL) keeps every response it had received, and a
rerun asks the server only for what is missing.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "llm.sqlite"
>>> key = request_key({"model": "m", "prompt": "Hi", "temperature": 0.0})
>>> with ResponseCache(path) as cache:
...     cache.put(key, {"text": "Hello.", "tokens": 3}, model="m")
...     cache.get(key)["text"], len(cache)
('Hello.', 1)
>>> with ResponseCache(path) as cache:  # a new process sees the same rows
...     sorted(cache.get_many([key, "missing"]))  == [key]
True
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from pathlib import Path

from ..core.errors import InputError
from ..core.fingerprint import canonical_json, fingerprint

__all__ = ["ResponseCache", "request_key"]

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    response TEXT NOT NULL,
    created REAL NOT NULL
)
"""
# SQLite's default limit on host parameters in one statement is 999 on old builds.
_LOOKUP_CHUNK = 900


def request_key(request: dict) -> str:
    """The cache key of a request: its :func:`~crepe_gen.core.fingerprint.fingerprint`
    at full length (the SHA-256 of its canonical JSON: model, endpoint, prompt,
    parameters), the key every existing cache holds.

    >>> request_key({"model": "m", "prompt": "x"}) == request_key({"prompt": "x", "model": "m"})
    True
    """
    return fingerprint(request, length=64)


class ResponseCache:
    """SQLite table ``key -> response`` (a JSON object), committed per response.

    Use it as a context manager or call :meth:`close`. One writer at a time;
    every :meth:`put` is its own transaction.
    """

    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._readable():
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable against a killed process (the WAL is in the OS page
            # cache); only a power loss could drop the last transactions.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            self._db.execute("SELECT COUNT(*) FROM responses").fetchone()  # reads the table: a torn file shows

    @contextlib.contextmanager
    def _readable(self):
        """A damaged file (truncated, garbled, not SQLite) is a one-line error
        naming it; it holds paid-for answers, so it is never replaced unasked."""
        try:
            yield
        except sqlite3.DatabaseError as error:
            raise InputError(self.path, f"damaged response cache ({error}); move it away or delete it "
                                        "to start a new one") from None

    def __enter__(self) -> "ResponseCache":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def get(self, key: str) -> dict | None:
        with self._readable():
            row = self._db.execute("SELECT response FROM responses WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def get_many(self, keys) -> dict[str, dict]:
        """``{key: response}`` for the keys present; a few queries for many keys."""
        keys = list(keys)
        found: dict[str, dict] = {}
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start:start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            with self._readable():
                rows = self._db.execute(f"SELECT key, response FROM responses WHERE key IN ({marks})",
                                        chunk).fetchall()
            found.update((key, json.loads(response)) for key, response in rows)
        return found

    def put(self, key: str, response: dict, *, model: str) -> None:
        """Store one response and commit it before returning."""
        with self._readable():
            self._db.execute("INSERT OR REPLACE INTO responses (key, model, response, created) "
                             "VALUES (?, ?, ?, ?)", (key, model, canonical_json(response), time.time()))
