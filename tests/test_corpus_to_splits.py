"""From caption corpora as distributed to the six systematicity files, through the CLI.

Each training set gets a small corpus in its preset's released format (CC-12M
gzipped TSV, YFCC-15M URL-encoded metadata, LAION-400M parquet shards with
bad rows), plus a user's own JSONL corpus described by a YAML file; ``crepe-gen
vocab`` counts each, then ``crepe-gen systematicity`` writes the splits.
"""

from __future__ import annotations
import csv
import gzip
import json
import urllib.parse
from pathlib import Path
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crepe_gen.cli import main
from crepe_gen.systematicity.extract import extract
from crepe_gen.language.names import normalize
from crepe_gen.bench.format import SYSTEMATICITY_COLUMNS, systematicity_stem
from crepe_gen.systematicity.counting import manifest_path, read_counts
from crepe_gen.systematicity.splits import split_of
from crepe_gen.systematicity.vg_names import vg_names
from crepe_gen.vg.reader import VisualGenome
from crepe_fixtures import write_sample_cut

IMAGES = 10


@pytest.fixture(scope="module")
def small_vg(tmp_path_factory) -> Path:
    return write_sample_cut(tmp_path_factory.mktemp("vg"), IMAGES)


@pytest.fixture(scope="module")
def phrases(small_vg) -> list[str]:
    return [region["phrase"] for _, regions in VisualGenome(small_vg).region_descriptions()
            for region in regions]


def write_cc12m(folder: Path, captions: list[str]) -> int:
    """Gzipped ``url<TAB>caption`` lines, no header, plus two bad rows; returns the bad rows."""
    lines = [f"http://img.example/{i}.jpg\t{caption}" for i, caption in enumerate(captions)]
    data = ("\n".join(lines) + "\n").encode() + b"http://img.example/x.jpg\t\xff\xfe\nhttp://img.example/y.jpg\n"
    (folder / "cc12m.tsv.gz").write_bytes(gzip.compress(data, mtime=0))
    return 2


def write_yfcc(folder: Path, captions: list[str]) -> int:
    """Header row, URL-encoded title and description (consecutive captions)."""
    quote = lambda text: urllib.parse.quote_plus(text)  # noqa: E731
    rows = ["photoid\ttitle\tdescription"]
    for i in range(0, len(captions) - 1, 2):
        rows.append(f"{i}\t{quote(captions[i])}\t{quote(captions[i + 1])}")
    rows.append("999999\t\t")  # two empty captions
    (folder / "yfcc15m_dataset.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return 2


def write_laion(folder: Path, captions: list[str]) -> int:
    """Two metadata parquet shards (``URL``, ``TEXT``, ``NSFW``) with a null, an empty and a non-UTF-8 caption."""
    half = len(captions) // 2
    for part, chunk in enumerate((captions[:half], captions[half:])):
        texts = [c.encode() for c in chunk] + ([None, b"", b"\xc3\x28"] if part == 0 else [])
        table = pa.table({"URL": [f"u{i}" for i in range(len(texts))],
                          "TEXT": pa.array(texts, pa.binary()),
                          "NSFW": ["UNLIKELY"] * len(texts)})
        pq.write_table(table, folder / f"part-{part:05d}-abc.snappy.parquet", row_group_size=100)
    return 3


def write_own(folder: Path, captions: list[str]) -> int:
    """A user's own corpus: JSONL with a ``text`` field, described by a YAML file."""
    lines = [json.dumps({"id": i, "text": caption}) for i, caption in enumerate(captions)] + ["{not json"]
    (folder / "captions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "mine.yaml").write_text("name: mine\nformat: jsonl\nfiles: ['*.jsonl']\ncolumns: [text]\n")
    return 1


#: training-set name -> (--corpus, writer, share of the captions it holds)
CORPORA = {"cc12m": ("cc12m", write_cc12m, 0), "yfcc": ("yfcc15m", write_yfcc, 1),
           "laion": ("laion400m", write_laion, 2), "mine": (None, write_own, 3)}


@pytest.fixture(scope="module")
def vocabularies(small_vg, phrases, tmp_path_factory) -> dict:
    """``{name: (vocabulary path, bad rows written)}``, counted by ``crepe-gen vocab``."""
    root = tmp_path_factory.mktemp("corpora")
    built = {}
    for name, (preset, writer, offset) in CORPORA.items():
        folder = root / name
        folder.mkdir()
        captions = [p for i, p in enumerate(phrases) if i % 4 != offset]  # each set lacks a quarter
        bad = writer(folder, captions)
        corpus = preset or str(folder / "mine.yaml")
        out = root / f"{name}.parquet"
        assert main(["vocab", "--corpus", corpus, "--captions", str(folder), "--out", str(out),
                     "--vg", str(small_vg), "--workers", "1"]) == 0
        built[name] = (out, bad)
    return built


def test_vocab_of_every_format_counts_captions_and_bad_rows(vocabularies, phrases):
    for name, (path, bad) in vocabularies.items():
        summary = json.loads(manifest_path(path).read_text())
        assert summary["stand_in"] is False
        expected = len([p for i, p in enumerate(phrases) if i % 4 != CORPORA[name][2]])
        if name == "yfcc":
            expected -= expected % 2  # titles and descriptions come in pairs
        assert summary["captions"] == expected, name
        assert sum(summary["skipped"].values()) == bad, (name, summary["skipped"])


def test_systematicity_from_the_vocabularies(vocabularies, small_vg, tmp_path, capsys):
    out = tmp_path / "bench"
    args = ["systematicity", "--vg", str(small_vg), "--out", str(out), "--seed", "3"]
    for name, (path, _) in vocabularies.items():
        args += ["--vocab", f"{name}={path}"]
    assert main(args) == 0
    assert "stand-in" not in capsys.readouterr().out
    written = sorted(p.name for p in (out / "systematicity").glob("*.csv"))
    assert written == sorted(f"{systematicity_stem(split, name)}.csv" for name in CORPORA
                             for split in ("seen_compounds", "unseen_compounds"))

    vocabulary = vg_names(str(small_vg))
    for name, (path, _) in vocabularies.items():
        counts = read_counts(path)
        for split in ("seen_compounds", "unseen_compounds"):
            with open(out / "systematicity" / f"{systematicity_stem(split, name)}.csv", newline="") as handle:
                reader = csv.DictReader(handle)
                assert reader.fieldnames == list(SYSTEMATICITY_COLUMNS)
                rows = list(reader)
            assert rows, (name, split)
            for row in rows:
                ex = extract(normalize(row["caption"]), "fast", vocabulary)
                atoms = {"object": ex.objects, "attribute": ex.attributes, "relation": ex.relations}
                compounds = {"attribute_compound": ex.attribute_compounds,
                             "relation_compound": ex.relation_compounds}
                assert split_of(atoms, compounds, counts, 1) == split, (name, row["caption"])
    manifest = json.loads((out / "manifest.json").read_text())["systematicity"]
    assert manifest["standin_corpus"] is False
    assert {v["name"] for v in manifest["vocabularies"].values()} == set(CORPORA)
