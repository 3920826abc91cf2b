"""Hostile use, round 2: damaged resume files and caches, interrupts, a full
disk, missing extras and models, each through the command (docs/faults.md)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


#: Runs the CLI with every fsync failing as on a full disk (a fault no real
#: file system here can be made to give on demand).
FULL_DISK_CLI = """
import errno, os, sys
from crepe_gen.cli import main
def full(fd):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
os.fsync = full
sys.exit(main(sys.argv[1:]))
"""

#: Runs the CLI without open_clip importable, as on a machine without the eval extra.
NO_OPEN_CLIP_CLI = """
import sys
sys.modules["open_clip"] = None
from crepe_gen.cli import main
sys.exit(main(sys.argv[1:]))
"""

SMALL = ["--max-images", "6"]


def test_a_damaged_saved_chunk_is_redone(tmp_path, run_cli):
    out, config = tmp_path / "out", tmp_path / "chunks.yaml"
    config.write_text("chunk_size: 2\nmax_images: 6\nlevels: [4]\n")
    killed = subprocess.run([sys.executable, "-c", KILLED, "productivity", "--out", out, "--config", config],
                            capture_output=True, text=True)
    assert killed.returncode == 9, killed.stderr
    chunk = sorted((out / "productivity" / ".parts").rglob("chunk_*.json"))[0]
    chunk.write_text(chunk.read_text()[:40])  # torn by hand or disk
    done = run_cli("productivity", "--out", out, "--config", config)
    assert done.returncode == 0, done.stderr
    assert "discarding the damaged saved chunk" in done.stderr
    assert run_cli("productivity", "--out", tmp_path / "clean", "--config", config).returncode == 0
    assert _outputs(out) == _outputs(tmp_path / "clean") != {}


@pytest.mark.parametrize("damage", ["truncated", "a list"])
def test_a_damaged_manifest_is_replaced_and_its_work_redone(tmp_path, run_cli, damage):
    out = tmp_path / "out"
    assert run_cli("productivity", "--out", out, *SMALL).returncode == 0
    manifest = out / "manifest.json"
    manifest.write_text(manifest.read_text()[:50] if damage == "truncated" else "[1, 2]")
    done = run_cli("productivity", "--out", out, *SMALL)
    assert done.returncode == 0, done.stderr
    assert "manifest.json is damaged" in done.stderr
    assert json.loads(manifest.read_text())["productivity"]["rows"]


@pytest.mark.parametrize("content", [b"not a database at all\n", b"SQLite format 3\x00" + b"\x00" * 80])
def test_a_damaged_llm_cache_is_refused_before_work(tmp_path, run_cli, content):
    cache = tmp_path / "llm_cache.sqlite"
    cache.write_bytes(content)
    started = time.monotonic()
    done = run_cli("productivity", "--out", tmp_path / "out", "--llm-base-url", "http://127.0.0.1:9/v1",
                   "--llm-model", "m", "--llm-cache", cache)
    assert done.returncode == 2 and time.monotonic() - started < 20
    assert done.stderr.startswith(f"crepe-gen: error: {cache}: damaged response cache (")
    assert cache.read_bytes() == content  # paid-for answers are never replaced unasked


def test_a_damaged_eval_cache_is_ranked_again(tmp_path, run_cli):
    from test_evaluate import make_bench

    bench = make_bench(tmp_path / "bench")
    first = run_cli("eval", "--bench", bench, "--model", "text:shortest", "--out", tmp_path / "r.json")
    assert first.returncode == 0, first.stderr
    saved = list(tmp_path.rglob("*.json"))
    caches = [p for p in saved if p.parent.name != "bench" and p.name != "r.json" and "manifest" not in p.name]
    assert caches, saved
    for path in caches:
        path.write_text("{garbled")
    again = run_cli("eval", "--bench", bench, "--model", "text:shortest", "--out", tmp_path / "r2.json")
    assert again.returncode == 0, again.stderr
    assert "discarding the damaged saved ranks" in again.stderr
    results = [json.loads((tmp_path / name).read_text()) for name in ("r.json", "r2.json")]
    assert results[0].get("results", results[0]) == results[1].get("results", results[1])


def test_ctrl_c_exits_130(tmp_path):
    for delay in (1.0, 3.0):
        child = subprocess.Popen([sys.executable, "-m", "crepe_gen.cli", "productivity", "--out",
                                  str(tmp_path / f"out{delay}")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        time.sleep(delay)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=120)
        assert child.returncode == 130, err[-2000:]
        assert err.strip().splitlines()[-1] == "crepe-gen: interrupted"


def test_a_full_disk_names_the_file_and_leaves_no_half_file(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", FULL_DISK_CLI, "productivity", "--out", str(out), *SMALL],
                          capture_output=True, text=True)
    assert done.returncode == 2, done.stderr[-2000:]
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(f"crepe-gen: error: {out}") and "No space left on device" in line, line
    assert not list(out.rglob("*.tmp")) and not list(out.rglob("*.csv"))


def test_open_clip_without_the_eval_extra_names_it(tmp_path):
    from test_evaluate import make_bench

    done = subprocess.run([sys.executable, "-c", NO_OPEN_CLIP_CLI, "eval", "--bench", str(make_bench(tmp_path / "b")),
                           "--model", "open_clip:RN50"], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "pip install 'crepe-gen[eval]'" in done.stderr and "Traceback" not in done.stderr


def test_a_folder_in_the_locks_place_is_refused(tmp_path, run_cli):
    (tmp_path / "out" / ".crepe-gen.lock").mkdir(parents=True)
    done = run_cli("productivity", "--out", tmp_path / "out", *SMALL)
    assert done.returncode == 2 and "cannot take the output folder's lock" in done.stderr, done.stderr


@pytest.mark.parametrize("argv, config, said", [
    (["productivity", "--prior-model", "/missing.gguf"], None, "--prior-model: language model file not found"),
    (["productivity", "--config", "{cfg}"], "prior_model: /missing.gguf\n",
     "cfg.yaml: prior_model: language model file not found"),
    (["build", "--config", "{cfg}"], "audit:\n  lm: /missing.gguf\n",
     "cfg.yaml: section 'audit': lm: language model file not found"),
])
def test_a_missing_model_is_refused_before_work(tmp_path, run_cli, argv, config, said):
    if config is not None:
        (tmp_path / "cfg.yaml").write_text(config)
    started = time.monotonic()
    done = run_cli(*[a.format(cfg=tmp_path / "cfg.yaml") for a in argv], "--out", tmp_path / "out")
    assert done.returncode == 2 and said in done.stderr, done.stderr
    assert time.monotonic() - started < 20 and not (tmp_path / "out").exists()


KILLED = """
import os, sys
import crepe_gen.productivity.stage as stage
from crepe_gen.cli import main
real, calls = stage.image_rows, [0]
def dies(*args, **kwargs):
    calls[0] += 1
    if calls[0] > 4:
        os._exit(9)
    return real(*args, **kwargs)
stage.image_rows = dies
sys.exit(main(sys.argv[1:]))
"""


def _outputs(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in {".csv", ".jsonl"}}
