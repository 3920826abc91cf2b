"""The language-model attacker with the real Gemma 3 270M: in-process, through an
OpenAI-compatible endpoint, as an evaluation adapter, and as the audit's judge
of a planted set whose swaps a language model sees through."""

from __future__ import annotations

import json

import pytest

from crepe_gen.bench.writer import write_csv_atomic
from crepe_gen.cli import main
from crepe_gen.core.errors import ConfigError
from crepe_gen.evaluation.audit import AuditConfig, audit_paths
from crepe_gen.evaluation.models import load_adapter
from crepe_gen.textonly.language_model import BUNDLED_MODEL, load_scorer
from llm_server import MODEL_NAME, llama_scoring_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow

AGENTS = ["man", "woman", "boy", "girl", "chef", "farmer"]
THINGS = [("holding", "cup"), ("eating", "sandwich"), ("wearing", "hat"), ("riding", "bicycle"),
          ("reading", "book")]
PLAUSIBLE = "A man is riding a horse."
IMPLAUSIBLE = "A horse is riding a man."


def _planted_rows():
    """Swap rows whose foil puts the thing in the agent's place ("a cup is holding a man"): one
    foil a row, so no candidate is the odd one out of its row either."""
    rows = []
    for i, (agent, (verb, thing)) in enumerate((a, t) for a in AGENTS for t in THINGS):
        rows.append({"image_id": i, "caption": f"A {agent} is {verb} a {thing}.", "n": 4,
                     "hard_negs": [f"A {thing} is {verb} a {agent}."]})
    return rows


@pytest.fixture(scope="module")
def scorer():
    return load_scorer(BUNDLED_MODEL)


def test_the_packaged_model_prefers_the_plausible_order(scorer):
    plausible, implausible = scorer.score([PLAUSIBLE, IMPLAUSIBLE])
    assert plausible.total > implausible.total and plausible.tokens == implausible.tokens
    assert scorer.score([PLAUSIBLE]) == [plausible]  # the same text, the same score


def test_the_audit_fails_a_set_whose_swaps_a_language_model_sees_through(tmp_path):
    folder = tmp_path / "planted" / "swap"
    write_csv_atomic(folder / "prod_vg_hard_negs_swap_complexity_4.csv", ["image_id", "caption", "n", "hard_negs"],
                     _planted_rows())
    report_path = tmp_path / "audit.json"
    status = main(["audit", str(tmp_path / "planted"), "--no-classifier", "--lm", BUNDLED_MODEL,
                   "--json", str(report_path)])
    assert status == 1
    report = json.loads(report_path.read_text())
    cell, = [c for c in report["language_model"]["cells"] if c["foil"] == "swap"]
    assert cell["rows"] == 30 and cell["verdict"] == "FAIL" and "lm_likely" in cell["failing"]
    assert cell["recall"]["lm_likely"] > 0.9
    # the text baselines alone see nothing: both candidates have the same words, length and structure
    assert all(c["verdict"] == "pass" for c in report["cells"])


def test_the_sample_is_seeded_and_bounded(tmp_path):
    folder = tmp_path / "planted" / "swap"
    write_csv_atomic(folder / "prod_swap_4.csv", ["image_id", "caption", "n", "hard_negs"], _planted_rows())
    config = AuditConfig(classifier=False, lm=BUNDLED_MODEL, lm_rows=5)
    first, again = audit_paths([tmp_path / "planted"], config), audit_paths([tmp_path / "planted"], config)
    assert first.lm_cells[0].rows == 5 and first.lm_cells[0].to_dict() == again.lm_cells[0].to_dict()


def test_an_endpoint_scores_as_the_model_does_in_process(scorer, llama_scoring_server):  # noqa: F811
    endpoint = load_scorer(f"{llama_scoring_server},{MODEL_NAME}")
    local = scorer.score([PLAUSIBLE, IMPLAUSIBLE])
    remote = endpoint.score([PLAUSIBLE, IMPLAUSIBLE])
    # the endpoint leaves the first token unscored; the rest agrees
    assert remote[0].tokens == local[0].tokens - 1
    assert abs((remote[0].total - remote[1].total) - (local[0].total - local[1].total)) < 0.5


def test_the_evaluation_adapter_picks_the_most_likely_caption():
    adapter = load_adapter(f"text:lm:{BUNDLED_MODEL}")
    assert not adapter.needs_images and adapter.spec == "text:lm:gemma3-270m"
    scores, = adapter.score(None, [[IMPLAUSIBLE, PLAUSIBLE]])
    assert scores.argmax() == 1


@pytest.mark.parametrize("spec, message", [("/nowhere/model.gguf", "not found"),
                                           ("http://127.0.0.1:9/v1", "URL,MODEL")])
def test_a_bad_model_spec_is_a_config_error(spec, message):
    with pytest.raises(ConfigError, match=message):
        load_scorer(spec)


def test_scores_persist_in_a_cache_file(tmp_path, scorer):
    from crepe_gen.llm.cache import ResponseCache
    path = tmp_path / "scores.sqlite"
    first = load_scorer(BUNDLED_MODEL, path).score([PLAUSIBLE, IMPLAUSIBLE])
    with ResponseCache(path) as cache:
        assert len(cache) == 2
    assert load_scorer(BUNDLED_MODEL, path).score([IMPLAUSIBLE, PLAUSIBLE]) == first[::-1] \
        == scorer.score([IMPLAUSIBLE, PLAUSIBLE])
