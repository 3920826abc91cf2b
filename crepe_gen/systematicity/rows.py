"""The output rows of each training set (:class:`TrainingSet`): one region's
CSV row and provenance record (:func:`make_row`), and the pass over the
images that makes every set's rows (:func:`make_rows`)."""

from __future__ import annotations

import collections
import dataclasses
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tqdm import tqdm

from ..language.names import normalize
from .bigrams import BigramIndex
from ..language.tokens import tokenize
from .captions import parse_caption
from .facts import ImageFacts
from .grounding import Region, aligned
from .plausibility import CompoundPlausibility
from .spool import ProvenanceSpool
from .negatives import AtomPool, Balance, RowContext, atom_negatives, combined_negatives, comp_negatives

if TYPE_CHECKING:
    from ..vg.reader import VisualGenome
    from .config import SystematicityConfig

__all__ = ["TrainingSet", "make_row", "make_rows", "row_rng"]

def row_rng(seed: int, tag: str, region: Region) -> random.Random:
    """A generator of its own per row, so rows do not depend on each other."""
    return random.Random(f"{seed}:{tag}:{region.image_id}:{region.region_id}")


@dataclass
class TrainingSet:
    """One training set's split membership, replacement pool and output rows.

    ``rows`` and ``provenance`` are ``{split: [CSV row]}`` and ``{split: [record]}``."""

    name: str
    tag: str
    pool: AtomPool
    membership: dict
    skipped: collections.Counter
    rows: dict
    provenance: dict
    balances: dict = dataclasses.field(default_factory=lambda: {"atom": Balance(), "combined": Balance()})
    #: Where the full provenance records go (:mod:`~crepe_gen.systematicity.spool`);
    #: ``provenance`` then holds their slim records. None: full records in memory.
    spool: ProvenanceSpool | None = None

    def keep(self, split: str, row: dict, record: dict) -> None:
        """Add a made row and its provenance record to *split*."""
        self.rows[split].append(row)
        self.provenance[split].append(self.spool.add(split, record) if self.spool is not None else record)

    def records(self, split: str):
        """The full provenance records of *split*, as balanced."""
        if self.spool is None:
            return iter(self.provenance[split])
        return self.spool.records(split, self.provenance[split])


def make_row(region: Region, facts: ImageFacts, training_set: TrainingSet, bigrams: BigramIndex,
             own_bigrams: collections.Counter, surfaces: dict,
             config: SystematicityConfig, compounds: CompoundPlausibility | None = None) -> tuple[dict, dict] | None:
    """The CSV row and JSONL provenance of one region, or None without any HN-Atom."""
    positive = parse_caption(region.caption, region.extraction, surfaces)
    ctx = RowContext(facts, positive, training_set.pool, row_rng(config.seed, training_set.tag, region),
                     bigrams, own_bigrams, config.max_tries, config.plausibility_tolerance, compounds,
                     config.balance_ranks and config.balance_plausibility, config.plausibility_bigrams)
    forbidden = {region.caption}
    limit = max(config.max_negatives, config.candidate_pool if config.balance_ranks else 0)
    atoms = atom_negatives(ctx, training_set.balances["atom"], limit=limit, forbidden=forbidden)
    if not atoms:
        return None
    comps = comp_negatives(ctx, limit=limit, forbidden=forbidden, likely_only=config.likely_comp_only,
                           possible_only=config.possible_comp_only)
    combined = combined_negatives(ctx, comps, training_set.balances["combined"], limit=limit,
                                  forbidden=forbidden, likely_only=config.likely_comp_only,
                                  possible_only=config.possible_comp_only)
    x, y, width, height = region.box
    row = {"image_id": region.image_id, "region_id": region.region_id, "caption": region.caption,
           "x": x, "y": y, "width": width, "height": height,
           "valid_hard_negs_atom": [n.text for n in atoms],
           "valid_hard_negs_comp": [n.text for n, _ in comps],
           "valid_hard_negs_combined": [n.text for n in combined]}
    provenance = {**{k: row[k] for k in ("image_id", "region_id", "caption")},
                  "phrase": region.phrase, "box": list(region.box), "extraction": region.extraction_record(),
                  "matched_object_ids": region.matched, "seed": config.seed,
                  "plausibility": ctx.plausibility(positive),
                  "negatives": {"atom": [n.provenance() for n in atoms],
                                "comp": [n.provenance() for n, _ in comps],
                                "combined": [n.provenance() for n in combined]}}
    return row, provenance


def make_rows(vg: VisualGenome, regions: list[Region], sets: list[TrainingSet], bigrams: BigramIndex,
              surfaces: dict, config: SystematicityConfig, plausibility: CompoundPlausibility | None = None) -> None:
    """Every training set's rows (in place), image by image in scene-graph order.

    One pass over the scene graphs and the region descriptions: each image's
    graph answers its negatives' truth checks (:class:`ImageFacts`), and its
    own captions are left out of the bigram model (:meth:`BigramIndex.own`)
    and its own compounds out of *plausibility* (:meth:`CompoundPlausibility.scorer`).
    A region without any HN-Atom negative is counted in the set's ``skipped``.
    """
    if not sets:
        return
    by_image = collections.defaultdict(list)
    for region in regions:
        by_image[region.image_id].append(region)
    all_regions = aligned(vg.region_descriptions())
    graphs = vg.scene_graphs()
    if config.progress:
        graphs = tqdm(graphs, desc="hard negatives", unit=" images")
    for graph in graphs:
        image_id = graph.graph["image_id"]
        own = bigrams.own(tokenize(normalize(r["phrase"])) for r in all_regions(image_id))
        facts = ImageFacts(graph)
        compounds = plausibility.scorer(graph) if plausibility is not None else None
        for region in by_image.pop(image_id, ()):
            for state in sets:
                split = state.membership.get((region.image_id, region.region_id))
                if split is None:
                    continue
                made = make_row(region, facts, state, bigrams, own, surfaces, config, compounds)
                if made is None:
                    state.skipped["no valid atom negative"] += 1
                    continue
                state.keep(split, *made)
