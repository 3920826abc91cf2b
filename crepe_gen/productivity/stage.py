"""The productivity set: subgraphs of complexity 4..12 with atom, swap and negate foils.

:func:`run_productivity` writes, in the released CREPE layout,
``OUT/productivity/{atom,swap,negate}/prod_vg_hard_negs_{type}_complexity_{n}.csv``
(columns :data:`COLUMNS`; ``hard_negs`` a Python-literal list; the box is the
union box of the subgraph's objects), a JSONL twin of every CSV with per-row
provenance (subgraph node and edge ids with names, attributes and predicates,
the positive scene, each foil's scene and edit, template style, seed), and the
``productivity`` section of ``OUT/manifest.json``.

How rows are made, per image (pure and seeded, so images can go to worker
processes in any grouping): for each foil type and level, subgraphs are drawn
(:mod:`crepe_gen.productivity.sampling`) until one admits enough valid foils
(:mod:`crepe_gen.productivity.negatives`) that all read fluently
(:func:`crepe_gen.language.fluency.fluent`: a fluency gap between positives
and foils is a text-only cue); each image gives at most ``rows_per_image``
rows per cell and never the same subgraph twice. Every image's work shares
the atom statistics of one first pass (:mod:`crepe_gen.productivity.weights`).
Rows are then balanced against a text-only classifier and kept in image
order, the same number in every (type, level) cell: ``per_level`` if given,
else as many as the sparsest cell holds (:mod:`crepe_gen.productivity.balancing`).

Bad input never stops a run: empty graphs, graphs too small for a level and
objects whose box has no area are skipped and counted in the manifest, and
so are negate rows that cannot get their foils at the crop (the reasons of
:data:`~crepe_gen.productivity.negatives.NEGATE_DROPS`; bad
records in the VG files follow the ``--lenient`` policy of
:class:`~crepe_gen.vg.reader.VisualGenome`). Finished chunks of images
are kept under ``OUT/productivity/.parts/KEY/`` until the run completes, so a
killed run resumes where it stopped; ``KEY`` (:func:`resume_key`) covers
everything the rows depend on (the VG files' contents, the images present,
the configuration with its seed, the code version), and saved chunks of any
other key are discarded before a chunk is reused.

Examples
--------
>>> import tempfile
>>> from crepe_gen.vg.reader import VisualGenome
>>> out = tempfile.mkdtemp()
>>> summary = run_productivity(VisualGenome(), out, ProductivityConfig(levels=(4, 5), per_level=3,
...                            max_images=30))
>>> summary["rows"]["swap"]
{'4': 3, '5': 3}
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import itertools
import json
import logging
import math
import random
import shutil
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from .captions import CAPTION_BACKENDS, scene_from_subgraph
from ..core.errors import ConfigError
from ..bench.writer import csv_text
from ..core.config import check_seed, config_from_mapping, config_from_yaml
from ..core.fingerprint import NOT_FINGERPRINTED, code_version, file_listing, fingerprint
from ..core.io import remove_unproduced, update_manifest, versions, write_jsonl_atomic, write_text_atomic
from ..core.lock import output_lock
from ..core.parallel import ExecutorConfig, TaskPool, shared_state
from ..language.fluency import fluent
from ..language.lexicon import LexiconConfig
from .balancing import balance_cells
from .negatives import FOIL_TYPES, NegativeConfig
from .sampling import SamplingConfig, sample_subgraph
from .prior import load_prior
from .weights import AtomStatistics, atom_statistics, plausibility_scorer
from ..vg.geometry import area
from ..vg.graph import union_box

__all__ = ["COLUMNS", "LEVELS", "STAGE_FORMAT", "ProductivityConfig", "output_path", "row_seed", "image_rows",
           "resume_key", "run_productivity"]

log = logging.getLogger(__name__)

COLUMNS = ["image_id", "caption", "n", "n_objects", "n_relations", "n_attributes",
           "n_connected_components", "hard_negs", "x", "y", "width", "height"]
LEVELS = tuple(range(4, 13))
#: Bump when the same inputs and configuration give other rows, so chunks
#: saved by older code are not reused.
STAGE_FORMAT = 1


@dataclass(frozen=True)
class ProductivityConfig:
    """Everything that decides the output (recorded in the manifest).

    ``per_level``: rows per level and foil type (None: as many as every cell
    can hold); ``max_images``: read at most this many images;
    ``vocabulary_images``: count the atom statistics (lexicon,
    compounds) over the first this many (None: all); ``workers``:
    processes (the output does not depend on it, nor does the fingerprint); ``style``: a caption style
    of the backend, or None to draw one per row; ``subgraph_attempts``: subgraphs drawn per cell
    and image; ``possible_attempts``: subgraphs drawn while the only rows found state something
    never seen possible (:meth:`~crepe_gen.productivity.weights.Plausibility.admits`; the first
    such row is kept when no other is found).

    ``balance_ranks``: choose atom and negate foils (among ``foil_candidates``
    per row) and swap rows so that a text-only n-gram classifier, cross-validated over
    ``classifier_folds`` folds grouped by image and refitted
    ``balance_rounds`` times on the choices, ranks the positive uniformly
    (:mod:`crepe_gen.textonly.balance`); rows a classifier retrained on the
    kept rows still solves are dropped (:mod:`crepe_gen.productivity.balancing`). With
    ``per_level``, atom and swap cells gather ``balance_surplus`` times as many
    rows to choose from. ``prior_model``: a language-model spec
    (``gemma3-270m``, a GGUF path, or ``URL,MODEL``) whose scores of short
    compounds replace the statistics score when atom and swap rows are chosen
    by plausibility rank (:mod:`crepe_gen.productivity.prior`; scores cached
    in the user cache folder); None: the statistics score alone.
    """

    levels: tuple[int, ...] = LEVELS
    foil_types: tuple[str, ...] = ("atom", "swap", "negate")
    negatives: int = 5
    per_level: int | None = None
    rows_per_image: int = 1
    seed: int = 0
    caption_backend: str = "template"
    style: str | None = None
    max_images: int | None = None
    subgraph_attempts: int = 12
    possible_attempts: int = 36
    workers: int = field(default=1, metadata=NOT_FINGERPRINTED)
    chunk_size: int = 32
    wave_chunks: int = 8
    vocabulary_images: int | None = None
    balance_ranks: bool = True
    foil_candidates: int = 10
    classifier_folds: int = 5
    balance_rounds: int = 2
    balance_surplus: float = 1.5
    prior_model: str | None = None
    sampling: SamplingConfig = SamplingConfig()
    lexicon: LexiconConfig = LexiconConfig()
    foils: NegativeConfig = NegativeConfig()

    def __post_init__(self):
        unknown = [t for t in self.foil_types if t not in FOIL_TYPES]
        if unknown:
            raise ConfigError(f"unknown foil type(s) {unknown}; choose from {sorted(FOIL_TYPES)}")
        if self.caption_backend not in CAPTION_BACKENDS:
            raise ConfigError(f"unknown caption backend {self.caption_backend!r}; "
                              f"choose from {sorted(CAPTION_BACKENDS)}")
        if not self.levels or min(self.levels) < 1:
            raise ConfigError("levels must be positive integers")
        if min(self.negatives, self.rows_per_image, self.chunk_size, self.wave_chunks, self.workers) < 1:
            raise ConfigError("negatives, rows_per_image, chunk_size, wave_chunks and workers must be at least 1")
        for name in ("per_level", "max_images", "vocabulary_images"):  # None means "all"
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1 (or left out for all), got {getattr(self, name)}")
        check_seed(self.seed)
        if self.balance_surplus < 1 or self.foil_candidates < self.negatives:
            raise ConfigError("balance_surplus must be at least 1 and foil_candidates at least negatives")
        object.__setattr__(self, "levels", tuple(int(n) for n in self.levels))
        object.__setattr__(self, "foil_types", tuple(self.foil_types))
        candidates = self.foil_candidates if self.balance_ranks else 0
        given = (self.foils.negatives, self.foils.candidates)
        if given not in ((self.negatives, candidates), (NegativeConfig.negatives, NegativeConfig.candidates)):
            raise ConfigError(f"foils: negatives and candidates ({given[0]}, {given[1]}) follow the top-level "
                              f"negatives and foil_candidates; set those instead")
        if given != (self.negatives, candidates):
            object.__setattr__(self, "foils", replace(self.foils, negatives=self.negatives,
                                                      candidates=candidates))

    @classmethod
    def from_yaml(cls, path, **overrides) -> "ProductivityConfig":
        """Read a YAML mapping of the fields above (nested ``sampling``,
        ``lexicon``, ``foils``); *overrides* that are not None win."""
        return config_from_yaml(cls, path, what="productivity config", overrides=overrides)

    @classmethod
    def from_dict(cls, data: dict, source: str = "config") -> "ProductivityConfig":
        """The config of a mapping of the fields above; faults name *source*.

        >>> ProductivityConfig.from_dict({"levels": [4, 5], "sampling": {}}).levels
        (4, 5)
        """
        return config_from_mapping(cls, data, str(source))

    def rows_wanted(self, foil_type: str) -> int | None:
        """Rows to gather for a cell of *foil_type* before balancing (None: all)."""
        if self.per_level is None:
            return None
        if self.balance_ranks and foil_type in ("atom", "swap", "negate"):
            return math.ceil(self.per_level * self.balance_surplus)
        return self.per_level

    def to_dict(self) -> dict:
        """Every field as plain data (the manifest's ``config``)."""
        data = asdict(self)
        data["levels"], data["foil_types"] = list(self.levels), list(self.foil_types)
        return data

    def fingerprint(self) -> str:
        """Hash of everything that decides the rows (every field but ``workers``)."""
        return fingerprint(self)


def output_path(out_dir, foil_type: str, n: int, suffix: str = ".csv") -> Path:
    """``OUT/productivity/{type}/prod_vg_hard_negs_{type}_complexity_{n}.csv`` (or its *suffix* twin).

    >>> output_path("out", "swap", 4, ".jsonl").as_posix()
    'out/productivity/swap/prod_vg_hard_negs_swap_complexity_4.jsonl'
    """
    return Path(out_dir) / "productivity" / foil_type / f"prod_vg_hard_negs_{foil_type}_complexity_{n}{suffix}"


def row_seed(seed: int, image_id: int, foil_type: str, n: int) -> int:
    """The seed of one (image, type, level) cell: independent of any other cell.

    >>> row_seed(0, 1, "atom", 4) == row_seed(0, 1, "atom", 4) != row_seed(0, 1, "atom", 5)
    True
    """
    digest = hashlib.sha256(f"{seed}:{image_id}:{foil_type}:{n}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


# -- per image ------------------------------------------------------------------------------
def image_rows(graph, statistics: AtomStatistics, config: ProductivityConfig, cells=None) -> tuple[list, dict]:
    """Rows of one image: ``([(foil type, n, csv row, provenance), ...], {reason: count})``.

    *cells*: the ``(foil type, n)`` pairs still wanted (default: all).
    """
    skipped = collections.Counter()
    image_id = graph.graph["image_id"]
    if graph.number_of_nodes() == 0:
        skipped["empty graph"] += 1
        return [], dict(skipped)
    # The reader rejects NaN, infinite and negative boxes; VG's zero-size ones cannot be cropped.
    flat = {o for o, node in graph.nodes(data=True) if area((node["x"], node["y"], node["w"], node["h"])) == 0}
    if flat:
        skipped["objects whose box has no area"] += len(flat)
        graph = graph.subgraph([o for o in graph.nodes if o not in flat]).copy()
    backend = CAPTION_BACKENDS[config.caption_backend]()
    plausibility = plausibility_scorer(statistics, graph)
    used: set = set()
    rows = []
    for foil_type in config.foil_types:
        make_foils = FOIL_TYPES[foil_type]
        for n in config.levels:
            if cells is not None and (foil_type, n) not in cells:
                continue
            made = 0
            seed = row_seed(config.seed, image_id, foil_type, n)
            rng = random.Random(seed)
            fallback = None  # a row stating something never seen possible: kept only if no other is found
            for attempt in range(max(config.subgraph_attempts, config.possible_attempts)):
                if made >= config.rows_per_image or (attempt >= config.subgraph_attempts and fallback is None):
                    break
                # Later attempts let unconnected objects in: some levels (a swap
                # at n=4) have too few atoms for enough foils when connected.
                mode = "connected_first" if attempt < config.subgraph_attempts // 2 else "mixed"
                sub = sample_subgraph(graph, n, rng, config.sampling, exclude=used, mode=mode)
                if sub is None:
                    skipped[f"graph too small for level {n}"] += 1
                    break
                style = config.style or rng.choice(backend.styles)
                scene = scene_from_subgraph(graph, sub)
                box = union_box(graph, sub.objects)
                kwargs = {"plausibility": plausibility}
                if foil_type == "negate":
                    kwargs.update(box=box, skipped=skipped)
                result = make_foils(graph, scene, statistics.lexicon, rng, config.foils,
                                    renderer=lambda s, style=style: backend.render(s, style), **kwargs)
                if result is None:
                    continue
                positive, foils = result
                captions = backend.render_row(positive, [f for f, _ in foils], [e for _, e in foils], style)
                if not all(fluent(text) for text in captions[1:]):
                    skipped[f"{foil_type} foil not fluent"] += 1
                    continue
                provenance = _provenance(graph, sub, scene, positive, foils, captions, style, seed, foil_type,
                                         config.caption_backend, plausibility)
                row = (foil_type, n, _csv_row(image_id, sub, captions, box), provenance)
                if not provenance["possible"]:
                    fallback = fallback or (row, sub.key)
                    continue
                used.add(sub.key)
                made += 1
                rows.append(row)
            if made < config.rows_per_image and fallback is not None:
                used.add(fallback[1])
                made += 1
                rows.append(fallback[0])
            if made == 0:
                skipped[f"no valid {foil_type} foils"] += 1
    return rows, dict(skipped)


def _csv_row(image_id, sub, captions, box) -> dict:
    x, y, width, height = box
    return {"image_id": image_id, "caption": captions[0], "n": sub.n, "n_objects": sub.n_objects,
            "n_relations": sub.n_relations, "n_attributes": sub.n_attributes,
            "n_connected_components": sub.n_connected_components, "hard_negs": list(captions[1:]),
            "x": x, "y": y, "width": width, "height": height}


def _provenance(graph, sub, scene, positive, foils, captions, style, seed, foil_type, backend,
                plausibility) -> dict:
    nodes = [{"id": o, "name": graph.nodes[o]["name"], "label": graph.nodes[o]["label"],
              "synsets": list(graph.nodes[o]["synsets"]),
              "attributes": [a for obj, a in sub.attributes if obj == o]} for o in sub.objects]
    edges = [{"id": k, "subject": s, "object": o, "predicate": graph.edges[s, o, k]["predicate"],
              "label": graph.edges[s, o, k]["label"]} for s, o, k in sub.relations]
    return {"image_id": sub.image_id, "foil_type": foil_type, "n": sub.n, "seed": seed,
            "backend": backend, "template": style, "subgraph": {"nodes": nodes, "edges": edges},
            "positive": {"caption": captions[0], "scene": positive.to_dict()},
            "negatives": [{"caption": text, "scene": scene.to_dict(), "edit": edit.to_dict()}
                          for text, (scene, edit) in zip(captions[1:], foils)],
            # the text-only plausibility of the positive and each foil (balancing draws its rank uniformly)
            "plausibility": [round(plausibility(scene), 6) for scene in [positive, *(f for f, _ in foils)]],
            # whether every relation and attribute binding a candidate states that the subgraph does
            # not is seen possible (rows are made and chosen with such rows first)
            "possible": all(plausibility.admits(candidate, scene) for candidate in [positive, *(f for f, _ in foils)]),
            # how many foils state anew only relations seen whole (balancing prefers more)
            "attested": plausibility.attested_candidates([f for f, _ in foils], scene)}


# -- the run -------------------------------------------------------------------------------
def _chunk_job(task):
    """Rows of one chunk of images (in a worker of the pool): read from its
    part file when a killed run already wrote it, else made and written there."""
    graphs, part, cells = task
    part = Path(part)
    if part.exists():
        try:
            return {**_read_part(part), "resumed": True}
        except (ValueError, KeyError, TypeError, OSError):  # written atomically, so damaged by hand or disk
            log.warning("discarding the damaged saved chunk %s; making it again", part)
            part.unlink(missing_ok=True)
    state = shared_state()
    rows, skipped = [], collections.Counter()
    for graph in graphs:
        image_rows_, image_skipped = image_rows(graph, state["statistics"], state["config"], cells)
        rows.extend(image_rows_)
        skipped.update(image_skipped)
    result = {"rows": rows, "skipped": dict(skipped), "images": len(graphs)}
    write_text_atomic(part, json.dumps(result, sort_keys=True) + "\n")
    return result


def resume_key(config: ProductivityConfig, input_hashes: dict, images_dir=None, lenient: bool = False) -> str:
    """The key of a run's saved chunks: the configuration (seed included),
    the VG files' hashes, the images present in *images_dir* (rows are made
    only for those), the leniency and the code version.

    >>> resume_key(ProductivityConfig(), {"scene_graphs.json": "ab"}) != resume_key(
    ...     ProductivityConfig(), {"scene_graphs.json": "cd"})
    True
    """
    return fingerprint("productivity", code_version("productivity", STAGE_FORMAT), config, input_hashes,
                       file_listing(images_dir, "**/*.jpg"), lenient)


def _parts_dir(out_dir: Path, key: str) -> Path:
    """``OUT/productivity/.parts/KEY``, after discarding chunks saved under other keys."""
    root = out_dir / "productivity" / ".parts"
    stale = sorted(p for p in root.glob("*") if p.name != key) if root.is_dir() else []
    if stale:
        log.warning("discarding %d saved chunk folder(s) of %s made from other inputs, configuration "
                    "or code; rebuilding", len(stale), root)
        for path in stale:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    return root / key


def _read_part(path: Path) -> dict:
    result = json.loads(path.read_text(encoding="utf-8"))
    result["rows"] = [tuple(row) for row in result["rows"]]
    return result


def _batches(iterable, size: int):
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _count_atoms(vg, config: ProductivityConfig, images_dir, progress: bool, sources: dict) -> AtomStatistics:
    graphs = _graphs(vg, config, images_dir)
    if config.vocabulary_images is not None:
        graphs = itertools.islice(graphs, config.vocabulary_images)
    statistics = atom_statistics(tqdm(graphs, desc="atom statistics", unit=" images", disable=not progress),
                                 config.lexicon, aliases=vg.canon.alias_groups, sources=sources)
    log.info("atom statistics: %d names, %d attributes, %d predicates over %d images",
             len(statistics.lexicon.object_counts), len(statistics.lexicon.attribute_counts),
             len(statistics.lexicon.predicate_counts), statistics.images)
    return statistics


def _gather_rows(vg, statistics: AtomStatistics, config: ProductivityConfig, images_dir, parts_dir: Path,
                 progress: bool) -> tuple[dict, collections.Counter, int]:
    """``({(foil type, n): [(csv row, provenance), ...]}, skipped, images read)``.

    Images go in waves of ``wave_chunks`` chunks of ``chunk_size`` images
    (spread over the workers); between waves, cells that already hold the
    rows wanted are no longer asked for."""
    cells = {(t, n): [] for t in config.foil_types for n in config.levels}
    skipped = collections.Counter()
    images = 0

    def wanted() -> frozenset:
        if config.per_level is None:
            return frozenset(cells)
        return frozenset(cell for cell, rows in cells.items() if len(rows) < config.rows_wanted(cell[0]))

    executor = ExecutorConfig("local", workers=config.workers)
    chunk_index, resumed = 0, 0
    with TaskPool(executor, shared={"statistics": statistics, "config": config}) as pool, \
            tqdm(desc="productivity", unit=" images", total=_images_to_read(vg, config), disable=not progress) as bar:
        for wave in _batches(_batches(_graphs(vg, config, images_dir), config.chunk_size), config.wave_chunks):
            needed = wanted()
            if not needed:
                break
            tasks = []
            for graphs in wave:
                tasks.append((graphs, str(parts_dir / f"chunk_{chunk_index:06d}.json"), needed))
                chunk_index += 1
            for result in pool.map(_chunk_job, tasks):
                for foil_type, n, csv_row, provenance in result["rows"]:
                    cells[(foil_type, n)].append((csv_row, provenance))
                skipped.update(result["skipped"])
                images += result["images"]
                resumed += result.get("resumed", False)
                bar.update(result["images"])
    if resumed:
        log.warning("resumed: %d chunk(s) of images reused from an earlier run killed in %s", resumed, parts_dir)
    return cells, skipped, images


def _images_to_read(vg, config: ProductivityConfig) -> int | None:
    """The most images the run may read (the bar's total): ``max_images``, else
    the images of ``image_data.json`` (None when absent). Cells may fill sooner."""
    bounds = [n for n in (config.max_images, len(vg.images())) if n]
    return min(bounds) if bounds else None


def _write_cells(out_dir: Path, kept_cells: dict, config: ProductivityConfig) -> dict:
    """Write every cell's CSV and JSONL, and remove the cells of earlier runs that this one does not make."""
    counts: dict = {t: {} for t in config.foil_types}
    written = []
    for (foil_type, n), kept in kept_cells.items():
        written += [output_path(out_dir, foil_type, n), output_path(out_dir, foil_type, n, ".jsonl")]
        write_text_atomic(written[-2], csv_text(COLUMNS, [r for r, _ in kept]))
        write_jsonl_atomic(written[-1], ({"row": index, **csv_row, "provenance": provenance}
                                         for index, (csv_row, provenance) in enumerate(kept)))
        counts[foil_type][str(n)] = len(kept)
    remove_unproduced(out_dir / "productivity", written, [output_path(".", "*", "*", suffix).relative_to(
        "productivity").as_posix() for suffix in (".csv", ".jsonl")])
    return counts


def run_productivity(vg, out_dir, config: ProductivityConfig = ProductivityConfig(),
                     images_dir=None, progress: bool = False, llm=None, llm_dry_run: bool = False) -> dict:
    """Generate the productivity set of *vg* into *out_dir*; return the manifest section.

    *images_dir*, when given, restricts rows to images whose JPEG is there.

    *llm* (a :class:`crepe_gen.llm.config.LLMConfig`) rewrites the kept rows' template
    texts fluently through an OpenAI-compatible endpoint (:func:`crepe_gen.productivity.rewording.rewrite_cells`:
    validated, whole rows or nothing); its counts go to the section's ``llm``
    entry. With *llm_dry_run* no request is sent and no benchmark file written
    (only the resumable template parts): the section holds only
    ``llm_estimate``, the requests and tokens the pass would spend.

    The steps: count the atom statistics (:mod:`crepe_gen.productivity.weights`),
    gather rows image by image in waves (which depend only on the
    configuration, so the output does not depend on ``workers``), balance
    them (:mod:`crepe_gen.productivity.balancing`), write the cells.
    """
    out_dir = Path(out_dir)
    with output_lock(out_dir):
        return _run(vg, out_dir, config, images_dir, progress, llm, llm_dry_run)


def _run(vg, out_dir: Path, config: ProductivityConfig, images_dir, progress: bool, llm, llm_dry_run: bool):
    input_hashes = vg.input_hashes()
    parts_dir = _parts_dir(out_dir, resume_key(config, input_hashes, images_dir, vg.lenient))
    sources = vg.image_sources()  # copies of one scene (a synthetic folder): counted and folded as one
    statistics = _count_atoms(vg, config, images_dir, progress, sources)
    bad_records = dict(vg.problems.counts)  # the second pass over the same files would count them again
    cells, skipped, images = _gather_rows(vg, statistics, config, images_dir, parts_dir, progress)

    if sources:
        for rows in cells.values():
            for _, provenance in rows:
                provenance["source_image_id"] = sources.get(provenance["image_id"], provenance["image_id"])
    prior = load_prior(config.prior_model) if config.prior_model else None
    kept_cells, balance_section = balance_cells(cells, config, prior, progress)
    llm_section = None
    if llm is not None:
        from .rewording import cells_estimate, rewrite_cells

        if llm_dry_run:
            return {"llm_estimate": dataclasses.asdict(cells_estimate(kept_cells, llm))}
        kept_cells, llm_section = rewrite_cells(kept_cells, llm, statistics.lexicon, progress=progress)
    counts = _write_cells(out_dir, kept_cells, config)
    skipped.update({f"VG record: {reason}": count for reason, count in bad_records.items()})
    section = {"config": config.to_dict(), "seed": config.seed, "inputs": input_hashes,
               "vg_root": str(vg.root), "images_dir": str(images_dir) if images_dir else None,
               "versions": versions("networkx", "wn", "pyyaml"),
               "images_read": images, "vocabulary_images": statistics.images,
               "rows": counts, "rows_available": {f"{t}/{n}": len(r) for (t, n), r in sorted(cells.items())},
               "balance": balance_section,
               "skipped": dict(sorted(skipped.items()))}
    if llm_section is not None:
        section["llm"] = llm_section
    update_manifest(out_dir, "productivity", section)
    shutil.rmtree(out_dir / "productivity" / ".parts", ignore_errors=True)
    return section


def _graphs(vg, config: ProductivityConfig, images_dir):
    from ..vg.reader import image_path

    graphs = vg.scene_graphs()
    if images_dir is not None:
        graphs = (g for g in graphs if image_path(images_dir, g.graph["image_id"], g.graph["folder"]))
    if config.max_images is not None:
        graphs = itertools.islice(graphs, config.max_images)
    return graphs
