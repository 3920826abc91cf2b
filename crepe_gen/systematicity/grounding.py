"""Grounding: the region captions whose objects match scene-graph objects of
the region (:func:`ground_regions`, one :class:`Region` each)."""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

from tqdm import tqdm

from ..language.names import normalize
from . import extract as extract_module
from .bigrams import BigramIndex
from ..language.tokens import render, tokenize
from ..vg import crop
from ..vg.geometry import overlap_of_smaller
from .captions import ATOM_KINDS
from .extract import Extraction

if TYPE_CHECKING:
    from ..vg.reader import VisualGenome
    from .config import SystematicityConfig
    from .vg_names import VGNames

__all__ = ["CROP_DROPS", "Region", "about_photo", "aligned", "ground_objects", "ground_regions", "in_crop",
           "region_crop"]


def about_photo(tokens: list, phrases) -> bool:
    """Whether the caption's *tokens* hold one of *phrases* as whole words.

    >>> about_photo("a man in the photo".split(), ("in the photo",))
    True
    >>> about_photo("a photo frame on a wall".split(), ("in the photo",))
    False
    """
    words = [t.lower() for t in tokens]
    for phrase in phrases:
        wanted = phrase.split()
        if any(words[i:i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1)):
            return True
    return False


#: Why a region's crop was dropped (keys counted in the manifest's ``skipped``).
CROP_DROPS = {"outside": "box mostly outside the image", "small": "crop too small"}


def region_crop(region: dict, graph, config: SystematicityConfig) -> tuple[tuple, str | None]:
    """``(the region's box clipped to the image, None)``, or ``(box, reason)``
    when the region is dropped: its box lies mostly outside the image, or the
    clipped crop is too small (:func:`crepe_gen.vg.crop.too_small`)."""
    width, height = graph.graph.get("width"), graph.graph.get("height")
    box = tuple(float(region[k]) for k in ("x", "y", "width", "height"))
    clipped, share = crop.clip_to_image(box, width, height)
    if 1.0 - share > config.max_outside:
        return box, CROP_DROPS["outside"]
    if crop.too_small(clipped, width, height, config.min_crop_fraction, config.min_crop_side):
        return clipped, CROP_DROPS["small"]
    return clipped, None


def in_crop(graph, matched: dict, box) -> dict | None:
    """*matched* without the objects that have no part in *box* (the positive
    asserts only what the crop shows), or None when a name loses all its objects."""
    kept = {}
    for name, ids in matched.items():
        kept[name] = [i for i in ids if crop.inside_fraction(graph, i, box) > 0]
        if not kept[name]:
            return None
    return kept


def ground_objects(graph, objects, region_box, *, min_overlap: float,
                   region_object_ids=None) -> dict[str, list[int]] | None:
    """``{object name: [scene-graph object ids]}``, or None when one name has no match.

    With *region_object_ids* (from a region graph) the candidates are those
    objects; otherwise objects overlapping *region_box* by *min_overlap*.
    """
    matched = {}
    for name in objects:
        ids = []
        for object_id in sorted(region_object_ids if region_object_ids is not None else graph.nodes):
            node = graph.nodes.get(object_id)
            if node is None or name not in node["names"]:
                continue
            if region_object_ids is None and overlap_of_smaller(
                    (node["x"], node["y"], node["w"], node["h"]), region_box) < min_overlap:
                continue
            ids.append(object_id)
        if not ids:
            return None
        matched[name] = ids
    return matched



@dataclass
class Region:
    """A grounded region caption, before splitting."""

    image_id: int
    region_id: int
    caption: str
    phrase: str
    box: tuple
    extraction: Extraction
    matched: dict

    def atoms(self) -> dict[str, list[str]]:
        """The caption's atoms by kind."""
        return {kind: list(getattr(self.extraction, kind + "s")) for kind in ATOM_KINDS}

    def compounds(self) -> dict[str, tuple]:
        """The caption's compounds by kind: name pairs and triples."""
        return {"attribute_compound": self.extraction.attribute_compounds,
                "relation_compound": self.extraction.relation_compounds}

    def extraction_record(self) -> dict:
        """The extraction as written to the provenance records (lists)."""
        ex = self.extraction
        return {"objects": list(ex.objects), "attributes": list(ex.attributes), "relations": list(ex.relations),
                "attribute_compounds": [list(c) for c in ex.attribute_compounds],
                "relation_compounds": [list(c) for c in ex.relation_compounds]}


def ground_regions(vg: VisualGenome, names: VGNames, config: SystematicityConfig,
                   skipped: collections.Counter, bigrams: BigramIndex, *,
                   graphs: Iterable | None = None) -> list[Region]:
    """Every region caption of *vg* whose objects are grounded, in file order.

    One pass over the region descriptions and the scene graphs (*graphs*,
    default ``vg.scene_graphs()``: pass a stream that also feeds other
    consumers to read the file once); every caption's bigrams go into
    *bigrams* and the captions skipped are counted in *skipped* by reason.
    """
    region_objects = _region_graph_objects(vg)
    regions_by_image = aligned(vg.region_descriptions())
    found = []
    graphs = vg.scene_graphs() if graphs is None else graphs
    if config.progress:
        graphs = tqdm(graphs, desc="grounding regions", unit=" images")
    for graph in graphs:
        image_id = graph.graph["image_id"]
        for region in regions_by_image(image_id):
            region_id = region["region_id"]
            tokens = tokenize(normalize(region["phrase"]))
            bigrams.add(image_id, tokens)
            caption = render(tokens)
            if not caption:
                skipped["empty caption"] += 1
                continue
            if about_photo(tokens, config.photo_phrases):
                skipped["caption about the photo"] += 1
                continue
            box, reason = region_crop(region, graph, config)
            if reason:
                skipped[reason] += 1
                continue
            extraction = extract_module.extract(caption, config.extractor, names)
            if not extraction.attribute_compounds and not extraction.relation_compounds:
                skipped["no compound in caption"] += 1
                continue
            matched = ground_objects(graph, sorted(set(extraction.objects)), box,
                                     min_overlap=config.min_overlap,
                                     region_object_ids=region_objects.get((image_id, region_id)))
            if matched is None:
                skipped["object not grounded in scene graph"] += 1
                continue
            matched = in_crop(graph, matched, box)
            if matched is None:
                skipped["grounded object not in the crop"] += 1
                continue
            found.append(Region(image_id, region_id, caption, region["phrase"], box,
                                extraction, matched))
    return found


def _region_graph_objects(vg: VisualGenome) -> dict:
    if vg.path("region_graphs", required=False) is None:
        return {}
    return {(image_id, region_id): sorted(graph.nodes)
            for image_id, region_id, graph in vg.region_graphs()}


def aligned(pairs: Iterator[tuple[int, list]]):
    """A lookup ``image_id -> items`` over a stream in (mostly) the same image order."""
    buffered = {}
    stream = iter(pairs)

    def take(image_id):
        while image_id not in buffered:
            try:
                key, items = next(stream)
            except StopIteration:
                return []
            buffered[key] = items
        return buffered.pop(image_id)
    return take
