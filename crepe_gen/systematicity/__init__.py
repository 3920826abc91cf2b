"""Systematicity: seen/unseen compound splits of Visual Genome region captions
per training set, with hard negatives (see :mod:`crepe_gen.systematicity.stage`).

Modules, in pipeline order: ``corpora`` (caption corpora as distributed),
``vg_names`` (the VG names table), ``extract`` (caption -> atoms and
compounds), ``counting`` (a corpus's counts -> vocabulary file), ``captions``,
``grounding``, ``splits``, ``bigrams``, ``facts``, ``negatives``, ``rows``,
``balancing``, ``config`` and ``stage`` (the stage as steps). The released
file layout (columns, file names, training-set tags) is :mod:`crepe_gen.bench.format`.

The stage entry points are imported on first use, so that ``crepe-gen vocab``
does not load the stage.
"""

from __future__ import annotations

import importlib

__all__ = ["SystematicityConfig", "run_systematicity", "standin_vocabs"]

_HOMES = {"SystematicityConfig": ".config", "run_systematicity": ".stage", "standin_vocabs": ".stage"}


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name], __name__), name)
