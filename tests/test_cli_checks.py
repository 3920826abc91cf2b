"""Bad flags and config values are refused before any work starts: one line on
stderr, exit status 2, nothing written."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from crepe_gen.core.config import check_value, config_from_mapping
from crepe_gen.core.errors import ConfigError
from crepe_gen.productivity.stage import ProductivityConfig

#: Each case: (files to write as {name: text}, command line, words the error line holds).
#: ``{tmp}`` in the command line is the test's folder.
CASES = {
    "yaml_negatives_string": ({"cfg.yaml": 'negatives: "five"\n'},
                              ["productivity", "--out", "{tmp}/out", "--config", "{tmp}/cfg.yaml"],
                              ["cfg.yaml: negatives: expected an integer, got 'five'"]),
    "yaml_per_level_string": ({"cfg.yaml": 'per_level: "10"\n'},
                              ["productivity", "--out", "{tmp}/out", "--config", "{tmp}/cfg.yaml"],
                              ["cfg.yaml: per_level: expected an integer, got '10'"]),
    "yaml_nested_field": ({"cfg.yaml": "sampling:\n  allow_disconnected: maybe\n"},
                          ["productivity", "--out", "{tmp}/out", "--config", "{tmp}/cfg.yaml"],
                          ["cfg.yaml: sampling: allow_disconnected: expected true or false, got 'maybe'"]),
    "yaml_levels_not_integers": ({"cfg.yaml": "levels: [4, five]\n"},
                                 ["productivity", "--out", "{tmp}/out", "--config", "{tmp}/cfg.yaml"],
                                 ["cfg.yaml: levels: item 2: expected an integer, got 'five'"]),
    "yaml_unknown_foil_type": ({"cfg.yaml": "foil_types: [atom, replace]\n"},
                               ["productivity", "--out", "{tmp}/out", "--config", "{tmp}/cfg.yaml"],
                               ["cfg.yaml", "unknown foil type", "replace"]),
    "yaml_negative_seed": ({"cfg.yaml": "seed: -4\n"},
                           ["productivity", "--out", "{tmp}/out", "--config", "{tmp}/cfg.yaml"],
                           ["cfg.yaml: seed: must be 0 or more and below 2**32, got -4"]),
    "seed_negative": ({}, ["productivity", "--out", "{tmp}/out", "--seed", "-1"],
                      ["--seed", "expected an integer >= 0 and < 4294967296, got '-1'"]),
    "seed_too_large": ({}, ["productivity", "--out", "{tmp}/out", "--seed", "4294967296"],
                       ["--seed", "< 4294967296, got '4294967296'"]),
    "yaml_seed_too_large": ({"cfg.yaml": "seed: 123456789012345678901234\n"},
                            ["productivity", "--out", "{tmp}/out", "--config", "{tmp}/cfg.yaml"],
                            ["cfg.yaml: seed: must be 0 or more and below 2**32"]),
    "yaml_key_twice": ({"cfg.yaml": "seed: 0\nseed: 1\n"},
                       ["productivity", "--out", "{tmp}/out", "--config", "{tmp}/cfg.yaml"],
                       ["cfg.yaml: malformed YAML: key 'seed' given twice (line 2, column 1)"]),
    "yaml_nested_2000_deep": ({"cfg.yaml": "a: " + "[" * 2000 + "]" * 2000 + "\n"},
                              ["productivity", "--out", "{tmp}/out", "--config", "{tmp}/cfg.yaml"],
                              ["cfg.yaml: malformed YAML: nested too deeply"]),
    "yaml_foils_zero_negatives": ({"cfg.yaml": "foils:\n  negatives: 0\n"},
                                  ["productivity", "--out", "{tmp}/out", "--config", "{tmp}/cfg.yaml"],
                                  ["cfg.yaml", "foils: negatives and candidates (0, 0) follow the top-level"]),
    "out_empty": ({}, ["productivity", "--out", ""], ["--out: an empty path"]),
    "out_symlink_loop": ({"loop": "-> loop"}, ["systematicity", "--out", "{tmp}/loop"], ["--out", "loop: a symbolic link that loops"]),
    "per_level_zero": ({}, ["productivity", "--out", "{tmp}/out", "--per-level", "0"],
                       ["--per-level", "expected an integer >= 1, got '0'"]),
    "per_level_negative": ({}, ["productivity", "--out", "{tmp}/out", "--per-level", "-3"],
                           ["--per-level", "got '-3'"]),
    "workers_negative": ({}, ["productivity", "--out", "{tmp}/out", "--workers", "-2"],
                         ["--workers", "expected an integer >= 1"]),
    "max_images_zero": ({}, ["productivity", "--out", "{tmp}/out", "--max-images", "0"],
                        ["--max-images", ">= 1"]),
    "out_is_a_file": ({"taken": "x"}, ["productivity", "--out", "{tmp}/taken"],
                      ["--out", "taken: is a file, not a folder"]),
    "out_below_a_file": ({"taken": "x"}, ["systematicity", "--out", "{tmp}/taken/out"],
                         ["--out", "taken is a file, not a folder"]),
    "images_missing": ({}, ["productivity", "--out", "{tmp}/out", "--images", "{tmp}/no_images"],
                       ["--images", "no_images: not found"]),
    "llm_url_without_model": ({}, ["productivity", "--out", "{tmp}/out", "--llm-base-url", "http://127.0.0.1:9/v1"],
                              ["--llm-base-url needs --llm-model"]),
    "llm_url_not_http": ({}, ["productivity", "--out", "{tmp}/out", "--llm-base-url", "127.0.0.1:8000",
                              "--llm-model", "m"], ["base_url", "expected http://"]),
    "llm_negative_retries": ({}, ["productivity", "--out", "{tmp}/out", "--llm-base-url", "http://h/v1",
                                  "--llm-model", "m", "--llm-max-retries", "-1"], ["--llm-max-retries", ">= 0"]),
    "llm_config_without_model": ({"llm.yaml": "base_url: http://h/v1\n"},
                                 ["productivity", "--out", "{tmp}/out", "--llm-config", "{tmp}/llm.yaml"],
                                 ["llm.yaml: missing key 'model'"]),
    "systematicity_unknown_extractor": ({}, ["systematicity", "--out", "{tmp}/out", "--extractor", "magic"],
                                        ["--extractor", "invalid choice: 'magic'"]),
    "systematicity_vocab_missing": ({}, ["systematicity", "--out", "{tmp}/out", "--vocab", "laion={tmp}/v.parquet"],
                                    ["--vocab", "v.parquet: not found"]),
    "systematicity_seed_negative": ({}, ["systematicity", "--out", "{tmp}/out", "--seed", "-1"], ["--seed", ">= 0"]),
    "vocab_captions_missing": ({}, ["vocab", "--out", "{tmp}/v.parquet", "--captions", "{tmp}/none.txt"],
                               ["none.txt: caption path not found"]),
    "vocab_out_is_a_folder": ({"v.parquet/x": "x"}, ["vocab", "--out", "{tmp}/v.parquet"],
                              ["--out", "is a folder, expected a file name"]),
    "vocab_scheduler_without_dask": ({}, ["vocab", "--out", "{tmp}/v.parquet", "--scheduler", "tcp://h:8786"],
                                     ["--scheduler", "needs --executor dask"]),
    "vocab_workers_zero": ({}, ["vocab", "--out", "{tmp}/v.parquet", "--workers", "0"], ["--workers", ">= 1"]),
    "audit_path_missing": ({}, ["audit", "{tmp}/nothing"], ["nothing: not found"]),
    "audit_seed_negative": ({}, ["audit", "{tmp}", "--seed", "-5"], ["--seed", ">= 0"]),
    "audit_json_below_a_file": ({"taken": "x"}, ["audit", "{tmp}", "--json", "{tmp}/taken/r.json"],
                                ["--json", "taken is a file, not a folder"]),
    "eval_bench_missing": ({}, ["eval", "--bench", "{tmp}/nobench", "--model", "text:shortest"],
                           ["--bench", "nobench: not found"]),
    "eval_unknown_text_rule": ({"bench/x": ""}, ["eval", "--bench", "{tmp}/bench", "--model", "text:tallest"],
                               ["unknown text rule 'tallest'"]),
    "eval_batch_size_zero": ({}, ["eval", "--bench", "{tmp}", "--model", "text:shortest", "--batch-size", "0"],
                             ["--batch-size", ">= 1"]),
    "eval_out_is_a_folder": ({"bench/x": ""}, ["eval", "--bench", "{tmp}/bench", "--model", "text:shortest",
                                               "--out", "{tmp}/bench"], ["--out", "is a folder"]),
    "inspect_top_zero": ({}, ["inspect", "--top", "0"], ["--top", ">= 1"]),
    "build_seed_string": ({"b.yaml": "seed: x\n"}, ["build", "--config", "{tmp}/b.yaml", "--out", "{tmp}/out"],
                          ["b.yaml: seed: expected an integer, got 'x'"]),
    "build_section_type": ({"b.yaml": 'productivity:\n  per_level: "10"\n'},
                           ["build", "--config", "{tmp}/b.yaml", "--out", "{tmp}/out"],
                           ["b.yaml: section 'productivity': per_level: expected an integer, got '10'"]),
    "build_late_stage_checked_first": ({"b.yaml": "audit:\n  folds: 1\n"},
                                       ["build", "--config", "{tmp}/b.yaml", "--out", "{tmp}/out"],
                                       ["b.yaml: section 'audit'", "folds must be at least 2"]),
    "build_eval_unknown_model": ({"b.yaml": "eval:\n  models: [text:tallest]\n"},
                                 ["build", "--config", "{tmp}/b.yaml", "--out", "{tmp}/out"],
                                 ["b.yaml: section 'eval'", "unknown text rule 'tallest'"]),
    "build_out_is_a_file": ({"taken": "x"}, ["build", "--out", "{tmp}/taken"], ["--out", "is a file, not a folder"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_flag_or_config_is_one_line_and_exit_2_before_work(run_cli, tmp_path, case):
    files, argv, expected = CASES[case]
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        if text.startswith("-> "):  # a symbolic link
            (tmp_path / name).symlink_to(text[3:])
        else:
            (tmp_path / name).write_text(text)
    before = sorted(tmp_path.rglob("*"))
    started = time.monotonic()
    done = run_cli(*[arg.format(tmp=tmp_path) for arg in argv], timeout=60)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "error: " in lines[0] and all(part in lines[0] for part in expected), lines[0]
    assert sorted(tmp_path.rglob("*")) == before  # nothing was written: no work started
    assert time.monotonic() - started < 20


def _read_only_folder(tmp_path: Path) -> Path | None:
    """A folder this process cannot write into: a mode-555 folder, or, for
    root (whom modes do not stop), a read-only file system's folder."""
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    candidates = [folder] + ([Path("/sys/kernel"), Path("/proc/sys")] if os.geteuid() == 0 else [])
    for candidate in candidates:
        try:
            (candidate / ".probe").mkdir()
        except OSError:
            return candidate
        (candidate / ".probe").rmdir()
    return None


