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
(:mod:`crepe_gen.productivity.negatives`); each image gives at most ``rows_per_image``
rows per cell and never the same subgraph twice. Rows are then kept in image
order, the same number in every (type, level) cell: ``per_level`` if given,
else as many as the sparsest cell holds.

Bad input never stops a run: empty graphs, graphs too small for a level and
objects without a usable box are skipped and counted in the manifest (bad
records in the VG files follow the ``--lenient`` policy of
:class:`~crepe_gen.vg.reader.VisualGenome`). Finished chunks of images
are kept under ``OUT/productivity/.parts/`` until the run completes, so a
killed run resumes where it stopped.

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
import multiprocessing
import random
import shutil
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from tqdm import tqdm

from .captions import CAPTION_BACKENDS, scene_from_subgraph
from ..textonly.balance import select_by_rank, text_classifier_scores
from ..core.errors import ConfigError
from ..core.config import read_yaml_mapping
from ..core.io import (csv_text, update_manifest, versions, write_jsonl_atomic,
                 write_text_atomic)
from ..language.lexicon import AtomTally, Lexicon, LexiconConfig, is_concrete, is_lemma, predicate_phrase
from .negatives import FOIL_TYPES, NegativeConfig
from .sampling import SamplingConfig, sample_subgraph, usable_name
from ..vg.graph import union_box

log = logging.getLogger(__name__)

COLUMNS = ["image_id", "caption", "n", "n_objects", "n_relations", "n_attributes",
           "n_connected_components", "hard_negs", "x", "y", "width", "height"]
LEVELS = tuple(range(4, 13))


@dataclass(frozen=True)
class ProductivityConfig:
    """Everything that decides the output (recorded in the manifest).

    ``per_level``: rows per level and foil type (None: as many as every cell
    can hold); ``max_images``: read at most this many images;
    ``vocabulary_images``: count the lexicon over the first this many (None: all); ``workers``:
    processes (the output does not depend on it); ``style``: a caption style
    of the backend, or None to draw one per row.

    ``balance_ranks``: choose atom foils (among ``atom_candidates`` per row)
    and swap rows so that a text-only n-gram classifier, cross-validated over
    ``classifier_folds`` folds grouped by image and refitted
    ``balance_rounds`` times on the choices, ranks the positive uniformly
    (:mod:`crepe_gen.textonly.balance`). With ``per_level``, atom and swap cells
    gather ``balance_surplus`` times as many rows to choose from.
    """

    levels: tuple = LEVELS
    foil_types: tuple = ("atom", "swap", "negate")
    negatives: int = 5
    per_level: int | None = None
    rows_per_image: int = 1
    seed: int = 0
    caption_backend: str = "template"
    style: str | None = None
    max_images: int | None = None
    subgraph_attempts: int = 12
    negation_min_images: int = 2
    workers: int = 1
    chunk_size: int = 32
    wave_chunks: int = 8
    vocabulary_images: int | None = None
    balance_ranks: bool = True
    atom_candidates: int = 10
    classifier_folds: int = 5
    balance_rounds: int = 2
    balance_surplus: float = 1.5
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
        if self.balance_surplus < 1 or self.atom_candidates < self.negatives:
            raise ConfigError("balance_surplus must be at least 1 and atom_candidates at least negatives")
        object.__setattr__(self, "levels", tuple(int(n) for n in self.levels))
        object.__setattr__(self, "foil_types", tuple(self.foil_types))
        candidates = self.atom_candidates if self.balance_ranks else 0
        if (self.foils.negatives, self.foils.candidates) != (self.negatives, candidates):
            object.__setattr__(self, "foils", replace(self.foils, negatives=self.negatives,
                                                      candidates=candidates))

    @classmethod
    def from_yaml(cls, path, **overrides) -> "ProductivityConfig":
        """Read a YAML mapping of the fields above (nested ``sampling``,
        ``lexicon``, ``foils``); *overrides* that are not None win."""
        data = read_yaml_mapping(path, what="productivity config")
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(data, source=path)

    @classmethod
    def from_dict(cls, data: dict, source="config") -> "ProductivityConfig":
        nested = {"sampling": SamplingConfig, "lexicon": LexiconConfig, "foils": NegativeConfig}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {unknown}")
        values = dict(data)
        for key, kind in nested.items():
            if key in values and isinstance(values[key], dict):
                allowed = {f.name for f in fields(kind)}
                bad = sorted(set(values[key]) - allowed)
                if bad:
                    raise ConfigError(f"{source}: unknown key(s) {bad} in {key}")
                values[key] = kind(**values[key])
        for key in ("levels", "foil_types"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)

    def rows_wanted(self, foil_type: str) -> int | None:
        """Rows to gather for a cell of *foil_type* before balancing (None: all)."""
        if self.per_level is None:
            return None
        if self.balance_ranks and foil_type in ("atom", "swap"):
            return math.ceil(self.per_level * self.balance_surplus)
        return self.per_level

    def to_dict(self) -> dict:
        data = asdict(self)
        data["levels"], data["foil_types"] = list(self.levels), list(self.foil_types)
        return data

    def fingerprint(self) -> str:
        """Hash of everything that decides the rows (all but ``workers``)."""
        data = self.to_dict()
        for key in ("workers",):
            data.pop(key)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def output_path(out_dir, foil_type: str, n: int, suffix: str = ".csv") -> Path:
    """``OUT/productivity/{type}/prod_vg_hard_negs_{type}_complexity_{n}.csv``."""
    return Path(out_dir) / "productivity" / foil_type / f"prod_vg_hard_negs_{foil_type}_complexity_{n}{suffix}"


