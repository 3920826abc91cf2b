"""The language-model attacker of the audit: does a pretrained LM's sense of plausibility find the positive?

For a seeded sample of at most ``lm_rows`` items per cell (kind, foil type,
level), every candidate is scored by a pretrained causal LM
(:mod:`crepe_gen.textonly.language_model`) and four picks are made per item
(:data:`LM_PICKS`): the most likely candidate and the least likely one, by
total log-likelihood and by log-likelihood per token. A pick that finds the
positive more often than chance is a text-only shortcut: a negative that is
less plausible than its positive ("a pant is wearing a man") gives the
positive away to the most-likely pick, and one that is more plausible (a
denial of something obviously there) to the least-likely pick. Ties split the
credit as for every baseline; the cells are judged with the other baselines'
cells (the same margin and noise guard, :mod:`crepe_gen.evaluation.audit`).

The sample is drawn per cell from ``(seed, kind, foil, level)``, so the same
inputs and seed score the same rows; the pooled cell of a foil type holds the
rows sampled for its levels.

Examples
--------
>>> from crepe_gen.bench.reader import Item
>>> from crepe_gen.textonly.language_model import CaptionScore
>>> class Lengths:  # a stand-in scorer: longer captions are less likely
...     name = "lengths"
...     def score(self, texts):
...         return [CaptionScore(-float(len(t)), len(t.split())) for t in texts]
>>> items = [Item("productivity", "swap", 4, i, "a man rides a horse", ("a horse rides a big man",))
...          for i in range(3)]
>>> cell, = lm_cells(items, Lengths(), rows=10, seed=0)
>>> cell.rows, cell.recall["lm_likely"], cell.recall["lm_unlikely"]
(3, 1.0, 0.0)
"""

from __future__ import annotations

import logging

from tqdm import tqdm

from ..bench.reader import Item
from ..textonly.classifier import tie_split_credit
from .blind import sample_rows

__all__ = ["LM_PICKS", "LM_SHORT_NAMES", "lm_cells", "sample_for_lm"]

log = logging.getLogger(__name__)

#: The LM attacker's picks: name -> (score used, +1 to pick the largest or -1 the smallest).
LM_PICKS = {
    "lm_likely": ("total", 1),
    "lm_unlikely": ("total", -1),
    "lm_likely_per_token": ("mean", 1),
    "lm_unlikely_per_token": ("mean", -1),
}
LM_SHORT_NAMES = {"lm_likely": "likely", "lm_unlikely": "unlikely",
                  "lm_likely_per_token": "likely/tok", "lm_unlikely_per_token": "unlikely/tok"}


def sample_for_lm(items: list[Item], rows: int, seed: int, level_of) -> dict[tuple, list[Item]]:
    """``{(kind, foil, level): items}``: at most *rows* distinct items per cell,
    drawn with a seed of their own per cell (*level_of* maps an item to its level)."""
    return sample_rows(items, rows, seed, "lm-sample", lambda item: (item.task, item.foil, level_of(item)))


def lm_cells(items: list[Item], scorer, *, rows: int, seed: int, level_of=None, progress: bool = False):
    """Cells of the LM attacker over *items* (unjudged), per level and pooled per foil type."""
    from .audit import _build_cell, cell_level, sampled_cells

    level_of = level_of or cell_level
    sampled = sample_for_lm(items, rows, seed, level_of)
    texts = [text for cell_items in sampled.values() for item in cell_items for text in item.candidates]
    log.info("language model %s: scoring %d candidates of %d rows", scorer.name, len(texts),
             sum(map(len, sampled.values())))
    scores = {}
    batch = 64
    distinct = list(dict.fromkeys(texts))
    for start in tqdm(range(0, len(distinct), batch), desc=f"language model ({scorer.name})", unit=" batches",
                      disable=not progress):
        chunk = distinct[start:start + batch]
        scores.update(zip(chunk, scorer.score(chunk)))

    def credits(cell_items):
        found = {}
        for name, (measure, sign) in LM_PICKS.items():
            found[name] = [tie_split_credit([sign * getattr(scores[text], measure) for text in item.candidates])
                           for item in cell_items]
        return found

    return sampled_cells(sampled, lambda kind, foil, level, cell_items:
                         _build_cell(kind, foil, level, cell_items, credits(cell_items)))
