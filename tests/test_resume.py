"""Reliability of reruns: saved work is reused only for the same inputs,
configuration and code; temporary files of killed runs are removed; one run
per output folder at a time."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import crepe_gen
from crepe_gen.build import load_build_config, run_build
from crepe_gen.core.lock import LOCK_NAME, holder_pid, output_lock
from crepe_gen.productivity.stage import ProductivityConfig, resume_key
from crepe_gen.systematicity.counting import VocabConfig, build_vocab
from crepe_gen.vg.reader import bundled_sample

from test_evaluate import make_bench
from test_vocab import write_laion

#: Per-image files of the sample (one top-level array, the same image order in each).
PER_IMAGE = ("image_data.json", "scene_graphs.json", "region_descriptions.json", "objects.json",
             "attributes.json", "relationships.json")
PRODUCTIVITY = "levels: [4, 6]\nchunk_size: 4\nmax_images: 16\n"

#: Runs the CLI after making the process die (as by SIGKILL: no cleanup) once
#: ``CREPE_TEST_DIE_AFTER`` images have been turned into rows.
KILLED_CLI = """
import os, sys
import crepe_gen.productivity.stage as stage
from crepe_gen.cli import main
real, calls = stage.image_rows, [0]
def dies(*args, **kwargs):
    calls[0] += 1
    if calls[0] > int(os.environ["CREPE_TEST_DIE_AFTER"]):
        os._exit(9)
    return real(*args, **kwargs)
stage.image_rows = dies
sys.exit(main(sys.argv[1:]))
"""


def other_vg(root: Path) -> Path:
    """The sample with every other image dropped from every per-image file."""
    shutil.copytree(bundled_sample(), root)
    for name in PER_IMAGE:
        path = root / name
        if path.exists():
            path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8"))[::2]), encoding="utf-8")
    return root


def recaption(corpus: Path) -> None:
    """Other captions in the same files, cut into the same shards."""
    for path in sorted(corpus.glob("*.parquet")):
        texts = pq.read_table(path).column("TEXT").to_pylist()
        texts = [text.replace("red", "blue") if text else text for text in texts]
        pq.write_table(pa.table({"TEXT": texts}), path, row_group_size=10)


def outputs(folder: Path) -> dict:
    """``{relative path: bytes}`` of the benchmark files under *folder*."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in {".csv", ".jsonl", ".parquet"}}


@pytest.mark.slow
def test_killed_productivity_run_is_not_resumed_from_other_inputs(tmp_path, run_cli):
    config = tmp_path / "prod.yaml"
    config.write_text(PRODUCTIVITY)
    out, other = tmp_path / "out", other_vg(tmp_path / "other_vg")
    killed = subprocess.run([sys.executable, "-c", KILLED_CLI, "productivity", "--out", out, "--config", config],
                            env={**os.environ, "CREPE_TEST_DIE_AFTER": "10"}, capture_output=True, text=True)
    assert killed.returncode == 9, killed.stderr
    assert len(list((out / "productivity" / ".parts").rglob("chunk_*.json"))) == 2
    # a kill during the final writes leaves temporary files behind
    (out / "productivity" / "atom").mkdir(parents=True)
    planted = out / "productivity" / "atom" / ".prod_vg_hard_negs_atom_complexity_4.csv.k2j_9xq0.tmp"
    planted.write_text("torn")

    resumed = run_cli("productivity", "--vg", other, "--out", out, "--config", config)
    assert resumed.returncode == 0, resumed.stderr
    assert "discarding 1 saved chunk folder" in resumed.stderr
    clean = run_cli("productivity", "--vg", other, "--out", tmp_path / "clean", "--config", config)
    assert clean.returncode == 0, clean.stderr
    assert outputs(out) == outputs(tmp_path / "clean") != {}
    assert not planted.exists() and not list(out.rglob("*.tmp"))
    manifest = json.loads((out / "manifest.json").read_text())["productivity"]
    assert manifest["vg_root"] == str(other)


def test_resume_key_covers_inputs_seed_images_leniency_and_code(tmp_path, monkeypatch):
    hashes = {"scene_graphs.json": "ab"}
    key = resume_key(ProductivityConfig(), hashes)
    assert resume_key(ProductivityConfig(workers=3), hashes) == key
    assert resume_key(ProductivityConfig(seed=1), hashes) != key
    assert resume_key(ProductivityConfig(), {"scene_graphs.json": "cd"}) != key
    assert resume_key(ProductivityConfig(), hashes, lenient=True) != key
    images = tmp_path / "images" / "VG_100K"
    images.mkdir(parents=True)
    (images / "1.jpg").write_bytes(b"jpg")
    assert resume_key(ProductivityConfig(), hashes, images_dir=images.parent) != key
    monkeypatch.setattr("crepe_gen.productivity.stage.STAGE_FORMAT", 99)
    assert resume_key(ProductivityConfig(), hashes) != key
    monkeypatch.undo()
    monkeypatch.setattr(crepe_gen, "__version__", "99.0")
    assert resume_key(ProductivityConfig(), hashes) != key


