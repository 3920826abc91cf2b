"""The LLM pass against a loopback server that injects faults: retries,
Retry-After, timeouts, bad completions, cache, budget, dry run, key secrecy."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging

import pytest

from crepe_gen.core.errors import ConfigError
from crepe_gen.commands.llm_options import add_llm_arguments, config_from_args
from crepe_gen.llm.config import LLMConfig
from crepe_gen.llm.estimate import estimate
from crepe_gen.llm.generate import TextTask, generate_texts
from crepe_gen.llm.prompts import PROMPTS, load_prompt
from crepe_gen.llm.validate import Expectation, check_text
from crepe_gen.productivity.captions import render
from crepe_gen.vg.scene import Scene

from llm_fault_server import FaultServer

SCENE = Scene.build({1: "man", 2: "shirt"}, [(1, "tall"), (2, "white")], [(1, "wearing", 2)])
OBJECT_WORDS = frozenset({"man", "shirt", "hat", "dog", "tree"})
DRAFT = "tall man wearing white shirt."


def tasks(n: int, prompt: str = "caption") -> list[TextTask]:
    """*n* captions of one scene; ``#i`` in the facts tells them apart (and lets
    the fault plan target one of them)."""
    return [TextTask(f"row{i:03d}", prompt, {"facts": f"{SCENE.facts()} #{i}", "draft": DRAFT},
                     DRAFT, Expectation(SCENE)) for i in range(n)]


def config(server, tmp_path, **overrides) -> LLMConfig:
    values = dict(base_url=server.base_url, model="fault-model", timeout=0.5, backoff_base=0.01,
                  backoff_max=0.05, cache_path=str(tmp_path / "cache.sqlite"))
    values.update(overrides)
    return LLMConfig(**values)


@pytest.fixture
def server():
    with FaultServer() as running:
        yield running


def test_faults_are_retried_and_no_item_is_lost(server, tmp_path):
    server.plan = {"#1": ["429", "ok"], "#2": ["500", "500", "ok"], "#3": ["slow", "ok"],
                   "#4": ["empty", "ok"], "#5": ["cut", "ok"], "#6": ["text: A dog.", "ok"]}
    run = generate_texts(tasks(8), config(server, tmp_path), OBJECT_WORDS)
    assert sorted(run.results) == [f"row{i:03d}" for i in range(8)]
    assert all(r.source == "llm" and r.text == DRAFT for r in run.results.values())
    assert run.outcomes == {"llm": 8}
    # empty, cut-off and wrong completions are rejected and asked again
    assert run.validation_failures == {"empty": 1, "cut_off": 1, "missing_object": 1}
    assert [run.results[f"row00{i}"].failures for i in (4, 5)] == [("empty",), ("cut_off",)]
    assert run.results["row006"].attempts == 2
    assert run.retries == 4  # 429, 500, 500, timeout
    assert server.requests == 8 + 4 + 3


def test_retry_after_is_honoured(tmp_path):
    with FaultServer(retry_after="1") as server:
        server.plan = {"#0": ["429", "ok"]}
        generate_texts(tasks(1), config(server, tmp_path), OBJECT_WORDS)
        (first, action, _), (second, _, _) = server.log
    assert action == "429"
    assert second - first >= 1.0


def test_permanent_failures_are_recorded_per_item(server, tmp_path):
    server.plan = {"#0": ["500"] * 3, "#1": ["400"]}
    run = generate_texts(tasks(3), config(server, tmp_path, max_retries=2), OBJECT_WORDS)
    failed, refused, fine = run.results.values()
    assert (failed.source, failed.reason, failed.text) == ("template", "request_failed", DRAFT)
    assert (refused.source, refused.reason) == ("template", "request_failed")
    assert fine.source == "llm"
    assert run.request_errors == {"InternalServerError (HTTP 500)": 1, "BadRequestError (HTTP 400)": 1}
    assert run.outcomes == {"llm": 1, "template_request_failed": 2}
    assert server.requests == 3 + 1 + 1  # the 400 is not retried


def test_failed_validation_falls_back_to_the_template(server, tmp_path):
    server.plan = {"#0": ["text: A tall man wearing a white shirt and a hat."] * 3}
    run = generate_texts(tasks(2), config(server, tmp_path), OBJECT_WORDS)
    result = run.results["row000"]
    assert (result.source, result.reason, result.text, result.attempts) == \
        ("template", "validation", DRAFT, 3)
    assert result.failures == ("extra_object:hat",) * 3
    assert result.provenance() == {"source": "template", "model": "fault-model", "attempts": 3,
                                   "prompt_hash": result.prompt_hash, "fallback_reason": "validation"}
    assert run.results["row001"].provenance()["source"] == "llm"


def test_rerun_is_served_by_the_cache(server, tmp_path):
    first = generate_texts(tasks(6), config(server, tmp_path), OBJECT_WORDS)
    sent = server.requests
    second = generate_texts(tasks(6), config(server, tmp_path), OBJECT_WORDS)
    assert server.requests == sent == 6
    assert second.requests == 0 and second.cache_hits == 6
    assert second.results == first.results


def test_concurrency_is_bounded(tmp_path):
    with FaultServer(delay=0.2) as server:
        generate_texts(tasks(12), config(server, tmp_path, max_concurrency=3, timeout=5), OBJECT_WORDS)
    assert server.max_in_flight == 3


def test_request_budget_stops_spending(server, tmp_path):
    run = generate_texts(tasks(5), config(server, tmp_path, max_requests=2, max_concurrency=1),
                         OBJECT_WORDS)
    assert server.requests == 2
    assert run.outcomes == {"llm": 2, "template_budget": 3}


def test_token_budget_stops_spending(server, tmp_path):
    one = estimate(tasks(1), config(server, tmp_path)).tokens
    run = generate_texts(tasks(5), config(server, tmp_path, max_total_tokens=one * 2 + 1,
                                          max_concurrency=1), OBJECT_WORDS)
    assert 1 <= server.requests <= 2
    assert run.outcomes["template_budget"] >= 3


def test_dry_run_spends_nothing(server, tmp_path):
    cfg = config(server, tmp_path, max_attempts=3)
    before = estimate(tasks(4), cfg)
    assert server.requests == 0
    assert (before.tasks, before.cached, before.requests, before.worst_case_requests) == (4, 0, 4, 12)
    assert before.tokens > 4 * cfg.max_tokens
    generate_texts(tasks(4), cfg, OBJECT_WORDS)
    after = estimate(tasks(4), cfg)
    assert (after.cached, after.requests, after.tokens) == (4, 0, 0)
    assert "4 answered by the cache" in after.format()


def test_chat_endpoint(server, tmp_path):
    run = generate_texts(tasks(2), config(server, tmp_path, endpoint="chat"), OBJECT_WORDS)
    assert run.outcomes == {"llm": 2}
    assert server.log[0][2].startswith("Facts:")


def test_api_key_is_used_but_never_written(server, tmp_path, monkeypatch, caplog):
    secret = "sk-test-6f1d0c9e-never-write-me"
    monkeypatch.setenv("CREPE_TEST_LLM_KEY", secret)
    caplog.set_level(logging.DEBUG)
    cfg = config(server, tmp_path, api_key_env="CREPE_TEST_LLM_KEY")
    server.plan = {"#0": ["429", "ok"], "#1": ["400"]}
    run = generate_texts(tasks(3), cfg, OBJECT_WORDS)
    assert server.auth_headers[0] == f"Bearer {secret}"
    written = [json.dumps(run.manifest(cfg)), repr(cfg), caplog.text,
               json.dumps([r.provenance() for r in run.results.values()])]
    written += [p.read_bytes().decode("latin-1") for p in tmp_path.iterdir() if p.is_file()]
    assert all(secret not in text for text in written)
    assert "CREPE_TEST_LLM_KEY" in json.dumps(run.manifest(cfg))  # the variable's name only


def test_results_do_not_depend_on_concurrency(server, tmp_path):
    runs = []
    for concurrency in (1, 6):
        server.plan = {"#2": ["text: A man."] * 2, "#4": ["500", "ok"]}
        runs.append(generate_texts(tasks(6), config(server, tmp_path / str(concurrency),
                                                    max_concurrency=concurrency), OBJECT_WORDS))
    assert runs[0].results == runs[1].results
    assert runs[0].outcomes == runs[1].outcomes == {"llm": 6}


def test_config_from_yaml_and_flags(tmp_path):
    path = tmp_path / "llm.yaml"
    path.write_text("llm:\n  base_url: http://h/v1\n  model: m\n  max_concurrency: 4\n")
    assert LLMConfig.from_yaml(path, max_concurrency=None).max_concurrency == 4
    assert LLMConfig.from_yaml(path, max_concurrency=16).max_concurrency == 16
    parser = argparse.ArgumentParser()
    add_llm_arguments(parser)
    args = parser.parse_args(["--llm-config", str(path), "--llm-timeout", "9", "--llm-endpoint", "chat"])
    cfg = config_from_args(args, default_cache=tmp_path / "c.sqlite")
    assert (cfg.model, cfg.timeout, cfg.endpoint, cfg.cache_path) == ("m", 9.0, "chat",
                                                                       str(tmp_path / "c.sqlite"))


@pytest.mark.parametrize("text, message", [
    ("llm:\n  base_url: http://h/v1\n  model: m\n  api_key: sk-1\n", "environment variable"),
    ("llm:\n  base_url: http://h/v1\n  model: m\n  colour: red\n", "unknown key 'colour'"),
    ("llm:\n  base_url: http://h/v1\n  model: m\n  endpoint: edits\n", "expected one of"),
    ("llm:\n  base_url: http://h/v1\n  model: m\n  max_concurrency: 0\n", "at least 1"),
    ("- a list\n", "expected a mapping"),
])
def test_bad_config_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "llm.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        LLMConfig.from_yaml(path)


@pytest.mark.parametrize("name", PROMPTS)
def test_every_prompt_renders_for_both_endpoints(name):
    prompt = load_prompt(name)
    fields = {"facts": "red car", "draft": "red car."}
    text = prompt.render("completions", fields)
    assert text.count("Draft:") == len(prompt.examples) + 1 and text.endswith(":")
    messages = prompt.render("chat", fields)
    assert [m["role"] for m in messages] == ["system"] + ["user", "assistant"] * len(prompt.examples) + ["user"]


def test_cache_is_keyed_by_parameters(server, tmp_path):
    generate_texts(tasks(2), config(server, tmp_path), OBJECT_WORDS)
    generate_texts(tasks(2), config(server, tmp_path, max_tokens=32), OBJECT_WORDS)
    generate_texts(tasks(2), config(server, tmp_path, model="other"), OBJECT_WORDS)
    assert server.requests == 6
    generate_texts(tasks(2), dataclasses.replace(config(server, tmp_path), timeout=3), OBJECT_WORDS)
    assert server.requests == 6  # the timeout does not change a completion


def test_productivity_rows_through_the_llm_pass(server, tmp_path):
    """Every template text of a real productivity run passes validation (the
    server echoes the drafts); a row with one rejected text keeps all its
    template texts; the dry run sends nothing and writes nothing."""
    from crepe_gen.productivity.rewording import rewrite_cells
    from crepe_gen.productivity.stage import ProductivityConfig, run_productivity
    from crepe_gen.vg.reader import VisualGenome

    vg_config = ProductivityConfig(levels=(4, 6), per_level=2, max_images=30)
    llm = config(server, tmp_path, timeout=10)
    estimate_only = run_productivity(VisualGenome(), tmp_path / "dry", vg_config, llm=llm, llm_dry_run=True)
    assert server.requests == 0 and not list((tmp_path / "dry").rglob("*.csv"))
    assert not (tmp_path / "dry" / "manifest.json").exists()
    assert estimate_only["llm_estimate"]["requests"] == 3 * 2 * 2 * 6

    section = run_productivity(VisualGenome(), tmp_path / "out", vg_config, llm=llm)
    assert section["llm"]["rows"] == {"llm": 12} and section["llm"]["texts"] == {"llm": 72}
    assert section["llm"]["validation_failures"] == {}
    record = json.loads((tmp_path / "out/productivity/swap/prod_vg_hard_negs_swap_complexity_4.jsonl")
                        .read_text().splitlines()[0])
    assert record["provenance"]["llm"]["source"] == "llm"
    assert record["caption"] == record["provenance"]["template_texts"][0]
    files = {p: p.read_bytes() for p in sorted((tmp_path / "out" / "productivity").rglob("*"))
             if p.suffix in (".csv", ".jsonl")}
    sent = server.requests
    again = run_productivity(VisualGenome(), tmp_path / "out", vg_config, llm=llm)
    assert server.requests == sent and again["llm"]["cache_hits"] == 72
    assert {p: p.read_bytes() for p in files} == files  # byte-identical from the cache

    # one bad foil text spoils its whole row: no fluent/template mix inside a row
    from crepe_gen.language.lexicon import Lexicon

    cells = {("swap", 4): [({"caption": record["caption"], "hard_negs": record["hard_negs"]},
                            record["provenance"])]}
    server.plan = {f"Draft: {record['hard_negs'][0]}\n": ["text: A cat."] * 3}
    lexicon = Lexicon.from_graphs(VisualGenome().scene_graphs())
    rewritten, llm_section = rewrite_cells(cells, dataclasses.replace(llm, cache_path=None), lexicon)
    ((csv_row, provenance),) = rewritten[("swap", 4)]
    assert llm_section["rows"] == {"template_validation": 1}
    assert llm_section["texts"] == {"llm": 5, "template_validation": 1}
    assert provenance["llm"]["text_sources"] == ["llm"] + ["template"] + ["llm"] * 4
    assert (csv_row["caption"], csv_row["hard_negs"]) == (record["caption"], record["hard_negs"])


def test_cache_keys_and_prompt_hashes_are_those_of_existing_caches():
    """Keys made through core.fingerprint equal the SHA-256 of the canonical
    JSON that earlier caches were written with (values fixed from that code)."""
    import hashlib

    from crepe_gen.llm.client import Request
    from crepe_gen.llm.generate import _prompt_hash

    completions = Request.make(LLMConfig(base_url="http://h/v1", model="m"),
                               "Facts: red caf\u00e9\nCaption:", ("\n",))
    assert completions.key == "46dbb0d117d19cd8f84dc09e546a1e28c91e58bae930673f895c9d439a6dae0b"
    messages = [{"role": "user", "content": "Hi"}]
    chat = Request.make(LLMConfig(base_url="http://h/v1", model="m", endpoint="chat"), messages, ("\n",), 1)
    assert chat.key == "2be27ff9bb21c881590d045bdf268e27e7b7c106521a406b013f172c7ff31bc3"
    legacy = json.dumps(messages, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert _prompt_hash(messages) == hashlib.sha256(legacy.encode("utf-8")).hexdigest()[:16]


def test_validation_reads_names_as_the_captions_say_them():
    scene = Scene.build({1: "man", 2: "pant"}, [(2, "black")], [(1, "wearing", 2)])
    text = render(scene)
    assert text == "A man is wearing black pants."
    assert check_text(text, Expectation(scene), frozenset({"man", "pant", "pants", "shirt"})) == []
    assert check_text("A man is wearing a black shirt.", Expectation(scene),
                      frozenset({"man", "pant", "pants", "shirt"})) == ["missing_object:pant", "extra_object:shirt"]
