"""The build: config files, resumable stages, audit exit status, determinism."""

from __future__ import annotations

import importlib.util
import logging
import shutil
from pathlib import Path

import pytest

from crepe_gen import build
from crepe_gen.build import BuildConfig, load_build_config, run_build
from crepe_gen.cli import main
from crepe_gen.core.errors import ConfigError

from test_evaluate import make_bench

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
LATE_STAGES = ("audit", "eval", "card", "export")


def late_config(out, audit=None, **sections):
    """The late stages over a small hand-made set (a few cells: audited with ``partial``)."""
    return BuildConfig.from_dict({"out": str(out), "stages": list(LATE_STAGES), "eval": {"n_bootstrap": 50},
                                  "audit": {"partial": True, **(audit or {})}, **sections})


def test_sample_config_spells_out_the_defaults():
    sample = load_build_config(CONFIGS / "sample.yaml")
    defaults = load_build_config(None)
    assert sample.stages == defaults.stages and sample.out == defaults.out == "crepe_out"
    for stage in defaults.stages:
        ctx = build.BuildContext(sample, Path("unused"))
        if stage in {"vocab", "eval", "card", "export"}:
            assert build.STAGES[stage].config(ctx) == build.STAGES[stage].config(
                build.BuildContext(defaults, Path("unused"))), stage
    for path in sorted(CONFIGS.glob("*.yaml")):
        load_build_config(path)


def test_bad_configs(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages: [productivity, polish]\n")
    with pytest.raises(ConfigError, match="unknown stages polish"):
        load_build_config(bad)
    bad.write_text("card: {colour: red}\n")
    config = load_build_config(bad)
    with pytest.raises(ConfigError, match="section 'card': unknown key 'colour'"):
        build.STAGES["card"].config(build.BuildContext(config, tmp_path))
    bad.write_text("- a list\n")
    assert main(["build", "--config", str(bad), "--out", str(tmp_path / "o")]) == 2


def test_productivity_config_faults_name_the_file_and_key(tmp_path):
    from crepe_gen.productivity.stage import ProductivityConfig

    bad = tmp_path / "prod.yaml"
    bad.write_text("sampling: {atempts: 3}\n")
    with pytest.raises(ConfigError, match=r"prod.yaml: sampling: unknown key 'atempts'"):
        ProductivityConfig.from_yaml(bad)
    bad.write_text("foil_types: [atom, colour]\n")
    with pytest.raises(ConfigError, match=r"prod.yaml: unknown foil type"):
        ProductivityConfig.from_yaml(bad)
    assert ProductivityConfig(workers=1).fingerprint() == ProductivityConfig(workers=4).fingerprint()
    assert ProductivityConfig(seed=1).fingerprint() != ProductivityConfig().fingerprint()


def test_stages_resume_and_redo_only_what_changed(tmp_path):
    out = make_bench(tmp_path / "out")
    first = run_build(late_config(out), progress=False)
    assert first.ran == list(LATE_STAGES) and first.audit_passed is True
    produced = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and ".build" not in p.parts}
    assert (out / "hf/README.md").exists() and (out / "card/rows_per_level.png").exists()

    again = run_build(late_config(out), progress=False)
    assert again.ran == [] and again.skipped == list(LATE_STAGES)

    (out / "card/rows_per_level.png").unlink()
    redo = run_build(late_config(out), progress=False)
    assert redo.ran == ["card"]  # the card comes back byte-identical, so export stays done
    assert {p: p.read_bytes() for p in produced} == produced

    (out / "eval/text__shortest.csv").write_text("edited\n")
    assert run_build(late_config(out), progress=False).ran == ["eval"]

    changed = run_build(late_config(out, audit={"margin": 0.1}), progress=False)
    assert changed.ran == ["audit", "card", "export"]


def test_killed_stage_reruns_alone(tmp_path, monkeypatch):
    out = make_bench(tmp_path / "out")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("crepe_gen.release.export.export_hf", killed)
    with pytest.raises(KeyboardInterrupt):
        run_build(late_config(out), progress=False)
    assert not (out / ".build/export.json").exists()
    monkeypatch.undo()
    assert run_build(late_config(out), progress=False).ran == ["export"]


def test_failing_audit_exits_1_and_card_says_so(tmp_path, capsys):
    out = make_bench(tmp_path / "out")
    config = tmp_path / "strict.yaml"
    config.write_text("stages: [audit, eval, card, export]\n"
                      "audit: {min_rows: 1, strict_margin: true, classifier: false}\n"
                      "eval: {n_bootstrap: 20}\n")
    assert main(["build", "--config", str(config), "--out", str(out)]) == 1
    assert "audit FAILED" in capsys.readouterr().out
    assert "text-only audit: **FAILED**" in (out / "README.md").read_text()
    assert "text-only audit: **FAILED**" in (out / "hf/README.md").read_text()
    assert main(["build", "--config", str(config), "--out", str(out)]) == 1  # still failing when skipped


STAGE_MODULES = all(importlib.util.find_spec(f"crepe_gen.{name}") for name in ("productivity", "systematicity"))


@pytest.mark.slow
@pytest.mark.skipif(not STAGE_MODULES, reason="productivity/systematicity stages not present")
def test_default_build_end_to_end_is_deterministic(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status = main(["build"])
    out = tmp_path / "crepe_out"
    assert status in (0, 1) and (out / "README.md").exists()
    assert list(out.glob("productivity/*/*.csv")) and list(out.glob("systematicity/*.csv"))
    assert list(out.glob("hf/*/*.parquet")) and len(list(out.glob("card/*.png"))) == 3
    assert main(["build"]) == status  # everything up to date
    second = tmp_path / "elsewhere" / "second"  # another name at another depth
    assert main(["build", "--out", str(second)]) == status

    def contents(root):  # every file: records hold paths relative to the folder, and no timings
        return {p.relative_to(root): p.read_bytes() for p in root.rglob("*")
                if p.is_file() and ".eval_cache" not in p.parts and p.suffix != ".log"}
    first, other = contents(out), contents(second)
    assert sorted(first) == sorted(other)
    assert [p for p in first if first[p] != other[p]] == []


def test_verify_round_trips_and_names_an_edited_file(tmp_path, run_cli, caplog):
    out = make_bench(tmp_path / "out")
    run_build(late_config(out), progress=False)
    moved = tmp_path / "moved"
    shutil.copytree(out, moved)  # a moved or copied build still verifies
    done = run_cli("verify", moved)
    assert done.returncode == 0 and "0 differ: verification passed" in done.stdout, done.stdout + done.stderr
    edited = moved / "eval" / "text__shortest.csv"
    edited.write_text("edited\n")
    done = run_cli("verify", moved)
    assert done.returncode == 1 and "differs: eval/text__shortest.csv (stage eval)" in done.stdout, done.stdout
    assert done.stdout.strip().endswith("1 differ: verification FAILED")
    with caplog.at_level(logging.WARNING):
        run_build(late_config(moved), progress=False)
    assert "stage eval: its outputs were changed: eval/text__shortest.csv; rerunning" in caplog.text
    with caplog.at_level(logging.WARNING):
        run_build(late_config(moved, audit={"margin": 0.1}), progress=False)
    assert "stage audit: its configuration changed; rerunning" in caplog.text
    assert run_cli("verify", tmp_path).returncode == 2  # no build record there
