"""A run killed with SIGKILL loses no completed response and resumes where it stopped."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from llm_fault_server import FaultServer

ITEMS = 60
CONCURRENCY = 4

# The child process makes captions for ITEMS rows through the server.
CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from test_llm import tasks, OBJECT_WORDS
    from crepe_gen.llm.config import LLMConfig
    from crepe_gen.llm.generate import generate_texts
    config = LLMConfig(base_url=sys.argv[1], model="fault-model", cache_path=sys.argv[2],
                       max_concurrency={concurrency}, timeout=30)
    run = generate_texts(tasks({items}), config, OBJECT_WORDS)
    print(run.outcomes["llm"], run.requests, run.cache_hits)
""")


def cached_rows(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]


def start_child(base_url: str, cache: Path) -> subprocess.Popen:
    code = CHILD.format(tests=str(Path(__file__).parent), concurrency=CONCURRENCY, items=ITEMS)
    return subprocess.Popen([sys.executable, "-c", code, base_url, str(cache)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).parent.parent)


@pytest.mark.slow
def test_sigkill_loses_nothing_and_resumes(tmp_path):
    cache = tmp_path / "cache.sqlite"
    with FaultServer(delay=0.05) as server:
        kept = 0
        for stop_after in (ITEMS // 4, ITEMS // 2):
            kept_before, answered_before = kept, server.answered
            child = start_child(server.base_url, cache)
            deadline = time.monotonic() + 300
            while server.answered < stop_after and time.monotonic() < deadline:
                assert child.poll() is None, child.stderr.read()
                time.sleep(0.005)
            answered = server.answered
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            # replies to the dead child still being served belong to this round, not the next
            while server.in_flight and time.monotonic() < deadline:
                time.sleep(0.005)
            kept = cached_rows(cache)
            # every reply the server had finished sending, save those still on
            # their way through the client's socket when it died, is kept
            assert answered - answered_before - CONCURRENCY <= kept - kept_before
            assert kept - kept_before <= server.answered - answered_before
        killed_rounds = server.requests
    # the resumed run talks to a server of its own: a request the killed child
    # had on its way can reach the first server late, but never this one
    with FaultServer(delay=0.05) as server:
        child = start_child(server.base_url, cache)
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        llm_texts, requests, cache_hits = map(int, out.split())
        assert (llm_texts, cache_hits + requests) == (ITEMS, ITEMS)
        assert cache_hits == kept
        assert server.requests == ITEMS - kept
    # at most the requests in flight at each kill were asked twice
    assert killed_rounds + server.requests <= ITEMS + 2 * CONCURRENCY
    assert cached_rows(cache) == ITEMS
