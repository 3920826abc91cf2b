"""Counts and most common names of a Visual Genome folder (``crepe-gen inspect``).

Examples
--------
>>> from crepe_gen.vg.reader import VisualGenome
>>> stats = vg_stats(VisualGenome())
>>> stats.images, stats.objects, stats.attribute_mentions, stats.relationships
(100, 3671, 2931, 2615)
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field

from .reader import VisualGenome

__all__ = ["VGStats", "vg_stats"]


@dataclass
class VGStats:
    images: int = 0
    objects: int = 0
    attribute_mentions: int = 0
    relationships: int = 0
    region_descriptions: int = 0
    self_relations: int = 0
    duplicate_relations: int = 0
    images_found: int | None = None  # JPEGs found; None when no images folder was given
    images_rescaled: int = 0  # JPEGs whose size differs from image_data.json's
    names: collections.Counter = field(default_factory=collections.Counter)
    attributes: collections.Counter = field(default_factory=collections.Counter)
    predicates: collections.Counter = field(default_factory=collections.Counter)

    def format(self, top: int = 10) -> str:
        lines = [
            f"images               {self.images:>10,}",
            f"objects              {self.objects:>10,}",
            f"attribute mentions   {self.attribute_mentions:>10,}",
            f"relationships        {self.relationships:>10,}",
            f"  self-relations     {self.self_relations:>10,}  (dropped from graphs)",
            f"  duplicate triples  {self.duplicate_relations:>10,}  (merged into one edge)",
            f"region descriptions  {self.region_descriptions:>10,}",
        ]
        if self.images_found is not None:
            lines.append(f"image files found    {self.images_found:>10,}  "
                         f"({self.images_rescaled:,} with a size other than image_data.json's: boxes scaled)")
        for title, counter in (("names", self.names), ("attributes", self.attributes),
                               ("predicates", self.predicates)):
            common = ", ".join(f"{name} ({n})" for name, n in counter.most_common(top))
            lines.append(f"top {title}: {common}")
        return "\n".join(lines)


def vg_stats(vg: VisualGenome) -> VGStats:
    """Count what the files hold: objects, attribute mentions and relationships
    as annotated (before the graph rules merge duplicates and drop self-relations)."""
    stats = VGStats(images_found=0 if vg.images_dir is not None else None)
    for graph in vg.scene_graphs():
        stats.images += 1
        if graph.graph.get("image_path"):
            stats.images_found += 1
            stats.images_rescaled += graph.graph["scale"] != (1.0, 1.0)
        stats.objects += graph.number_of_nodes()
        for _, node in graph.nodes(data=True):
            stats.attribute_mentions += len(node["raw_attributes"])
            stats.names[node["name"]] += 1
            stats.attributes.update(node["attributes"])
        stats.self_relations += len(graph.graph["dropped_self_relations"])
        for _, _, edge in graph.edges(data=True):
            count = 1 + len(edge["duplicate_ids"])
            stats.duplicate_relations += len(edge["duplicate_ids"])
            stats.predicates[edge["predicate"]] += count
            stats.relationships += count
        stats.relationships += len(graph.graph["dropped_self_relations"])
    if vg.path("region_descriptions", required=False):
        stats.region_descriptions = sum(len(regions) for _, regions in vg.region_descriptions())
    return stats
