"""An LLM endpoint that is down stops a run in seconds (exit status 3), not
hours: the check before the run, and the circuit breaker during it, which
keeps every answer already cached so that a rerun resumes."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time

import pytest

from crepe_gen.core.errors import ServiceError
from crepe_gen.llm.client import check_endpoint
from crepe_gen.llm.config import LLMConfig
from crepe_gen.llm.generate import generate_texts

from llm_fault_server import FaultServer
from test_llm import OBJECT_WORDS, tasks


class FailingAfter(FaultServer):
    """Answers the first *ok* requests, then fails every one with *action* (``500``, ``429``...)."""

    def __init__(self, ok: int, action: str = "500", **options):
        super().__init__(**options)
        self.ok = ok
        self.failing_action = action

    def _action(self, query: str) -> str:
        with self._lock:
            self.requests += 1
            return "ok" if self.requests <= self.ok else self.failing_action


class Hangup:
    """A TCP server that accepts every connection and closes it at once."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def _serve(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.answer(connection)

    def answer(self, connection):
        connection.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.sock.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def llm_config(base_url, tmp_path, **overrides) -> LLMConfig:
    values = dict(base_url=base_url, model="fault-model", timeout=5, backoff_base=0.01, backoff_max=0.02,
                  max_retries=1, max_concurrency=2, max_consecutive_failures=4,
                  cache_path=str(tmp_path / "cache.sqlite"))
    values.update(overrides)
    return LLMConfig(**values)


def cached(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]


def test_unreachable_endpoint_fails_fast_through_the_cli(run_cli, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    started = time.monotonic()
    done = run_cli("productivity", "--out", tmp_path / "out", "--llm-base-url", url, "--llm-model", "foo")
    assert time.monotonic() - started < 15
    assert done.returncode == 3, done.stderr[-2000:]
    assert done.stderr == f"crepe-gen: error: {url}: unreachable (connection refused); nothing was sent\n"
    assert not (tmp_path / "out").exists()


def test_endpoint_check_names_an_unknown_host():
    with pytest.raises(ServiceError, match=r"unreachable \(unknown host 'no-such-host.invalid'\)"):
        check_endpoint(LLMConfig(base_url="http://no-such-host.invalid/v1", model="m"))


def test_endpoint_check_passes_a_listening_server():
    with FaultServer() as server:
        check_endpoint(LLMConfig(base_url=server.base_url, model="m"))
        assert server.requests == 0  # a connection only: nothing is sent


@pytest.mark.parametrize("action", ["500", "429"])
def test_breaker_stops_a_failing_run_and_keeps_the_cache(tmp_path, action):
    with FailingAfter(ok=5, action=action, retry_after="0") as server:
        config = llm_config(server.base_url, tmp_path)
        with pytest.raises(ServiceError) as raised:
            generate_texts(tasks(40), config, OBJECT_WORDS)
        sent = server.requests
    message = str(raised.value)
    assert message.startswith(f"{server.base_url}: stopped after 4 requests in a row failed")
    assert f"HTTP {action}" in message and "5 answers kept in" in message
    assert cached(tmp_path / "cache.sqlite") == 5
    # 4 failed requests with 2 tries each, and at most the requests in flight beside them
    assert sent <= 5 + 4 * 2 + config.max_concurrency * 2

    with FaultServer() as healthy:  # the rerun asks only for what is missing
        run = generate_texts(tasks(40), llm_config(healthy.base_url, tmp_path), OBJECT_WORDS)
    assert run.cache_hits == 5 and healthy.requests == 35 and run.outcomes == {"llm": 40}


def test_breaker_trips_on_dropped_connections(tmp_path):
    with Hangup() as server:
        with pytest.raises(ServiceError, match="last error: APIConnectionError"):
            generate_texts(tasks(40), llm_config(server.base_url, tmp_path), OBJECT_WORDS)
    assert server.connections <= (4 + 2) * 2


def test_failures_between_answers_do_not_trip_the_breaker(tmp_path):
    with FaultServer() as server:
        server.plan = {f"#{i}\n": ["500", "500"] for i in range(0, 40, 4)}  # every fourth text fails
        run = generate_texts(tasks(40), llm_config(server.base_url, tmp_path), OBJECT_WORDS)
    assert run.outcomes == {"llm": 30, "template_request_failed": 10}


@pytest.mark.slow  # a productivity run on the sample: about 20 s
def test_breaker_through_the_cli_exits_3_and_a_rerun_resumes(run_cli, tmp_path):
    (tmp_path / "p.yaml").write_text("levels: [4, 6]\nper_level: 2\nmax_images: 30\n")
    options = ("backoff_base: 0.01\nbackoff_max: 0.02\nmax_retries: 1\nmax_concurrency: 2\n"
               "max_consecutive_failures: 4\ntimeout: 5\nmodel: fault-model\n")
    command = ("productivity", "--out", tmp_path / "out", "--config", tmp_path / "p.yaml",
               "--llm-config", tmp_path / "llm.yaml")
    with FailingAfter(ok=10) as server:
        (tmp_path / "llm.yaml").write_text(f"base_url: {server.base_url}\n" + options)
        done = run_cli(*command)
    assert done.returncode == 3, done.stderr[-2000:]
    last = done.stderr.splitlines()[-1]
    assert last.startswith(f"crepe-gen: error: {server.base_url}: stopped after 4 requests in a row failed")
    assert "HTTP 500" in last and "10 answers kept" in last
    assert cached(tmp_path / "out" / "llm_cache.sqlite") == 10

    with FaultServer() as healthy:
        (tmp_path / "llm.yaml").write_text(f"base_url: {healthy.base_url}\n" + options)
        again = run_cli(*command)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "62 requests, 10 cached" in again.stdout


@pytest.mark.parametrize("argv", [
    ["audit", "{tmp}", "--lm", "{url},m"],
    ["eval", "--bench", "{tmp}", "--model", "text:lm:{url},m"],
])
def test_unreachable_scoring_endpoint_exits_3_before_work(run_cli, tmp_path, argv):
    url = f"http://127.0.0.1:{free_port()}/v1"
    done = run_cli(*[arg.format(tmp=tmp_path, url=url) for arg in argv], timeout=60)
    assert done.returncode == 3, done.stderr[-2000:]
    assert done.stderr == f"crepe-gen: error: {url}: unreachable (connection refused); nothing was sent\n"


class Silent(Hangup):
    """A TCP server that accepts every connection and never answers on it."""

    held: list = []

    def answer(self, connection):
        self.held.append(connection)  # kept open, never read or written


def test_an_endpoint_that_never_answers_stops_after_one_timeout(tmp_path):
    """Not after every request's retries: the run ends once the endpoint has
    said nothing for a whole timeout."""
    with Silent() as server:
        started = time.monotonic()
        with pytest.raises(ServiceError, match=r"no answer for \d+ s \(timeout 2 s\)"):
            generate_texts(tasks(40), llm_config(server.base_url, tmp_path, timeout=2, max_retries=5,
                                                 max_consecutive_failures=20), OBJECT_WORDS)
        assert time.monotonic() - started < 10
