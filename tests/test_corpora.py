import gzip

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crepe_gen.systematicity.corpora import FORMATS, PRESETS, CorpusSpec, Shard, load_corpus_spec, plan_shards, read_shard
from crepe_gen.core.errors import InputError


def read_all(spec, paths):
    captions, skipped = [], {}
    for shard in plan_shards(spec, paths):
        captions.extend(read_shard(spec, shard, skipped))
    return captions, skipped


def test_presets_load():
    for name in PRESETS:
        spec = load_corpus_spec(name)
        assert spec.name == name and spec.format in FORMATS


def test_laion_parquet_row_group_shards_and_bad_rows(tmp_path):
    texts = ["a red car", None, "", "x" * 20_000, "a dog on a bench", "   "]
    table = pa.table({"URL": ["u"] * 6, "TEXT": texts})
    pq.write_table(table, tmp_path / "part-0.parquet", row_group_size=2)
    spec = CorpusSpec("laion", "parquet", ("*.parquet",), ("TEXT",), rows_per_shard=4)
    shards = plan_shards(spec, [tmp_path])
    assert [(s.first_group, s.stop_group) for s in shards] == [(0, 2), (2, 3)]
    captions, skipped = read_all(spec, [tmp_path])
    assert captions == ["a red car", "a dog on a bench"]
    assert skipped == {"null caption": 1, "empty caption": 2, "caption too long": 1}


def test_parquet_bytes_that_are_not_utf8(tmp_path):
    table = pa.table({"TEXT": pa.array([b"a cat", b"\xff\xfe bad", b"a hat"], pa.binary())})
    pq.write_table(table, tmp_path / "p.parquet")
    spec = load_corpus_spec("laion400m")
    assert read_all(spec, [tmp_path]) == (["a cat", "a hat"], {"not UTF-8": 1})


def test_cc12m_tsv_gzip(tmp_path):
    with gzip.open(tmp_path / "cc12m.tsv.gz", "wb") as handle:
        handle.write(b'http://a\ta "quoted" man\nhttp://b\t\xc3\x28\nhttp://c\n')
    captions, skipped = read_all(load_corpus_spec("cc12m"), [tmp_path])
    assert captions == ['a "quoted" man']
    assert skipped == {"not UTF-8": 1, "malformed row": 1}


def test_yfcc_url_decoded_title_and_description(tmp_path):
    (tmp_path / "yfcc.tsv").write_text("photoid\ttitle\tdescription\n1\ta+red+bus%21\t\n2\tIMG+0001\tdog+%26+cat\n")
    captions, skipped = read_all(load_corpus_spec("yfcc15m"), [tmp_path])
    assert captions == ["a red bus!", "IMG 0001", "dog & cat"]
    assert skipped == {"empty caption": 1}


def test_text_and_jsonl(tmp_path):
    (tmp_path / "a.txt").write_text("one caption\n\nanother caption\n")
    (tmp_path / "b.jsonl").write_text('{"caption": "json caption"}\nnot json\n{"caption": null}\n[1]\n')
    text = CorpusSpec("t", "txt", ("*.txt",))
    jsonl = CorpusSpec("j", "jsonl", ("*.jsonl",), ("caption",))
    assert read_all(text, [tmp_path]) == (["one caption", "another caption"], {"empty caption": 1})
    assert read_all(jsonl, [tmp_path]) == (["json caption"], {"malformed row": 2, "null caption": 1})


def test_corrupt_shards_are_counted_not_fatal(tmp_path):
    good = gzip.compress(b"".join(b"caption %d\n" % i for i in range(2000)))
    (tmp_path / "cut.txt.gz").write_bytes(good[: len(good) // 2])
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really parquet")
    text = CorpusSpec("t", "txt", ("*.txt.gz",))
    captions, skipped = read_all(text, [tmp_path])
    assert skipped == {"corrupt shard": 1} and 0 < len(captions) < 2000
    parquet = CorpusSpec("p", "parquet", ("*.parquet",), ("TEXT",))
    assert read_all(parquet, [tmp_path]) == ([], {"corrupt shard": 1})


def test_user_yaml_and_errors(tmp_path):
    spec_path = tmp_path / "mine.yaml"
    spec_path.write_text("format: jsonl\nfiles: ['*.jsonl']\ncolumns: text\n")
    spec = load_corpus_spec(spec_path)
    assert spec.name == "mine" and spec.columns == ("text",)
    (tmp_path / "bad.yaml").write_text("format: xml\n")
    with pytest.raises(InputError, match="unknown format"):
        load_corpus_spec(tmp_path / "bad.yaml")
    (tmp_path / "typo.yaml").write_text("format: txt\ncolumn: [a]\n")
    with pytest.raises(InputError, match="unknown corpus keys: column"):
        load_corpus_spec(tmp_path / "typo.yaml")
    with pytest.raises(InputError, match="caption path not found"):
        plan_shards(spec, [tmp_path / "missing"])
    with pytest.raises(InputError, match="no caption files match"):
        plan_shards(spec, [tmp_path])


def test_shard_ids_are_stable():
    assert Shard("/x/a.parquet", 0, 3).id == "/x/a.parquet#row-groups-0-3"
    assert Shard("/x/a.tsv").id == "/x/a.tsv"
