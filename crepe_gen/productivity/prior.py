"""A language model's sense of plausibility, read from short compounds, for balancing rows.

A pretrained language model reads "a parked sidewalk is parked on a bike" as
far less likely than "a parked bike is parked on a sidewalk", and so finds a
swap row's positive without the image. The statistics score of
:mod:`crepe_gen.productivity.weights` sees compounds only where other images
of the VG folder hold them; a language model knows them from its pretraining.

:class:`CompoundPrior` scores a candidate scene by the log-likelihood, under
a causal LM, of its short compounds each said alone ("a parked sidewalk",
"a bike parked on a sidewalk", "a bike"), summed over the compounds in which
the row's candidates differ (compounds every candidate shares change no
ranking, so they are never scored). Each distinct compound is scored once
and cached. The balancing step then keeps rows whose positive ranks
uniformly among its candidates by this score
(:func:`crepe_gen.productivity.balancing.balance_cells`).

This scorer is not the audit's language-model attacker, which scores whole
captions (:mod:`crepe_gen.evaluation.lm_attacker`): the two may use one
model, but the balancing never sees a whole caption's likelihood, so an
attacker reading whole captions is not fitted to.

Examples
--------
>>> from crepe_gen.vg.scene import Mention, Scene
>>> scene = Scene((Mention(1, "bike", ("parked",)), Mention(2, "sidewalk", ())), ((1, "parked on", 2),))
>>> compound_phrases(scene)
['a bike', 'a sidewalk', 'a parked bike', 'a bike parked on a sidewalk']
>>> from crepe_gen.textonly.language_model import CaptionScore
>>> class Letters:  # a stand-in scorer: fewer letters, more likely
...     name = "letters"
...     def score(self, texts):
...         return [CaptionScore(-len(text), 1) for text in texts]
>>> swapped = Scene((Mention(1, "sidewalk", ("parked",)), Mention(2, "bike", ())), ((1, "parked on", 2),))
>>> CompoundPrior(Letters()).row_scores([scene, swapped])
[-40.0, -44.0]
"""

from __future__ import annotations

import collections
import logging

from tqdm import tqdm

from .captions import noun_phrase
from ..textonly.language_model import load_scorer, user_cache_dir
from ..vg.scene import Mention, Scene

__all__ = ["CompoundPrior", "compound_phrases", "differing_compounds", "load_prior", "rescore_rows"]

log = logging.getLogger(__name__)


def _bare(name: str, attributes: tuple = ()) -> str:
    return noun_phrase(Mention(0, name, tuple(attributes)), True)


def compound_phrases(scene: Scene) -> list[str]:
    """The scene's compounds said alone: each object, each attribute with its
    object, each relation between its two bare objects (with repeats)."""
    names = {m.object_id: m.name for m in scene.objects}
    phrases = [_bare(m.name) for m in scene.objects]
    phrases += [_bare(m.name, (a,)) for m in scene.objects for a in m.attributes]
    phrases += [f"{_bare(names[s])} {p} {_bare(names[o])}" for s, p, o in scene.relations]
    return phrases


def differing_compounds(scenes) -> list[collections.Counter]:
    """Per scene of a row, its :func:`compound_phrases` less those every scene of the row holds."""
    counts = [collections.Counter(compound_phrases(scene)) for scene in scenes]
    shared = counts[0].copy()
    for count in counts[1:]:
        shared &= count
    return [count - shared for count in counts]


class CompoundPrior:
    """Scores the candidates of one row by the LM log-likelihood of the
    compounds in which they differ (see the module docstring). *scorer* is
    a :class:`~crepe_gen.textonly.language_model.CaptionScorer`."""

    def __init__(self, scorer):
        self.scorer = scorer
        self.name = scorer.name

    def row_scores(self, scenes) -> list[float]:
        """One score per scene of a row (positive and foils): higher is more plausible."""
        return self.scores_of(differing_compounds(scenes))

    def scores_of(self, differing: list[collections.Counter]) -> list[float]:
        """The scores of a row from its :func:`differing_compounds`."""
        phrases = sorted({phrase for count in differing for phrase in count})
        score = {phrase: s.total for phrase, s in zip(phrases, self.scorer.score(phrases))}
        return [round(float(sum(score[p] * k for p, k in count.items())), 6) for count in differing]


def load_prior(spec: str, cache=None) -> CompoundPrior:
    """The :class:`CompoundPrior` of a language-model spec
    (:func:`~crepe_gen.textonly.language_model.load_scorer`: ``gemma3-270m``,
    a GGUF path, or ``URL,MODEL``), its scores cached in *cache* (a SQLite
    file; by default ``compound_scores.sqlite`` in the user cache folder, so
    every run shares them)."""
    return CompoundPrior(load_scorer(spec, cache or user_cache_dir() / "compound_scores.sqlite"))


def _row_scenes(provenance: dict) -> list[Scene]:
    return [Scene.from_dict(provenance["positive"]["scene"])] + \
        [Scene.from_dict(negative["scene"]) for negative in provenance["negatives"]]


def rescore_rows(rows: list, prior: CompoundPrior, progress: bool = False) -> None:
    """Replace each row's ``plausibility`` scores (in its provenance) by *prior*'s.

    *rows*: ``[(csv row, provenance), ...]``. The distinct phrases of all rows
    are scored first in one pass (with a progress bar), so the model runs once per phrase."""
    differing = [differing_compounds(_row_scenes(provenance)) for _, provenance in rows]
    phrases = sorted({phrase for row in differing for count in row for phrase in count})
    log.info("compound prior (%s): %d distinct compounds over %d rows", prior.name, len(phrases), len(rows))
    step = 64
    for start in tqdm(range(0, len(phrases), step), desc="compound prior", unit=" batches", disable=not progress):
        prior.scorer.score(phrases[start:start + step])
    for (_, provenance), row in zip(rows, differing):
        provenance["plausibility"] = prior.scores_of(row)
