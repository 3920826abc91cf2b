"""Benchmark of the LLM pass against a loopback server (no real model).

1. Throughput: the server answers every request after a fixed delay (100 ms);
   at concurrency 32 the ideal is 320 requests/s. The client runs with its
   SQLite cache on, as in real use. Target: at least 70% of ideal.
2. Cached rerun: 10,000 texts already in the cache go through the whole pass
   (prompt rendering, keys, cache lookup, validation) again. Target: under 5 s.

Usage: ``python scripts/bench_llm.py [--requests 960] [--items 10000]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from llm_fault_server import FaultServer  # noqa: E402

from crepe_gen.llm.client import LLMClient, Request  # noqa: E402
from crepe_gen.llm.config import LLMConfig  # noqa: E402
from crepe_gen.llm.generate import TextTask, generate_texts  # noqa: E402
from crepe_gen.llm.prompts import load_prompt  # noqa: E402
from crepe_gen.llm.cache import ResponseCache  # noqa: E402
from crepe_gen.llm.validate import Expectation, lemmas  # noqa: E402
from crepe_gen.vg.scene import Scene  # noqa: E402

SCENE = Scene.build({1: "man", 2: "shirt", 3: "table"}, [(1, "tall"), (2, "white"), (3, "wooden")],
                    [(1, "wearing", 2), (1, "near", 3)])
DRAFT = "tall man wearing white shirt. tall man near wooden table."
OBJECT_WORDS = frozenset({"man", "shirt", "table", "hat", "dog"})


def _serve(delay: float, pipe) -> None:
    with FaultServer(delay=delay) as server:
        pipe.send(server.base_url)
        pipe.recv()  # until the parent says stop
        pipe.send((server.requests, time.process_time()))


@contextlib.contextmanager
def server_process(delay: float):
    """The loopback server in its own process, so it does not share the client's GIL."""
    parent, child = multiprocessing.get_context("fork").Pipe()
    process = multiprocessing.get_context("fork").Process(target=_serve, args=(delay, child), daemon=True)
    process.start()
    handle = argparse.Namespace(base_url=parent.recv(), requests=None, cpu_seconds=None)
    try:
        yield handle
    finally:
        parent.send("stop")
        handle.requests, handle.cpu_seconds = parent.recv()
        process.join()


def throughput(requests: int, concurrency: int, delay: float, workdir: Path):
    with server_process(delay) as server:
        config = LLMConfig(base_url=server.base_url, model="bench", max_concurrency=concurrency,
                           timeout=30)
        prompt = load_prompt("caption")
        batch = [Request.make(config, prompt.render("completions", {"facts": f"thing {i}", "draft": "x."}),
                              prompt.stop) for i in range(requests)]

        async def go():
            with ResponseCache(workdir / "throughput.sqlite") as cache:
                async with LLMClient(config, cache) as client:
                    start, cpu = time.perf_counter(), time.process_time()
                    outcomes = await client.run(batch)
                    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            assert all(o.status == "ok" for o in outcomes.values())
            return elapsed, cpu

        elapsed, client_cpu = asyncio.run(go())
    return requests / elapsed, concurrency / delay, client_cpu / requests, server.cpu_seconds / requests


def cached_rerun(items: int, workdir: Path) -> tuple[float, float, dict]:
    tasks = [TextTask(f"row{i:06d}", "caption", {"facts": f"{SCENE.facts()} #{i}", "draft": DRAFT},
                      DRAFT, Expectation(SCENE)) for i in range(items)]
    with server_process(0.0) as server:
        config = LLMConfig(base_url=server.base_url, model="bench", max_concurrency=32,
                           cache_path=str(workdir / "rerun.sqlite"))
        start = time.perf_counter()
        first = generate_texts(tasks, config, OBJECT_WORDS)
        fill = time.perf_counter() - start
        start = time.perf_counter()
        second = generate_texts(tasks, config, OBJECT_WORDS)
        rerun = time.perf_counter() - start
    assert server.requests == first.requests == items and second.requests == 0, \
        (server.requests, first.requests, first.retries, second.requests)
    assert second.results == first.results
    return fill, rerun, dict(second.outcomes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=960)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    lemmas("warm")  # load lemminflect's tables outside the timed parts
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        rate, ideal, client_cpu, server_cpu = throughput(args.requests, args.concurrency, args.delay, workdir)
        print(f"throughput: {args.requests} requests, concurrency {args.concurrency}, "
              f"server delay {args.delay * 1000:.0f} ms")
        print(f"  measured {rate:8.1f} req/s   ideal {ideal:8.1f} req/s   "
              f"{100 * rate / ideal:5.1f}% of ideal (target >= 70%)")
        print(f"  CPU per request: client {client_cpu * 1000:.2f} ms, loopback server "
              f"{server_cpu * 1000:.2f} ms (at 320 req/s the client needs "
              f"{client_cpu * 320:.2f} cores)")
        fill, rerun, outcomes = cached_rerun(args.items, workdir)
        print(f"cached rerun: {args.items} texts {outcomes}")
        print(f"  first run {fill:6.2f} s (server, no delay)   rerun {rerun:6.2f} s from cache, "
              f"0 requests (target < 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
