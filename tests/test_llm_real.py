"""The LLM pass against a real server: llama.cpp with Gemma 3 270M (a base
model, completions endpoint, few-shot prompts). Its texts often fail
validation; these tests show the failures caught and the fallback working,
and the productivity command producing a valid set through the server."""

from __future__ import annotations

import ast
import csv
import json

import pytest

from crepe_gen.cli import main
from crepe_gen.llm.config import LLMConfig
from crepe_gen.llm.generate import TextTask, generate_texts
from crepe_gen.llm.validate import Expectation, check_text
from crepe_gen.vg.scene import Scene
from crepe_gen.productivity.rewording import row_tasks
from crepe_gen.productivity.stage import COLUMNS

from llm_server import MODEL_NAME, llama_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow

OBJECT_WORDS = frozenset({"man", "shirt", "dog", "grass", "frisbee", "hat", "car", "bicycle", "tree"})
MAN = Scene.build({1: "man", 2: "shirt"}, [(1, "tall"), (2, "white")], [(1, "wearing", 2)])
DOG = Scene.build({1: "dog", 2: "grass"}, [(1, "brown")], [(1, "on", 2)], ("relation", 0))
BICYCLE = Scene.build({1: "bicycle", 2: "tree"}, [(1, "blue")], [(1, "near", 2)])


def tasks() -> list[TextTask]:
    return [
        TextTask("man", "caption", {"facts": MAN.facts(), "draft": "A tall man is wearing a white shirt."},
                 "A tall man is wearing a white shirt.", Expectation(MAN)),
        TextTask("dog", "negative_negate", {"facts": DOG.facts(),
                                            "draft": "A brown dog is not on grass."},
                 "A brown dog is not on grass.", Expectation(DOG, "negate")),
        # prompt and expectation disagree: no completion can pass, the row must fall back
        TextTask("mismatch", "caption", {"facts": "red car; car on road", "draft": "A red car is on a road."},
                 "A blue bicycle is near a tree.", Expectation(BICYCLE)),
    ]


def test_real_server_texts_are_validated_or_fall_back(llama_server, tmp_path):  # noqa: F811
    config = LLMConfig(base_url=llama_server, model=MODEL_NAME, timeout=600, max_attempts=2,
                       max_concurrency=2, cache_path=str(tmp_path / "cache.sqlite"))
    run = generate_texts(tasks(), config, OBJECT_WORDS)
    expectations = {t.item_id: t for t in tasks()}
    assert sorted(run.results) == ["dog", "man", "mismatch"]
    for item_id, result in run.results.items():
        task = expectations[item_id]
        if result.source == "llm":
            assert check_text(result.text, task.expect, OBJECT_WORDS) == []
        else:
            assert (result.text, result.reason, result.attempts) == (task.fallback, "validation", 2)
            assert len(result.failures) == 2
    mismatch = run.results["mismatch"]
    assert mismatch.source == "template" and mismatch.provenance()["fallback_reason"] == "validation"
    assert sum(run.validation_failures.values()) >= 2
    assert run.requests >= 4 and run.completion_tokens > 0

    again = generate_texts(tasks(), config, OBJECT_WORDS)
    assert again.requests == 0 and again.results == run.results


def test_productivity_command_through_the_real_server(llama_server, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    config = tmp_path / "productivity.yaml"
    config.write_text("levels: [4]\n")
    argv = ["productivity", "--out", str(out), "--config", str(config), "--per-level", "1",
            "--max-images", "30", "--llm-base-url", llama_server, "--llm-model", MODEL_NAME,
            "--llm-max-attempts", "2", "--llm-timeout", "600", "--llm-max-concurrency", "2"]
    assert main(argv + ["--dry-run"]) == 0
    assert not list(out.rglob("*.csv")) and not (out / "manifest.json").exists()
    assert main(argv) == 0

    section = json.loads((out / "manifest.json").read_text())["productivity"]
    llm = section["llm"]
    assert sum(llm["rows"].values()) == 3 and sum(llm["texts"].values()) == 18
    assert llm["config"]["base_url"] == llama_server and llm["requests"] >= 18
    for foil_type in ("atom", "swap", "negate"):
        path = out / "productivity" / foil_type / f"prod_vg_hard_negs_{foil_type}_complexity_4.csv"
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            assert reader.fieldnames == COLUMNS
            (row,) = list(reader)
        negatives = ast.literal_eval(row["hard_negs"])
        assert len(negatives) == 5 and row["caption"] not in negatives
        (record,) = [json.loads(line) for line in path.with_suffix(".jsonl").read_text().splitlines()]
        provenance = record["provenance"]
        assert provenance["llm"]["model"] == MODEL_NAME
        texts = [row["caption"], *negatives]
        if provenance["llm"]["source"] == "llm":
            # every text of the row passed validation against its own scene
            for task, text in zip(row_tasks("r", foil_type, provenance["template_texts"][0], provenance),
                                  texts):
                assert check_text(text, task.expect, frozenset()) == []
        else:
            assert provenance["llm"]["fallback_reason"]
            assert texts == [provenance["positive"]["caption"],
                             *[n["caption"] for n in provenance["negatives"]]]

    assert main(argv) == 0  # a rerun is served by the cache
    assert json.loads((out / "manifest.json").read_text())["productivity"]["llm"]["requests"] == 0
