"""Seen and unseen splits: the split of each caption (:func:`split_of`) under
a training set's :data:`~crepe_gen.systematicity.counting.CorpusCounts`."""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Iterable

from .counting import CorpusCounts
from .captions import ATOM_KINDS

if TYPE_CHECKING:
    from .config import SystematicityConfig
    from .grounding import Region

__all__ = ["assign_splits", "positive_frequencies", "split_of"]


def split_of(atoms: dict[str, list[str]], compounds: dict[str, list[tuple]], counts: CorpusCounts,
             min_count: int) -> str:
    """The split of a caption, given its atoms and its compounds by kind.

    Returns ``unseen_atoms`` when an atom is counted fewer than *min_count*
    times, else ``unseen_compounds`` when a compound is, else ``seen_compounds``.

    >>> counts = {("object", "cat"): 3, ("attribute", "black"): 3, ("attribute_compound", ("black", "cat")): 1}
    >>> atoms = {"object": ["cat"], "attribute": ["black"]}
    >>> compounds = {"attribute_compound": [("black", "cat")]}
    >>> split_of(atoms, compounds, counts, 1), split_of(atoms, compounds, counts, 2)
    ('seen_compounds', 'unseen_compounds')
    >>> split_of(atoms, compounds, counts, 4)
    'unseen_atoms'
    """
    if any(counts.get((kind, name), 0) < min_count for kind, names in atoms.items() for name in names):
        return "unseen_atoms"
    if any(counts.get((kind, key), 0) < min_count for kind, keys in compounds.items() for key in keys):
        return "unseen_compounds"
    return "seen_compounds"


def assign_splits(regions: list[Region], counts: CorpusCounts, config: SystematicityConfig,
                  skipped: collections.Counter) -> dict[str, list[Region]]:
    """Regions of one training set by split (only the configured splits)."""
    wanted = config.splits()
    by_split = {split: [] for split in wanted}
    for region in regions:
        split = split_of(region.atoms(), region.compounds(), counts, config.min_count)
        if split in by_split:
            by_split[split].append(region)
        else:
            skipped[f"{split} (split not written)"] += 1
    return by_split


def positive_frequencies(regions: Iterable[Region]) -> dict[str, collections.Counter]:
    """How often each atom occurs among the positives, by kind."""
    frequencies = {kind: collections.Counter() for kind in ATOM_KINDS}
    for region in regions:
        for kind, names in region.atoms().items():
            frequencies[kind].update(names)
    return frequencies