@pytest.mark.parametrize("argv", [
    ["productivity", "--out", "{ro}/out"],
    ["systematicity", "--out", "{ro}/out"],
    ["build", "--out", "{ro}/out"],
    ["vocab", "--out", "{ro}/v.parquet"],
    ["eval", "--bench", "{tmp}", "--model", "text:shortest", "--out", "{ro}/r.json"],
    ["audit", "{tmp}", "--json", "{ro}/r.json"],
])
def test_read_only_output_folder_is_refused_up_front(run_cli, tmp_path, argv):
    read_only = _read_only_folder(tmp_path)
    if read_only is None:
        pytest.skip("no read-only folder to try")
    done = run_cli(*[arg.format(ro=read_only, tmp=tmp_path) for arg in argv], timeout=60)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert f"cannot write there ({read_only} is read-only)" in done.stderr


def test_type_checks_follow_the_annotations():
    assert check_value(tuple[int, ...], [4, 5], "w") == (4, 5)
    assert check_value(float, 1, "w") == 1 and isinstance(check_value(float, 1, "w"), int)  # keys stay
    assert check_value(int | None, None, "w") is None
    with pytest.raises(ConfigError, match="w: expected an integer, got True"):
        check_value(int, True, "w")
    with pytest.raises(ConfigError, match="w: expected a number, got '0.5'"):
        check_value(float, "0.5", "w")
    with pytest.raises(ConfigError, match=r"w: expected a list of integers, got 4"):
        check_value(tuple[int, ...], 4, "w")
    config = config_from_mapping(ProductivityConfig, {"levels": [4, 6], "sampling": {"attempts": 3}}, "c.yaml")
    assert config.levels == (4, 6) and config.sampling.attempts == 3
    with pytest.raises(ConfigError, match="c.yaml: lexicon: expected a mapping, got 'x'"):
        config_from_mapping(ProductivityConfig, {"lexicon": "x"}, "c.yaml")
