"""Write the stand-in caption corpus that ships in crepe_gen/data/standin_corpus/.

Not a real training set: three seeded subsets of the region descriptions of
the bundled 100-image Visual Genome sample, one per preset format, so that
`crepe-gen vocab` and `crepe-gen systematicity` run end to end without the
real CC-12M, YFCC-15M or LAION-400M captions.

    .venv/bin/python scripts/make_standin_corpus.py [OUT_DIR]
"""

from __future__ import annotations

import csv
import random
import sys
import urllib.parse
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from crepe_gen.vg.reader import VisualGenome

#: Corpus preset -> seed of its subset.
SEEDS = {"cc12m": 12, "yfcc15m": 15, "laion400m": 400}
FRACTION = 0.5


def region_phrases() -> list[tuple[int, str]]:
    """``(region_id, phrase)`` of every region of the sample, whitespace folded, sorted."""
    phrases = []
    for _, regions in VisualGenome().region_descriptions():
        for region in regions:
            text = " ".join(region["phrase"].split())
            if text:
                phrases.append((region["region_id"], text))
    return sorted(phrases)


def subset(phrases, seed: int) -> list[tuple[int, str]]:
    chosen = random.Random(seed).sample(phrases, round(len(phrases) * FRACTION))
    return sorted(chosen)


def write_laion(rows, folder: Path) -> None:
    table = pa.table({"SAMPLE_ID": [f"vg-region-{rid}" for rid, _ in rows],
                      "TEXT": [text for _, text in rows]})
    pq.write_table(table, folder / "part-00000-standin.parquet", row_group_size=1000, compression="zstd")


def write_cc12m(rows, folder: Path) -> None:
    with open(folder / "cc12m-standin.tsv", "w", encoding="utf-8", newline="") as handle:
        for rid, text in rows:
            handle.write(f"standin:vg-region-{rid}\t{text}\n")


def write_yfcc(rows, folder: Path) -> None:
    with open(folder / "yfcc15m-standin.tsv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
        writer.writerow(["photoid", "title", "description"])
        for (rid, title), (_, description) in zip(rows[0::2], rows[1::2]):
            writer.writerow([f"vg-region-{rid}", urllib.parse.quote_plus(title),
                             urllib.parse.quote_plus(description)])


WRITERS = {"laion400m": write_laion, "cc12m": write_cc12m, "yfcc15m": write_yfcc}


def main(out_dir: Path) -> None:
    phrases = region_phrases()
    for name, seed in SEEDS.items():
        folder = out_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        rows = subset(phrases, seed)
        WRITERS[name](rows, folder)
        print(f"{name}: {len(rows)} captions (seed {seed}) -> {folder}")


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[1] / "crepe_gen" / "data" / "standin_corpus"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