def test_vocab_shards_of_changed_captions_are_recounted(tmp_path, run_cli):
    corpus = tmp_path / "corpus"
    write_laion(corpus)
    out = tmp_path / "v.parquet"
    build_vocab("laion400m", [corpus], out, VocabConfig(progress=False, workers=1))
    recaption(corpus)
    (tmp_path / ".v.parquet.abcd1234.tmp").write_text("torn")
    (tmp_path / "v.parquet.shards" / ".0123abcd.json.zz_9yy00.tmp").write_text("torn")
    (tmp_path / ".other.csv.abcd1234.tmp").write_text("not this run's")
    again = run_cli("vocab", "--captions", corpus, "--out", out, "--workers", 1)
    assert again.returncode == 0, again.stderr
    assert "(0 resumed)" in again.stdout and "discarding 3 saved shard file(s)" in again.stderr
    build_vocab("laion400m", [corpus], tmp_path / "fresh.parquet", VocabConfig(progress=False, workers=1))
    assert out.read_bytes() == (tmp_path / "fresh.parquet").read_bytes()
    assert sorted(p.name for p in tmp_path.rglob("*.tmp")) == [".other.csv.abcd1234.tmp"]


def test_build_recounts_a_changed_corpus(tmp_path, run_cli):
    corpus = tmp_path / "corpus"
    write_laion(corpus)
    config = tmp_path / "build.yaml"
    config.write_text(f"stages: [vocab]\nvocab: {{corpora: {{laion400m: {corpus}}}, workers: 1}}\n")
    run_build(load_build_config(config, out=str(tmp_path / "out")), progress=False)
    recaption(corpus)
    again = run_cli("build", "--config", config, "--out", tmp_path / "out")
    assert again.returncode == 0 and "ran vocab" in again.stdout, again.stdout + again.stderr
    run_build(load_build_config(config, out=str(tmp_path / "fresh")), progress=False)
    assert outputs(tmp_path / "out" / "vocab") == outputs(tmp_path / "fresh" / "vocab")


def test_eval_cache_is_keyed_by_the_code_version(tmp_path, monkeypatch):
    from crepe_gen.evaluation.harness import evaluate
    from crepe_gen.evaluation.models import load_adapter

    bench = make_bench(tmp_path / "bench")
    cache = bench / "eval" / ".eval_cache"
    evaluate(bench, load_adapter("text:shortest"), cache_dir=cache)
    first = {p.name for p in cache.iterdir()}
    monkeypatch.setattr("crepe_gen.evaluation.harness.RANKS_FORMAT", 99)
    evaluate(bench, load_adapter("text:shortest"), cache_dir=cache)
    second = {p.name for p in cache.iterdir()}
    assert first and first < second and len(second) == 2 * len(first)  # nothing reused


def _command(name: str, out: Path, bench: Path) -> tuple[list, Path]:
    """The CLI arguments of *name* writing into *out*, and the folder it locks."""
    return {
        "productivity": (["productivity", "--out", out], out),
        "systematicity": (["systematicity", "--out", out], out),
        "build": (["build", "--out", out], out),
        "vocab": (["vocab", "--out", out / "v.parquet"], out / "v.parquet.shards"),
        "eval": (["eval", "--bench", bench, "--model", "text:shortest"], bench / "eval"),
    }[name]


@pytest.mark.parametrize("name", ["productivity", "systematicity", "build", "vocab", "eval"])
def test_second_run_into_a_held_folder_is_refused_at_once(tmp_path, run_cli, name):
    args, folder = _command(name, tmp_path / "out", make_bench(tmp_path / "bench"))
    with output_lock(folder):
        started = time.monotonic()
        refused = run_cli(*args, timeout=60)
        elapsed = time.monotonic() - started
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"crepe-gen: error: {folder} is in use by another crepe-gen run (pid {os.getpid()})"]
    assert elapsed < 30
    assert holder_pid(folder) is None and (folder / LOCK_NAME).read_text() == ""


def test_a_killed_holder_frees_the_folder(tmp_path, run_cli):
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom crepe_gen.core.lock import output_lock\n"
         f"with output_lock({str(out)!r}):\n    print('held', flush=True)\n    time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert holder_pid(out) == holder.pid
        refused = run_cli("productivity", "--out", out, "--max-images", "1")
        assert refused.returncode == 2 and f"(pid {holder.pid})" in refused.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert holder_pid(out) is None
    with output_lock(out):
        assert holder_pid(out) == os.getpid()


def test_a_rerun_removes_the_cells_it_no_longer_makes(tmp_path, run_cli):
    """A stage owns its folder: after a run with levels [4, 5], a run with [4]
    leaves no level-5 file for the audit to score as this run's."""
    out = tmp_path / "out"
    for levels in ("[4, 5]", "[4]"):
        config = tmp_path / "prod.yaml"
        config.write_text(f"levels: {levels}\nchunk_size: 4\nmax_images: 8\n")
        result = run_cli("productivity", "--out", out, "--config", config)
        assert result.returncode == 0, result.stderr
    assert "an earlier run made and this one does not" in result.stderr
    names = sorted(p.name for p in (out / "productivity").rglob("*") if p.is_file())
    assert names and not [name for name in names if "complexity_5" in name]
    audit = run_cli("audit", out / "productivity")
    levels = {line.split()[2] for line in audit.stdout.splitlines()
              if line.startswith("prod ") and line.rstrip().endswith(("pass", "judged", "FAIL"))}
    assert levels == {"4"}, audit.stdout