def row_seed(seed: int, image_id: int, foil_type: str, n: int) -> int:
    """The seed of one (image, type, level) cell: independent of any other cell."""
    digest = hashlib.sha256(f"{seed}:{image_id}:{foil_type}:{n}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


# -- vocabulary pass ------------------------------------------------------------------------
@dataclass(frozen=True)
class Vocabulary:
    """What every image's work shares: the lexicon and the weights of absent names."""

    lexicon: Lexicon
    absent_weights: dict
    images: int = 0
    compounds: dict = field(default_factory=dict)


def graph_compounds(graph) -> set:
    """The image's compounds: ``("o", name)``, ``("a", attribute, name)``,
    ``("r", subject, predicate, object)``, ``("sp", subject, predicate)``, ``("po", predicate, object)``."""
    found = set()
    nodes = graph._node  # direct access: this runs for every image of VG
    for node in nodes.values():
        name = node["name"]
        found.add(("o", name))
        for attribute in node["attributes"]:
            found.add(("a", attribute, name))
    for subject, neighbours in graph._adj.items():
        for obj, edges in neighbours.items():
            for edge in edges.values():
                found.update(_relation_compounds(nodes[subject]["name"], predicate_phrase(edge["predicate"]),
                                                 nodes[obj]["name"]))
    return found


def scene_compounds(scene) -> list:
    names = {m.object_id: m.name for m in scene.objects}
    found = [("o", m.name) for m in scene.objects]
    found += [("a", a, m.name) for m in scene.objects for a in m.attributes]
    for s, p, o in scene.relations:
        found.extend(_relation_compounds(names[s], p, names[o]))
    return found


def _relation_compounds(subject, predicate, obj):
    return [("r", subject, predicate, obj), ("sp", subject, predicate), ("po", predicate, obj)]


def plausibility_scorer(vocabulary: Vocabulary, graph):
    """``scene -> float``: mean log image frequency of the scene's compounds in
    OTHER images (this image's own annotations do not count), a text-only
    measure of how usual a caption's combinations are."""
    own = graph_compounds(graph)
    counts = vocabulary.compounds

    def score(scene) -> float:
        found = scene_compounds(scene)
        return sum(math.log1p(max(0, counts.get(c, 0) - (c in own))) for c in found) / max(1, len(found))
    return score


def build_vocabulary(graphs, config: LexiconConfig = LexiconConfig(), min_images: int = 2) -> Vocabulary:
    """Count atoms (for the lexicon) and image frequencies of names over *graphs*.

    Negated names (absent in positives, present in foils) come from one pool:
    visible things (:func:`~crepe_gen.language.lexicon.is_concrete`) named in at least
    *min_images* images. Absent names are drawn with weight ``df / (1 - df / N)``:
    a name in a share ``df/N`` of images is negated as a present object about
    ``df`` times, but can be drawn as absent only in the other images.
    """
    tally = AtomTally()
    document_frequency = collections.Counter()
    compounds = collections.Counter()
    images = 0
    for graph in graphs:
        images += 1
        tally.add(graph)
        compounds.update(graph_compounds(graph))
        document_frequency.update({node["name"] for node in graph._node.values()
                                   if node["w"] > 0 and node["h"] > 0 and usable_name(node["name"])})
    lexicon = tally.lexicon(config)
    total = max(1, images)
    weights = {name: df / max(1e-9, 1 - df / total) for name, df in sorted(document_frequency.items())
               if df >= min(min_images, total) and df / total < 1 and is_lemma(name) and is_concrete(name)}
    return Vocabulary(lexicon, weights, images, dict(compounds))


# -- per image ------------------------------------------------------------------------------
def image_rows(graph, vocabulary: Vocabulary, config: ProductivityConfig, cells=None) -> tuple[list, dict]:
    """Rows of one image: ``([(foil type, n, csv row, provenance), ...], {reason: count})``.

    *cells*: the ``(foil type, n)`` pairs still wanted (default: all).
    """
    skipped = collections.Counter()
    image_id = graph.graph["image_id"]
    if graph.number_of_nodes() == 0:
        skipped["empty graph"] += 1
        return [], dict(skipped)
    bad_boxes = [o for o in graph.nodes if graph.nodes[o]["w"] <= 0 or graph.nodes[o]["h"] <= 0]
    if bad_boxes:
        skipped["objects without a usable box"] += len(bad_boxes)
        graph = graph.subgraph([o for o in graph.nodes if o not in set(bad_boxes)]).copy()
    backend = CAPTION_BACKENDS[config.caption_backend]()
    plausibility = plausibility_scorer(vocabulary, graph)
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
            for attempt in range(config.subgraph_attempts):
                if made >= config.rows_per_image:
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
                    kwargs.update(box=box, absent_weights=vocabulary.absent_weights)
                result = make_foils(graph, scene, vocabulary.lexicon, rng, config.foils,
                                    renderer=lambda s, style=style: backend.render(s, style), **kwargs)
                if result is None:
                    continue
                positive, foils = result
                captions = backend.render_row(positive, [f for f, _ in foils], [e for _, e in foils], style)
                used.add(sub.key)
                made += 1
                rows.append((foil_type, n, _csv_row(image_id, sub, captions, box),
                             _provenance(graph, sub, positive, foils, captions, style, seed, foil_type,
                                         config.caption_backend)))
            if made == 0:
                skipped[f"no valid {foil_type} foils"] += 1
    return rows, dict(skipped)


def _csv_row(image_id, sub, captions, box) -> dict:
    x, y, width, height = box
    return {"image_id": image_id, "caption": captions[0], "n": sub.n, "n_objects": sub.n_objects,
            "n_relations": sub.n_relations, "n_attributes": sub.n_attributes,
            "n_connected_components": sub.n_connected_components, "hard_negs": list(captions[1:]),
            "x": x, "y": y, "width": width, "height": height}


def _provenance(graph, sub, positive, foils, captions, style, seed, foil_type, backend) -> dict:
    nodes = [{"id": o, "name": graph.nodes[o]["name"], "label": graph.nodes[o]["label"],
              "synsets": list(graph.nodes[o]["synsets"]),
              "attributes": [a for obj, a in sub.attributes if obj == o]} for o in sub.objects]
    edges = [{"id": k, "subject": s, "object": o, "predicate": graph.edges[s, o, k]["predicate"],
              "label": graph.edges[s, o, k]["label"]} for s, o, k in sub.relations]
    return {"image_id": sub.image_id, "foil_type": foil_type, "n": sub.n, "seed": seed,
            "backend": backend, "template": style, "subgraph": {"nodes": nodes, "edges": edges},
            "positive": {"caption": captions[0], "scene": positive.to_dict()},
            "negatives": [{"caption": text, "scene": scene.to_dict(), "edit": edit.to_dict()}
                          for text, (scene, edit) in zip(captions[1:], foils)]}


# -- the run -------------------------------------------------------------------------------
_WORKER_STATE: dict = {}


def _init_worker(vocabulary, config):
    _WORKER_STATE["vocabulary"], _WORKER_STATE["config"] = vocabulary, config


def _chunk_job(task):
    index, graphs, part, cells = task
    part = Path(part)
    if part.exists():
        return _read_part(part)
    vocabulary, config = _WORKER_STATE["vocabulary"], _WORKER_STATE["config"]
    rows, skipped = [], collections.Counter()
    for graph in graphs:
        image_rows_, image_skipped = image_rows(graph, vocabulary, config, cells)
        rows.extend(image_rows_)
        skipped.update(image_skipped)
    result = {"rows": rows, "skipped": dict(skipped), "images": len(graphs)}
    write_text_atomic(part, json.dumps(result, sort_keys=True) + "\n")
    return result


def _read_part(path: Path) -> dict:
    result = json.loads(path.read_text(encoding="utf-8"))
    result["rows"] = [tuple(row) for row in result["rows"]]
    return result


def _batches(iterable, size: int):
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def run_productivity(vg, out_dir, config: ProductivityConfig = ProductivityConfig(),
                     images_dir=None, progress: bool = False, llm=None, llm_dry_run: bool = False) -> dict:
    """Generate the productivity set of *vg* into *out_dir*; return the manifest section.

    *images_dir*, when given, restricts rows to images whose JPEG is there.

    *llm* (a :class:`crepe_gen.llm.client.LLMConfig`) rewrites the kept rows' template
    texts fluently through an OpenAI-compatible endpoint (:func:`crepe_gen.llm.client.rewrite_cells`:
    validated, whole rows or nothing); its counts go to the section's ``llm``
    entry. With *llm_dry_run* no request is sent and no benchmark file written
    (only the resumable template parts): the section holds only
    ``llm_estimate``, the requests and tokens the pass would spend.

    Images go in waves of ``wave_chunks`` chunks of ``chunk_size`` images
    (spread over the workers); between waves, cells that already hold
    ``per_level`` rows are no longer asked for. The waves depend only on the
    configuration, so the output does not depend on ``workers``.
    """
    out_dir = Path(out_dir)
    vocabulary_graphs = _graphs(vg, config, images_dir)
    if config.vocabulary_images is not None:
        vocabulary_graphs = itertools.islice(vocabulary_graphs, config.vocabulary_images)
    vocabulary = build_vocabulary(tqdm(vocabulary_graphs, desc="vocabulary", unit=" images",
                                       disable=not progress), config.lexicon, config.negation_min_images)
    bad_records = dict(vg.problems.counts)  # the second pass over the same files would count them again
    log.info("vocabulary: %d names, %d attributes, %d predicates over %d images",
             len(vocabulary.lexicon.object_counts), len(vocabulary.lexicon.attribute_counts),
             len(vocabulary.lexicon.predicate_counts), vocabulary.images)
    parts_dir = out_dir / "productivity" / ".parts" / config.fingerprint()
    cells = {(t, n): [] for t in config.foil_types for n in config.levels}
    skipped = collections.Counter()
    images = 0

    def wanted() -> frozenset:
        if config.per_level is None:
            return frozenset(cells)
        return frozenset(cell for cell, rows in cells.items() if len(rows) < config.rows_wanted(cell[0]))

    _init_worker(vocabulary, config)
    pool = None
    if config.workers > 1:
        pool = multiprocessing.get_context("fork").Pool(config.workers, initializer=_init_worker,
                                                        initargs=(vocabulary, config))
    bar = tqdm(desc="productivity", unit=" images", disable=not progress)
    chunk_index = 0
    try:
        chunks = _batches(_graphs(vg, config, images_dir), config.chunk_size)
        for wave in _batches(chunks, config.wave_chunks):
            needed = wanted()
            if not needed:
                break
            tasks = []
            for graphs in wave:
                part = parts_dir / f"chunk_{chunk_index:06d}.json"
                tasks.append((chunk_index, graphs, str(part), needed))
                chunk_index += 1
            results = pool.imap(_chunk_job, tasks) if pool else map(_chunk_job, tasks)
            for result in results:
                for foil_type, n, csv_row, provenance in result["rows"]:
                    cells[(foil_type, n)].append((csv_row, provenance))
                skipped.update(result["skipped"])
                images += result["images"]
                bar.update(result["images"])
    finally:
        bar.close()
        if pool is not None:
            pool.terminate()
            pool.join()

    kept_cells, balance_section = balance_cells(cells, config)
    llm_section = None
    if llm is not None:
        from ..llm.client import cells_estimate, rewrite_cells

        if llm_dry_run:
            return {"llm_estimate": dataclasses.asdict(cells_estimate(kept_cells, llm))}
        kept_cells, llm_section = rewrite_cells(kept_cells, llm, vocabulary.lexicon, progress=progress)
    counts: dict = {t: {} for t in config.foil_types}
    for (foil_type, n), kept in kept_cells.items():
        write_text_atomic(output_path(out_dir, foil_type, n), csv_text(COLUMNS, [r for r, _ in kept]))
        write_jsonl_atomic(output_path(out_dir, foil_type, n, ".jsonl"),
                           ({"row": index, **csv_row, "provenance": provenance}
                            for index, (csv_row, provenance) in enumerate(kept)))
        counts[foil_type][str(n)] = len(kept)
    skipped.update({f"VG record: {reason}": count for reason, count in bad_records.items()})
    section = {"config": config.to_dict(), "seed": config.seed, "inputs": vg.input_hashes(),
               "vg_root": str(vg.root), "images_dir": str(images_dir) if images_dir else None,
               "versions": versions("networkx", "wn", "pyyaml"),
               "images_read": images, "vocabulary_images": vocabulary.images,
               "rows": counts, "rows_available": {f"{t}/{n}": len(r) for (t, n), r in sorted(cells.items())},
               "balance": balance_section,
               "skipped": dict(sorted(skipped.items()))}
    if llm_section is not None:
        section["llm"] = llm_section
    update_manifest(out_dir, "productivity", section)
    shutil.rmtree(out_dir / "productivity" / ".parts", ignore_errors=True)
    return section


# -- blind-bias balancing -----------------------------------------------------------------
def _kept_count(cells: dict, config: ProductivityConfig) -> int:
    per_cell = config.per_level if config.per_level is not None else min(len(r) for r in cells.values())
    return min([per_cell] + [len(r) for r in cells.values()])


def _scores(rows: list, config: ProductivityConfig, train: list | None) -> list:
    items = [(csv_row["image_id"], csv_row["caption"], csv_row["hard_negs"]) for csv_row, _ in rows]
    return text_classifier_scores(items, folds=config.classifier_folds, seed=config.seed, train_picks=train)


def positive_rank(positive: float, negatives: list) -> int:
    """How many candidates score at least as high as the positive (0: it is first).

    >>> positive_rank(0.5, [0.1, 0.7, 0.5])
    2
    """
    return sum(score >= positive for score in negatives)


def _with_negatives(row: tuple, pick: list) -> tuple:
    csv_row, provenance = row
    csv_row = {**csv_row, "hard_negs": [csv_row["hard_negs"][i] for i in pick]}
    provenance = {**provenance, "negatives": [provenance["negatives"][i] for i in pick],
                  "balance": {"candidates": len(provenance["negatives"]), "kept": list(pick)}}
    return csv_row, provenance


def balance_atom(rows: list, config: ProductivityConfig, keep=None) -> list:
    """``negatives`` of each atom row's candidate foils, chosen by
    :func:`~crepe_gen.textonly.balance.select_by_rank`; None for a row that cannot be balanced.

    *keep* (row index -> bool): rows the later rounds' classifier learns from
    (those that will be written), as the audit's classifier would."""
    k = config.negatives
    lengths = [(len(r["caption"]), [len(n) for n in r["hard_negs"]]) for r, _ in rows]
    picks = None
    for round_number in range(config.balance_rounds):
        train = None if picks is None else [p if keep is None or keep(i) else None for i, p in enumerate(picks)]
        scores = _scores(rows, config, train)
        rng = random.Random(f"{config.seed}:productivity:atom:ranks:{round_number}")
        picks = select_by_rank(scores, k, rng, lengths=lengths)
    return picks


def select_rows_by_rank(ranks: list, wanted: int, negatives: int) -> list:
    """Indexes of *wanted* rows (in order) whose positive ranks (0..*negatives*)
    are as uniform as possible: rows are taken in order while their rank is
    among the least used so far, then the rest fill the least-used ranks.

    >>> select_rows_by_rank([0, 0, 0, 1, 2, 0, 1, 2], 6, 2)
    [0, 3, 4, 5, 6, 7]
    """
    used = collections.Counter()
    chosen = []
    for index, rank in enumerate(ranks):
        if len(chosen) == wanted:
            break
        if used[rank] <= min(used[r] for r in range(negatives + 1)):
            used[rank] += 1
            chosen.append(index)
    taken = set(chosen)
    rest = [i for i in range(len(ranks)) if i not in taken]
    while len(chosen) < wanted and rest:
        best = min(rest, key=lambda i: (used[ranks[i]], i))
        used[ranks[best]] += 1
        chosen.append(best)
        rest.remove(best)
    return sorted(chosen)


def balance_cells(cells: dict, config: ProductivityConfig) -> tuple[dict, dict]:
    """The rows to write, the same number in every cell, and what balancing dropped.

    Atom rows get their foils by :func:`balance_atom` (rows that cannot be
    balanced are dropped); swap rows (five foils, all orders of three atoms)
    are chosen per cell by :func:`select_rows_by_rank`; then every cell is cut
    to the sparsest cell's count (or ``per_level``).
    """
    cells = {cell: list(rows) for cell, rows in sorted(cells.items())}
    section = {"atom_rows_dropped": 0, "atom_foils_dropped": 0, "swap_rows_not_chosen": 0}
    atom_cells = [cell for cell in cells if cell[0] == "atom"]
    if config.balance_ranks and atom_cells:
        flat = [(cell, row) for cell in atom_cells for row in cells[cell]]
        target = _kept_count(cells, config)
        positions = collections.Counter()
        order = []
        for cell, _ in flat:
            order.append(positions[cell])
            positions[cell] += 1
        picks = balance_atom([row for _, row in flat], config, keep=lambda i: order[i] < target * 1.25)
        for cell in atom_cells:
            cells[cell] = []
        for (cell, row), pick in zip(flat, picks):
            if pick is None:
                section["atom_rows_dropped"] += 1
                continue
            section["atom_foils_dropped"] += len(row[0]["hard_negs"]) - len(pick)
            cells[cell].append(_with_negatives(row, pick))
    else:
        for cell in atom_cells:
            cells[cell] = [_with_negatives(row, range(config.negatives)) for row in cells[cell]]
    per_cell = _kept_count(cells, config)
    if config.per_level is not None and per_cell < config.per_level:
        log.warning("only %d rows in the sparsest cell, fewer than per_level=%d", per_cell, config.per_level)
    swap_cells = [cell for cell in cells if cell[0] == "swap"]
    if config.balance_ranks and swap_cells:
        flat = [(cell, row) for cell in swap_cells for row in cells[cell]]
        chosen = None
        for _ in range(config.balance_rounds):
            train = None if chosen is None else [list(range(len(row[0]["hard_negs"]))) if i in chosen else None
                                                 for i, (_, row) in enumerate(flat)]
            scores = _scores([row for _, row in flat], config, train)
            chosen, start = set(), 0
            for cell in swap_cells:
                size = len(cells[cell])
                ranks = [positive_rank(*scores[start + i]) for i in range(size)]
                chosen.update(start + i for i in select_rows_by_rank(ranks, per_cell, config.negatives))
                start += size
        for cell in swap_cells:
            section["swap_rows_not_chosen"] += len(cells[cell]) - per_cell
        kept_rows = collections.defaultdict(list)
        for i, (cell, row) in enumerate(flat):
            if i in chosen:
                kept_rows[cell].append(row)
        cells.update({cell: kept_rows[cell] for cell in swap_cells})
    return {cell: rows[:per_cell] for cell, rows in cells.items()}, section


def _graphs(vg, config: ProductivityConfig, images_dir):
    from ..vg.reader import image_path

    graphs = vg.scene_graphs()
    if images_dir is not None:
        graphs = (g for g in graphs if image_path(images_dir, g.graph["image_id"], g.graph["folder"]))
    if config.max_images is not None:
        graphs = itertools.islice(graphs, config.max_images)
    return graphs
