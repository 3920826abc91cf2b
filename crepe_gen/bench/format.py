"""The CREPE benchmark format, in one place: tasks, foil types, columns, file names, training sets.

Everything that writes or reads benchmark files (the productivity and
systematicity stages, the audit, the evaluation harness, the card and the
export) takes these names from here, so the released layout is defined once:

* ``OUT/productivity/{foil}/prod_vg_hard_negs_{foil}_complexity_{n}.csv``
  with :data:`PRODUCTIVITY_COLUMNS`; the negatives are in ``hard_negs``;
* ``OUT/systematicity/syst_vg_hard_negs_{split}_in_{tag}.csv`` with
  :data:`SYSTEMATICITY_COLUMNS`; one negative list per foil type
  (:data:`SYSTEMATICITY_NEGATIVE_COLUMNS`).

Lists of captions are stored as Python literals (``['a cat', 'a dog']``), as
in the released files.

Examples
--------
>>> productivity_path("OUT", "swap", 4).as_posix()
'OUT/productivity/swap/prod_vg_hard_negs_swap_complexity_4.csv'
>>> systematicity_stem("seen_compounds", training_set_tag("laion400m"))
'syst_vg_hard_negs_seen_compounds_in_laion'
>>> negative_columns("systematicity")["comp"]
'valid_hard_negs_comp'
"""

from __future__ import annotations

import re
from pathlib import Path

from ..core.errors import ConfigError

__all__ = [
    "PRODUCTIVITY", "SYSTEMATICITY", "TASKS", "PRODUCTIVITY_FOILS", "SYSTEMATICITY_FOILS", "FOILS",
    "LEVELS", "PRODUCTIVITY_COLUMNS", "SYSTEMATICITY_COLUMNS", "SYSTEMATICITY_NEGATIVE_COLUMNS",
    "COLUMNS", "INT_COLUMNS", "FLOAT_COLUMNS", "LIST_COLUMNS", "BOX_COLUMNS", "SPLITS",
    "TRAINING_SETS", "TRAINING_SET_TAGS", "negative_columns", "productivity_path", "systematicity_stem",
    "training_set_tag", "preset_of_tag",
]

PRODUCTIVITY = "productivity"
SYSTEMATICITY = "systematicity"
TASKS = (PRODUCTIVITY, SYSTEMATICITY)

#: Foil types of each task, in the order files are written.
PRODUCTIVITY_FOILS = ("atom", "swap", "negate")
SYSTEMATICITY_FOILS = ("atom", "comp", "combined")
FOILS = {PRODUCTIVITY: PRODUCTIVITY_FOILS, SYSTEMATICITY: SYSTEMATICITY_FOILS}

#: Productivity complexity levels (objects + attributes + relations of a subgraph).
LEVELS = tuple(range(4, 13))

BOX_COLUMNS = ("x", "y", "width", "height")
PRODUCTIVITY_COLUMNS = ("image_id", "caption", "n", "n_objects", "n_relations", "n_attributes",
                        "n_connected_components", "hard_negs", *BOX_COLUMNS)
#: The systematicity negative list of each foil type.
SYSTEMATICITY_NEGATIVE_COLUMNS = {foil: f"valid_hard_negs_{foil}" for foil in SYSTEMATICITY_FOILS}
SYSTEMATICITY_COLUMNS = ("image_id", "region_id", "caption", *BOX_COLUMNS,
                         *SYSTEMATICITY_NEGATIVE_COLUMNS.values())
COLUMNS = {PRODUCTIVITY: PRODUCTIVITY_COLUMNS, SYSTEMATICITY: SYSTEMATICITY_COLUMNS}

INT_COLUMNS = ("image_id", "region_id", "n", "n_objects", "n_relations", "n_attributes",
               "n_connected_components")
FLOAT_COLUMNS = BOX_COLUMNS
LIST_COLUMNS = ("hard_negs", *SYSTEMATICITY_NEGATIVE_COLUMNS.values())

#: Systematicity splits; ``unseen_atoms`` is written only on request.
SPLITS = ("seen_compounds", "unseen_compounds", "unseen_atoms")

#: The training sets of the release: corpus preset (``splits/{preset}.yaml``) -> file-name tag.
TRAINING_SETS = {"cc12m": "cc12m", "yfcc15m": "yfcc", "laion400m": "laion"}
#: Training-set names accepted on the command line -> the tag in the released file names.
TRAINING_SET_TAGS = {**{tag: tag for tag in TRAINING_SETS.values()}, **TRAINING_SETS}
_TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]*$")


def negative_columns(task: str, foil: str | None = None) -> dict[str, str]:
    """``{foil type: column}`` of the negative lists of *task* (of one *foil* for productivity).

    >>> negative_columns("productivity", "swap")
    {'swap': 'hard_negs'}
    """
    if task == PRODUCTIVITY:
        return {foil: "hard_negs"} if foil else {f: "hard_negs" for f in PRODUCTIVITY_FOILS}
    return dict(SYSTEMATICITY_NEGATIVE_COLUMNS)


def productivity_path(out_dir, foil: str, level: int, suffix: str = ".csv") -> Path:
    """``OUT/productivity/{foil}/prod_vg_hard_negs_{foil}_complexity_{level}{suffix}``."""
    return Path(out_dir) / PRODUCTIVITY / foil / f"prod_vg_hard_negs_{foil}_complexity_{level}{suffix}"


def systematicity_stem(split: str, tag: str) -> str:
    """``syst_vg_hard_negs_{split}_in_{tag}``, the released file stem.

    >>> systematicity_stem("unseen_compounds", "yfcc")
    'syst_vg_hard_negs_unseen_compounds_in_yfcc'
    """
    return f"syst_vg_hard_negs_{split}_in_{tag}"


def training_set_tag(name: str) -> str:
    """The file-name tag of a training set (``laion400m`` -> ``laion``); other
    names are their own tag.

    >>> training_set_tag("YFCC15M"), training_set_tag("my_corpus")
    ('yfcc', 'my_corpus')
    """
    tag = TRAINING_SET_TAGS.get(name.lower(), name.lower())
    if not _TAG_PATTERN.match(tag):
        raise ConfigError(f"training-set name {name!r}: use lower-case letters, digits and _")
    return tag


def preset_of_tag(tag: str) -> str | None:
    """The corpus preset of a released tag (``laion`` -> ``laion400m``), else None.

    >>> preset_of_tag("yfcc"), preset_of_tag("mine")
    ('yfcc15m', None)
    """
    return next((preset for preset, known in TRAINING_SETS.items() if known == tag), None)
