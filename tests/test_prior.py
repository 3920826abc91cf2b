"""The compound prior with the real Gemma 3 270M: what it scores, and the rows it chooses."""

from __future__ import annotations

import json

import pytest

from crepe_gen.productivity.prior import CompoundPrior, compound_phrases, load_prior, rescore_rows
from crepe_gen.productivity.stage import ProductivityConfig, run_productivity
from crepe_gen.textonly.language_model import BUNDLED_MODEL, load_scorer
from crepe_gen.vg.reader import VisualGenome
from crepe_gen.vg.scene import Mention, Scene

pytestmark = pytest.mark.slow

BIKE = Scene((Mention(1, "bike", ("parked",)), Mention(2, "sidewalk", ())), ((1, "parked on", 2),))
SWAPPED = Scene((Mention(1, "sidewalk", ("parked",)), Mention(2, "bike", ())), ((1, "parked on", 2),))


class Recording:
    """The real scorer, recording which texts it is asked for."""

    def __init__(self, scorer):
        self.scorer, self.name, self.asked = scorer, scorer.name, []

    def score(self, texts):
        self.asked.extend(texts)
        return self.scorer.score(texts)


@pytest.fixture(scope="module")
def gemma():
    return load_scorer(BUNDLED_MODEL)


def test_the_prior_prefers_the_plausible_binding_and_scores_only_what_differs(gemma):
    recording = Recording(gemma)
    positive, swapped = CompoundPrior(recording).row_scores([BIKE, SWAPPED])
    assert positive > swapped
    # "a bike" and "a sidewalk" are in both candidates: never scored
    assert sorted(set(recording.asked)) == sorted(set(compound_phrases(BIKE) + compound_phrases(SWAPPED))
                                                  - {"a bike", "a sidewalk"})


def test_rescored_rows_carry_the_prior_scores(gemma):
    provenance = {"positive": {"scene": BIKE.to_dict()}, "negatives": [{"scene": SWAPPED.to_dict()}],
                  "plausibility": [0.0, 1.0]}
    prior = CompoundPrior(gemma)
    rescore_rows([({}, provenance)], prior)
    assert provenance["plausibility"] == prior.row_scores([BIKE, SWAPPED])
    assert provenance["plausibility"][0] > provenance["plausibility"][1]


def test_productivity_with_a_prior_records_it_and_ranks_positives_across_the_row(tmp_path):
    config = ProductivityConfig(prior_model=BUNDLED_MODEL, foil_types=("swap",), max_images=60, levels=(4, 5))
    section = run_productivity(VisualGenome(), tmp_path, config)
    assert section["config"]["prior_model"] == BUNDLED_MODEL
    prior = load_prior(BUNDLED_MODEL)
    ranks = []
    for path in sorted((tmp_path / "productivity" / "swap").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            provenance = json.loads(line)["provenance"]
            scenes = [Scene.from_dict(provenance["positive"]["scene"])] + \
                [Scene.from_dict(n["scene"]) for n in provenance["negatives"]]
            assert provenance["plausibility"] == prior.row_scores(scenes)
            ranks.append(sum(s > provenance["plausibility"][0] for s in provenance["plausibility"][1:]))
    assert ranks and len(set(ranks)) > 1  # the positive is not always the most plausible
