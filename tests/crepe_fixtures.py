"""Test data: cuts of the bundled VG sample, and synthetic CREPE-format sets
for the audit tests in the released layout.

Two productivity styles:

- ``"released"`` copies the defects measured in the released set: negation
  negatives carry "no" and are capitalized and longer than the lower-case
  positive; atom negatives use replacement words never seen in a positive;
  swap negatives are capitalized.
- ``"balanced"`` is an exchangeable, length-matched process: one base caption,
  six one-word variants of it (every word in a slot has the same length), one
  of them picked at random as the positive. No text-only rule can do better
  than chance on it.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

from crepe_gen.evaluation.audit import normalized
from crepe_gen.bench.writer import write_csv_atomic
from crepe_gen.vg.reader import bundled_sample


def write_sample_cut(root: Path, images: int) -> Path:
    """The first *images* images of the bundled sample in *root* (every per-image file cut alike)."""
    sample = bundled_sample()
    for name in ("scene_graphs.json", "region_descriptions.json", "image_data.json"):
        records = json.loads((sample / name).read_text(encoding="utf-8"))[:images]
        (root / name).write_text(json.dumps(records), encoding="utf-8")
    for name in ("object_alias.txt", "relationship_alias.txt"):
        shutil.copy(sample / name, root / name)
    return root


PRODUCTIVITY_COLUMNS = ["image_id", "caption", "n", "n_objects", "n_relations", "n_attributes",
                        "n_connected_components", "hard_negs", "x", "y", "width", "height"]
SYSTEMATICITY_COLUMNS = ["image_id", "region_id", "caption", "x", "y", "width", "height",
                         "valid_hard_negs_atom", "valid_hard_negs_comp", "valid_hard_negs_combined"]

# Every word of a slot has the same length, so candidates are length-matched.
SLOTS = {
    "object": "chair table horse plate shirt train truck apple clock couch fence house plant sheep towel bench".split(),
    "attribute": "green brown black white ivory beige olive amber".split(),
    "relation": "near over atop with".split(),
}
#: Replacement words the released-style atom foils use; never in a positive.
FOREIGN = "buildaroundg heliumish refusely thirdward rowlike".split()
SLOT_ORDER = ["attribute", "object", "relation"]


def slot_kinds(n: int) -> list[str]:
    """Slot kinds of a caption of complexity *n* (attribute, object, relation, ...)."""
    return [SLOT_ORDER[i % 3] for i in range(n)]


def base_words(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(SLOTS[kind]) for kind in slot_kinds(n)]


def variants(rng: random.Random, words: list[str], n: int, count: int) -> list[list[str]]:
    """*count* distinct one-word variants of *words* (the same slot kind each time)."""
    kinds = slot_kinds(n)
    found: list[list[str]] = []
    while len(found) < count:
        position = rng.randrange(n)
        choice = rng.choice(SLOTS[kinds[position]])
        variant = list(words)
        variant[position] = choice
        if variant not in found:
            found.append(variant)
    return found


def balanced_row(rng: random.Random, n: int, negatives: int, foil: str) -> tuple[str, list[str]]:
    candidates = variants(rng, base_words(rng, n), n, negatives + 1)
    if foil == "negate":
        # Every candidate carries exactly one negation, so it is no cue.
        for words in candidates:
            words.insert(rng.randrange(len(words) + 1), "not")
    texts = [" ".join(words) for words in candidates]
    positive = texts.pop(rng.randrange(len(texts)))
    return positive, texts


def released_row(rng: random.Random, n: int, negatives: int, foil: str) -> tuple[str, list[str]]:
    words = base_words(rng, n)
    positive = " ".join(words)
    negs = []
    while len(negs) < negatives:
        variant = list(words)
        position = rng.randrange(n)
        if foil == "negate":
            variant.insert(position, rng.choice(["no", "not"]))
            text = " ".join(variant).capitalize() + "."
        elif foil == "atom":
            variant[position] = rng.choice(FOREIGN)
            text = " ".join(variant)
        else:
            other = rng.randrange(n)
            variant[position], variant[other] = variant[other], variant[position]
            text = " ".join(variant).capitalize()
        if text not in negs and normalized(text) != normalized(positive):
            negs.append(text)
    return positive, negs


ROW_MAKERS = {"balanced": balanced_row, "released": released_row}


def write_productivity_set(out, style: str, levels=range(4, 7), rows: int = 40,
                           foils=("atom", "swap", "negate"), negatives: int = 5,
                           seed: int = 0, images: int | None = None) -> Path:
    """Write ``out/productivity/{foil}/prod_vg_hard_negs_{foil}_complexity_{n}.csv``.

    *images* (default: one per row) bounds the number of distinct image ids.
    """
    out = Path(out)
    rng = random.Random(seed)
    make = ROW_MAKERS[style]
    for foil in foils:
        for n in levels:
            table = []
            for index in range(rows):
                positive, negs = make(rng, n, negatives, foil)
                image_id = index if images is None else index % images
                table.append({"image_id": 1000 * n + image_id, "caption": positive, "n": n,
                              "n_objects": n // 3 + 1, "n_relations": n // 3,
                              "n_attributes": n - 2 * (n // 3) - 1, "n_connected_components": 1,
                              "hard_negs": negs, "x": 1.0, "y": 2.0, "width": 30.0, "height": 40.0})
            write_csv_atomic(out / "productivity" / foil / f"prod_vg_hard_negs_{foil}_complexity_{n}.csv",
                             PRODUCTIVITY_COLUMNS, table)
    return out / "productivity"


def write_systematicity_file(path, rows: list[dict]) -> Path:
    """Write one systematicity CSV; rows need image_id, caption and the three lists."""
    full = [{"region_id": 10 * i, "x": 0.0, "y": 0.0, "width": 5.0, "height": 5.0, **row}
            for i, row in enumerate(rows)]
    write_csv_atomic(path, SYSTEMATICITY_COLUMNS, full)
    return Path(path)
