"""Evaluate a model on a CREPE-format benchmark folder (the CREPE protocol).

Each row becomes one item per foil type: its candidates are the positive
caption followed by its negatives. The image is cropped to the row's box
``(x, y, width, height)`` and the model scores every candidate (for
open_clip, the cosine similarity of image and text embeddings). An item's
standing is ``(above, tied)``: the negatives scoring above the positive and
those scoring the same. Ties are broken at random in expectation, the one
tie policy of the audit, the evaluation and the card
(:func:`~crepe_gen.textonly.classifier.rank_with_ties`): a positive tied
with one negative at the top counts half a hit. Tied items are counted and
reported. Recall@1/3/5, mean and median rank are reported overall, by foil
type, by level (productivity) and by split (systematicity), each with a
seeded bootstrap 95% confidence interval.

Files are recognized by their released names and read by
:func:`crepe_gen.bench.reader.load_benchmark`, in a build's layout
(``productivity/{type}/prod_vg_hard_negs_{type}_complexity_{n}.csv``,
``systematicity/syst_vg_hard_negs_{seen|unseen}_compounds_in_{corpus}.csv``)
or the released download's (``{type}/...`` at the top).

Examples
--------
>>> import numpy as np
>>> item_rank(np.array([0.5, 0.9, 0.1])), item_rank(np.array([0.5, 0.5, 0.1]))
((1, 0), (0, 1))
>>> group = bootstrap_metrics(np.array([0, 0, 1, 5]), np.array([0, 1, 0, 0]), ks=(1, 3), n_bootstrap=200)
>>> group["recall@1"]["value"], group["mean_rank"]["value"], group["median_rank"]["value"]
(0.375, 2.625, 1.75)
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..core.errors import ConfigError, InputError
from ..core.config import check_seed
from ..bench.reader import Item, load_benchmark
from ..bench.writer import csv_text
from ..core.io import portable_path, versions, write_json_atomic, write_text_atomic
from ..core.fingerprint import code_version, file_digest, file_listing, fingerprint
from ..textonly.classifier import expected_recall, rank_with_ties
from ..core.lock import output_lock
from ..vg.reader import image_path

__all__ = ["EvalConfig", "GROUPINGS", "item_rank", "find_images", "crop_box", "rank_items", "bootstrap_metrics",
           "summarize", "flat_rows", "evaluate", "default_out", "write_results", "read_results"]

log = logging.getLogger(__name__)

#: Bump when the same model, images and benchmark file give other ranks, so
#: cached ranks of older code are not reused.
RANKS_FORMAT = 2

# -- ranking ---------------------------------------------------------------------

def item_rank(scores: np.ndarray) -> tuple[int, int]:
    """``(above, tied)`` of the positive ``scores[0]``
    (:func:`~crepe_gen.textonly.classifier.rank_with_ties`, the audit's tie policy)."""
    return rank_with_ties([float(score) for score in scores])


def find_images(image_ids, images_dir) -> dict[int, Path]:
    """``{image_id: path}``; raises :class:`InputError` listing any missing ids."""
    if images_dir is None:
        raise InputError("--images", "this model needs images: give the VG image folder")
    paths, missing = {}, []
    wanted = sorted(set(image_ids))
    for image_id in wanted:
        path = image_path(images_dir, image_id)
        if path is None:
            missing.append(image_id)
        else:
            paths[image_id] = path
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (", ..." if len(missing) > 20 else "")
        raise InputError(images_dir, f"{len(missing)} of {len(wanted)} images not found (as {{id}}.jpg in VG_100K/ "
                                     f"or VG_100K_2/): ids {shown}")
    return paths


@functools.lru_cache(maxsize=16)
def _open_image(path: Path):
    from PIL import Image

    with Image.open(path) as image:
        return image.convert("RGB")


def crop_box(image, box) -> "object":
    """*image* cropped to ``(x, y, width, height)``, clamped to the image;
    the whole image when the box falls outside it.

    >>> from PIL import Image
    >>> crop_box(Image.new("RGB", (100, 50)), (10.5, 5, 20, 100)).size
    (21, 45)
    """
    x, y, width, height = box
    left, top = max(0, math.floor(x)), max(0, math.floor(y))
    right, bottom = min(image.width, math.ceil(x + width)), min(image.height, math.ceil(y + height))
    if right <= left or bottom <= top:
        log.warning("box %s lies outside the %dx%d image; using the whole image", box, *image.size)
        return image
    return image.crop((left, top, right, bottom))


@dataclass(frozen=True)
class EvalConfig:
    """How to evaluate: batch size, bootstrap resamples, seed and recall cut-offs."""

    batch_size: int = 32
    n_bootstrap: int = 1000
    seed: int = 0
    ks: tuple[int, ...] = (1, 3, 5)

    def __post_init__(self):
        if self.batch_size < 1 or self.n_bootstrap < 1 or not self.ks:
            raise ConfigError(f"invalid evaluation config {self}")
        check_seed(self.seed)


def rank_items(items: list[Item], adapter, images_dir=None, config: EvalConfig = EvalConfig(),
               *, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(above, tied)`` counts of each of *items* under *adapter* (:func:`item_rank`), in the items' order."""
    paths = find_images([item.image_id for item in items], images_dir) if adapter.needs_images else {}
    ranks = np.zeros(len(items), dtype=np.int64)
    ties = np.zeros(len(items), dtype=np.int64)
    # Items of one image are scored together so each JPEG is decoded once.
    order = sorted(range(len(items)), key=lambda i: (items[i].image_id, i))
    bar = tqdm(total=len(items), desc=f"eval {adapter.spec}", unit="item", disable=not progress)
    for start in range(0, len(order), config.batch_size):
        batch = order[start:start + config.batch_size]
        images = None
        if adapter.needs_images:
            images = [crop_box(_open_image(paths[items[i].image_id]), items[i].box) for i in batch]
        scores = adapter.score(images, [items[i].candidates for i in batch])
        for i, item_scores in zip(batch, scores):
            ranks[i], ties[i] = item_rank(np.asarray(item_scores))
        bar.update(len(batch))
    bar.close()
    return ranks, ties


# -- metrics ---------------------------------------------------------------------

def _stable_seed(*parts) -> int:
    """The bootstrap seed of one group (its formula decides the published intervals: keep it)."""
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def bootstrap_metrics(above: np.ndarray, tied=None, *, ks=(1, 3, 5), n_bootstrap: int = 1000, seed=0) -> dict:
    """Recall@k, mean and median rank of positives ranked ``(above, tied)``
    (:func:`item_rank`; *tied* None: no ties), ties broken at random in
    expectation (Recall@k is the expected value, the mean rank ``above + 1 +
    tied / 2``), each with a bootstrap 95% interval.

    Resampling items with replacement is the same as drawing a multinomial
    over the distinct ``(above, tied)`` pairs, which needs memory for the
    distinct pairs only, however many items there are.

    >>> bootstrap_metrics([0, 0], [1, 0], ks=(1,), n_bootstrap=10)["recall@1"]["value"]
    0.75
    """
    above = np.asarray(above, dtype=np.int64)
    tied = np.zeros_like(above) if tied is None else np.asarray(tied, dtype=np.int64)
    pairs, counts = np.unique(np.stack([above, tied], axis=1), axis=0, return_counts=True)
    n = len(above)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, counts / n, size=n_bootstrap) / n
    result = {}
    for k in ks:
        credit = expected_recall(pairs[:, 0], pairs[:, 1], k)
        result[f"recall@{k}"] = _interval(float(counts @ credit / n), draws @ credit)
    rank = pairs[:, 0] + 1 + pairs[:, 1] / 2
    result["mean_rank"] = _interval(float(counts @ rank / n), draws @ rank)
    result["median_rank"] = _interval(float(np.median(above + 1 + tied / 2)), _weighted_medians(rank, draws))
    return result


def _weighted_medians(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The median of *values* under each row of *weights* (shares summing to 1)."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[:, order], axis=1)
    return values[order][np.argmax(cumulative >= 0.5, axis=1)]


def _interval(point: float, sample: np.ndarray) -> dict:
    low, high = np.percentile(sample, [2.5, 97.5])
    return {"value": round(point, 6), "ci_low": round(float(low), 6), "ci_high": round(float(high), 6)}


#: The groupings reported: name -> the item fields that key a group.
GROUPINGS: dict[str, tuple[str, ...]] = {
    "task": ("task",),
    "foil": ("task", "foil"),
    "level": ("task", "foil", "level"),
    "split": ("task", "split"),
    "split_foil": ("task", "split", "foil"),
}


def summarize(items: list[Item], ranks: np.ndarray, ties: np.ndarray,
              config: EvalConfig = EvalConfig()) -> list[dict]:
    """One metrics row per group of every grouping in :data:`GROUPINGS`."""
    chance = np.array([1.0 / len(item.candidates) for item in items])
    rows = []
    for grouping, fields in GROUPINGS.items():
        groups: dict[tuple, list[int]] = {}
        for index, item in enumerate(items):
            key = tuple(getattr(item, name) for name in fields)
            if None not in key:
                groups.setdefault(key, []).append(index)
        for key in sorted(groups):
            index = np.array(groups[key])
            row = {"grouping": grouping, "task": None, "foil": None, "level": None, "split": None}
            row.update(dict(zip(fields, key)))
            row["items"] = int(len(index))
            row["ties"] = int((ties[index] > 0).sum())
            row["chance_recall@1"] = round(float(chance[index].mean()), 6)
            row.update(bootstrap_metrics(ranks[index], ties[index], ks=config.ks, n_bootstrap=config.n_bootstrap,
                                         seed=_stable_seed(config.seed, grouping, key)))
            rows.append(row)
    return rows


def flat_rows(groups: list[dict]) -> tuple[list[str], list[dict]]:
    """Groups flattened for CSV: ``recall@1``, ``recall@1_low``, ``recall@1_high``, ..."""
    columns, rows = [], []
    for group in groups:
        flat = {}
        for key, value in group.items():
            if isinstance(value, dict):
                flat[key], flat[f"{key}_low"], flat[f"{key}_high"] = \
                    value["value"], value["ci_low"], value["ci_high"]
            else:
                flat[key] = "" if value is None else value
        columns = columns or list(flat)
        rows.append(flat)
    return columns, rows


# -- the whole evaluation -----------------------------------------------------------

def _cache_path(cache_dir: Path, model: list, bench_file: Path) -> Path:
    """The ranks cache of one file: keyed by *model* (what decides the ranks
    besides the file: spec, seed, images present, code version) and the file's bytes."""
    return cache_dir / f"{bench_file.stem}.{fingerprint(model, file_digest(bench_file), length=16)}.json"


def evaluate(bench_dir, adapter, images_dir=None, config: EvalConfig = EvalConfig(), *,
             cache_dir=None, lenient: bool = False, progress: bool = False) -> dict:
    """Evaluate *adapter* on every item of *bench_dir*; returns the results dict.

    With *cache_dir*, each file's ranks are saved as it finishes, keyed by
    the model (spec, seed), the images present, the code version and the
    file's hash, so a killed run resumes where it stopped; the folder
    holding *cache_dir* (where results go) is held for the run
    (:func:`crepe_gen.core.lock.output_lock`).
    """
    if cache_dir is None:
        return _evaluate(bench_dir, adapter, images_dir, config, None, lenient, progress)
    with output_lock(Path(cache_dir).parent):
        return _evaluate(bench_dir, adapter, images_dir, config, Path(cache_dir), lenient, progress)


def _evaluate(bench_dir, adapter, images_dir, config: EvalConfig, cache_dir: Path | None, lenient: bool,
              progress: bool) -> dict:
    bench_dir = Path(bench_dir)
    items, problems = load_benchmark(bench_dir, lenient=lenient)
    if adapter.needs_images:
        find_images([item.image_id for item in items], images_dir)  # fail before any work
    ranks = np.zeros(len(items), dtype=np.int64)
    ties = np.zeros(len(items), dtype=np.int64)
    by_file: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        by_file.setdefault(item.file, []).append(index)
    model = [adapter.spec, getattr(adapter, "seed", None), code_version("eval", RANKS_FORMAT),
             file_listing(images_dir, "**/*.jpg") if adapter.needs_images else None]
    for file, index in tqdm(sorted(by_file.items()), desc="files", unit="file", disable=not progress):
        cache = _cache_path(cache_dir, model, bench_dir / file) if cache_dir else None
        if cache is not None and cache.exists():
            try:
                saved = json.loads(cache.read_text(encoding="utf-8"))
                ranks[index], ties[index] = saved["ranks"], saved["ties"]
                continue
            except (ValueError, KeyError, TypeError):  # damaged by hand or disk: ranked again
                log.warning("discarding the damaged saved ranks %s; ranking the file again", cache)
        file_ranks, file_ties = rank_items([items[i] for i in index], adapter, images_dir, config)
        ranks[index], ties[index] = file_ranks, file_ties
        if cache is not None:
            write_json_atomic(cache, {"ranks": file_ranks.tolist(), "ties": file_ties.tolist()})
    manifest = bench_dir / "manifest.json"
    return {
        "model": adapter.spec,
        "bench": str(bench_dir),
        "bench_manifest_sha256": file_digest(manifest) if manifest.exists() else None,
        "config": asdict(config),
        "versions": versions("numpy", "open_clip_torch", "torch"),
        "items": len(items),
        "ties": int((ties > 0).sum()),
        "skipped_rows": problems.total,
        "groups": summarize(items, ranks, ties, config),
    }


def default_out(bench, spec: str) -> Path:
    """Where the results of model *spec* on *bench* go: ``BENCH/eval/{spec}.json``,
    with ``/`` and ``:`` made safe for a file name.

    >>> default_out("OUT", "open_clip:ViT-B-32:laion2b").as_posix()
    'OUT/eval/open_clip__ViT-B-32__laion2b.json'
    """
    return Path(bench) / "eval" / (spec.replace("/", "_").replace(":", "__") + ".json")


def write_results(results: dict, out_json) -> tuple[Path, Path]:
    """Write *results* as JSON and its groups as CSV (same stem); atomically."""
    out_json = Path(out_json)
    out_csv = out_json.with_suffix(".csv")
    bench = results["bench"]
    write_json_atomic(out_json, {**results, "bench": portable_path(bench, out_json.parent, bench)})
    columns, rows = flat_rows(results["groups"])
    write_text_atomic(out_csv, csv_text(columns, rows))
    return out_json, out_csv


def read_results(path) -> dict:
    """Results written by :func:`write_results`."""
    try:
        results = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(path, f"cannot read evaluation results ({error})") from error
    if not isinstance(results, dict) or "groups" not in results:
        raise InputError(path, "not an evaluation results file (no 'groups')")
    return results
