"""The released file layout of the systematicity set: CSV columns, file names
and training-set tags."""

from __future__ import annotations

import re

from ..core.errors import ConfigError

__all__ = ["COLUMNS", "NEGATIVE_COLUMNS", "TRAINING_SET_TAGS", "output_name", "training_set_tag"]

COLUMNS = ["image_id", "region_id", "caption", "x", "y", "width", "height",
           "valid_hard_negs_atom", "valid_hard_negs_comp", "valid_hard_negs_combined"]
#: The negative lists of a row: CSV column by provenance key.
NEGATIVE_COLUMNS = {"atom": "valid_hard_negs_atom", "comp": "valid_hard_negs_comp",
                    "combined": "valid_hard_negs_combined"}

#: Training-set names accepted on the command line -> the tag in the released file names.
TRAINING_SET_TAGS = {"cc12m": "cc12m", "yfcc": "yfcc", "yfcc15m": "yfcc",
                     "laion": "laion", "laion400m": "laion"}
_TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]*$")


def output_name(split: str, tag: str) -> str:
    """``syst_vg_hard_negs_{split}_in_{tag}``, the released file stem.

    >>> output_name("seen_compounds", "laion")
    'syst_vg_hard_negs_seen_compounds_in_laion'
    """
    return f"syst_vg_hard_negs_{split}_in_{tag}"


def training_set_tag(name: str) -> str:
    """The file-name tag of a training set (``laion400m`` -> ``laion``)."""
    tag = TRAINING_SET_TAGS.get(name.lower(), name.lower())
    if not _TAG_PATTERN.match(tag):
        raise ConfigError(f"training-set name {name!r}: use lower-case letters, digits and _")
    return tag
