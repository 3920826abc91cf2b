import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crepe_gen.cli import main
from crepe_gen.systematicity.corpora import PRESETS
from crepe_gen.core.errors import InputError
from crepe_gen.systematicity.counting import KINDS, VocabConfig, build_vocab, load_vocab, manifest_path


def write_laion(folder, shards=3, rows=40):
    folder.mkdir(parents=True, exist_ok=True)
    for shard in range(shards):
        texts = [f"a red shirt on a man {shard}" if i % 2 else "a man wearing a white hat" for i in range(rows)]
        texts[0] = None
        pq.write_table(pa.table({"TEXT": texts}), folder / f"part-{shard}.parquet", row_group_size=10)


@pytest.mark.parametrize("preset", PRESETS)
def test_standin_corpus_in_every_preset_format(tmp_path, preset):
    summary = build_vocab(preset, None, tmp_path / "v.parquet", VocabConfig(progress=False, workers=1))
    assert summary["stand_in"] and summary["captions"] >= 3638 and summary["skipped"] == {}
    vocab = load_vocab(tmp_path / "v.parquet")
    assert set(vocab) == set(KINDS)
    assert all(len(vocab[kind]) > 50 for kind in KINDS)


def test_counts_are_captions_and_output_is_deterministic(tmp_path):
    write_laion(tmp_path / "corpus")
    config = VocabConfig(progress=False, workers=1)
    first = build_vocab("laion400m", [tmp_path / "corpus"], tmp_path / "a.parquet", config)
    build_vocab("laion400m", [tmp_path / "corpus"], tmp_path / "b.parquet", config)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    vocab = load_vocab(tmp_path / "a.parquet")
    assert vocab["attribute_compound"][("red", "shirt")] == 60      # 20 per shard, 3 shards
    assert vocab["relation_compound"][("man", "wearing", "hat")] == 57   # 19 per shard (row 0 is null)
    assert first["skipped"] == {"null caption": 3}
    assert [s["skipped"] for s in first["per_shard"]] == [{"null caption": 1}] * 3
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.column_names == ["kind", "key", "count"] and table.schema.field("count").type == pa.int64()
    rows = list(zip(table.column("kind").to_pylist(), table.column("key").to_pylist()))
    assert rows == sorted(rows)
    manifest = json.loads(manifest_path(tmp_path / "a.parquet").read_text())
    assert manifest["captions"] == 117 and manifest["vg_vocabulary"]["digest"]


def test_resume_counts_nothing_twice(tmp_path):
    write_laion(tmp_path / "corpus")
    out = tmp_path / "v.parquet"
    config = VocabConfig(progress=False, workers=1)
    build_vocab("laion400m", [tmp_path / "corpus"], out, config)
    expected, expected_manifest = out.read_bytes(), manifest_path(out).read_bytes()
    shard_files = sorted((tmp_path / "v.parquet.shards").glob("*.json"))
    shard_files = [p for p in shard_files if not p.name.startswith("vg-vocabulary")]
    assert len(shard_files) == 3
    shard_files[1].unlink()                         # as if killed before this shard finished
    shard_files[2].write_text('{"format": 1, "stat')  # a torn file is redone, not trusted
    summary = build_vocab("laion400m", [tmp_path / "corpus"], out, config)
    assert summary["resumed_shards"] == 1
    assert out.read_bytes() == expected
    assert manifest_path(out).read_bytes() == expected_manifest  # how it was reached is not recorded


@pytest.mark.slow
def test_killed_run_resumes(tmp_path):
    write_laion(tmp_path / "corpus", shards=6, rows=2000)
    out = tmp_path / "v.parquet"
    script = ("import sys, crepe_gen.systematicity.counting as v\n"
              "real = v.count_shard\n"
              "def count_then_die(task, calls=[0]):\n"
              "    calls[0] += 1\n"
              "    if calls[0] == 3:\n"
              "        import os; os._exit(9)\n"
              "    return real(task)\n"
              "v.count_shard = count_then_die\n"
              f"v.build_vocab('laion400m', [{str(tmp_path / 'corpus')!r}], {str(out)!r}, "
              "v.VocabConfig(progress=False, workers=1))\n")
    killed = subprocess.run([sys.executable, "-c", script])
    assert killed.returncode == 9 and not out.exists()
    summary = build_vocab("laion400m", [tmp_path / "corpus"], out, VocabConfig(progress=False, workers=1))
    assert summary["resumed_shards"] == 2
    fresh = tmp_path / "fresh.parquet"
    build_vocab("laion400m", [tmp_path / "corpus"], fresh, VocabConfig(progress=False, workers=1))
    assert load_vocab(out) == load_vocab(fresh)


def test_load_vocab_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_vocab(tmp_path / "none.parquet")
    pq.write_table(pa.table({"kind": ["colour"], "key": ["red"], "count": [1]}), tmp_path / "bad.parquet")
    with pytest.raises(InputError, match="unknown kind 'colour'"):
        load_vocab(tmp_path / "bad.parquet")
    (tmp_path / "junk.parquet").write_text("junk")
    with pytest.raises(InputError, match="not a readable parquet"):
        load_vocab(tmp_path / "junk.parquet")


def test_cli(tmp_path, capsys):
    assert main(["vocab", "--corpus", "cc12m", "--out", str(tmp_path / "v.parquet"), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "stand-in corpus" in out and "3639 captions" in out
    assert main(["vocab", "--corpus", "cc12m", "--captions", str(tmp_path / "nope"),
                 "--out", str(tmp_path / "w.parquet")]) == 2
    assert "caption path not found" in capsys.readouterr().err


def test_a_corpus_of_the_wrong_format_is_refused(tmp_path, run_cli):
    captions = tmp_path / "caps.txt"
    captions.write_text("a man riding a horse\na red car\nthe blue sky\n")  # plain text, not cc12m's TSV
    done = run_cli("vocab", "--corpus", "cc12m", "--captions", captions, "--out", tmp_path / "v.parquet")
    assert done.returncode == 2 and not (tmp_path / "v.parquet").exists()
    assert done.stderr.strip().endswith("caps.txt: no caption read (3 malformed row): the cc12m corpus reads tsv "
                                        "files (caption in column 1); a corpus YAML (--corpus FILE) reads other layouts")
