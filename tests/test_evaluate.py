"""Evaluation harness on tiny benchmarks whose answers are known."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from crepe_gen.cli import main
from crepe_gen.core.errors import InputError
from crepe_gen.bench.reader import load_benchmark
from crepe_gen.evaluation.harness import EvalConfig, bootstrap_metrics, evaluate, read_results, write_results
from crepe_gen.bench.writer import write_csv_atomic
from crepe_gen.evaluation.models import TextRuleAdapter

PROD_COLUMNS = ["image_id", "caption", "n", "n_objects", "n_relations", "n_attributes",
                "n_connected_components", "hard_negs", "x", "y", "width", "height"]
SYST_COLUMNS = ["image_id", "region_id", "caption", "x", "y", "width", "height",
                "valid_hard_negs_atom", "valid_hard_negs_comp", "valid_hard_negs_combined"]


def prod_row(image_id, caption, negs, n=4, box=(10.0, 10.0, 40.0, 30.0)):
    return {"image_id": image_id, "caption": caption, "n": n, "n_objects": 2, "n_relations": 1,
            "n_attributes": n - 3, "n_connected_components": 1, "hard_negs": list(negs),
            "x": box[0], "y": box[1], "width": box[2], "height": box[3]}


def syst_row(image_id, region_id, caption, atom, comp, combined, box=(5.0, 5.0, 50.0, 40.0)):
    return {"image_id": image_id, "region_id": region_id, "caption": caption, "x": box[0], "y": box[1],
            "width": box[2], "height": box[3], "valid_hard_negs_atom": list(atom),
            "valid_hard_negs_comp": list(comp), "valid_hard_negs_combined": list(combined)}


def make_bench(root: Path) -> Path:
    """A tiny benchmark: the shortest caption is the positive in 3 of 4 atom rows,
    in every negate row, and (systematicity) in all atom and no comp lists."""
    atom = [
        prod_row(1, "a red cup", ["a red mug on it", "a blue cup there", "a red cup on a table"]),
        prod_row(2, "a dog on grass", ["a cat on the grass", "a dog in the water", "a puppy on grass!"]),
        prod_row(3, "a man with a hat", ["a woman with a hat", "a man with a bag?", "a boy with a hats"]),
        prod_row(1, "a long tall green tree", ["a bush", "a short green tree", "a tall tree"], n=5),
    ]
    negate = [
        prod_row(2, "a dog", ["A dog with no grass", "A dog not on grass", "No dog here"]),
        prod_row(3, "a hat", ["A man without a hat", "Not a hat at all", "No hat on him"], n=5),
    ]
    write_csv_atomic(root / "productivity/atom/prod_vg_hard_negs_atom_complexity_4.csv", PROD_COLUMNS, atom[:3])
    write_csv_atomic(root / "productivity/atom/prod_vg_hard_negs_atom_complexity_5.csv", PROD_COLUMNS, atom[3:])
    write_csv_atomic(root / "productivity/negate/prod_vg_hard_negs_negate_complexity_4.csv", PROD_COLUMNS,
                     negate[:1])
    write_csv_atomic(root / "productivity/negate/prod_vg_hard_negs_negate_complexity_5.csv", PROD_COLUMNS,
                     negate[1:])
    syst = [
        syst_row(1, 11, "red cup", ["blue cup!"], ["red ox"], ["blue table!"]),
        syst_row(2, 21, "brown dog", ["black dog!"], ["tan dog"], []),
    ]
    write_csv_atomic(root / "systematicity/syst_vg_hard_negs_seen_compounds_in_cc12m.csv", SYST_COLUMNS, syst)
    write_csv_atomic(root / "systematicity/syst_vg_hard_negs_unseen_compounds_in_cc12m.csv", SYST_COLUMNS,
                     syst[:1])
    return root


def group(results, grouping, **key):
    found = [g for g in results["groups"] if g["grouping"] == grouping
             and all(g[name] == value for name, value in key.items())]
    assert len(found) == 1, found
    return found[0]


def test_load_benchmark_items(tmp_path):
    items, problems = load_benchmark(make_bench(tmp_path))
    # 4 atom + 2 negate rows; seen: 3 + 2 lists (an empty one gives no item); unseen: 3
    assert len(items) == 6 + 5 + 3 and problems.total == 0
    first = items[0]
    assert first.task == "productivity" and first.level == 4 and first.foil == "atom"
    assert first.candidates[0] == "a red cup" and first.box == (10.0, 10.0, 40.0, 30.0)
    split = {item.split for item in items if item.task == "systematicity"}
    assert split == {"seen_compounds_in_cc12m", "unseen_compounds_in_cc12m"}


def test_shortest_rule_known_recalls(tmp_path):
    results = evaluate(make_bench(tmp_path), TextRuleAdapter("shortest"), config=EvalConfig(n_bootstrap=200))
    atom = group(results, "foil", task="productivity", foil="atom")
    # rows 1-3: positive strictly shortest; row 4: positive is the longest of 4 -> rank 4
    assert atom["items"] == 4 and atom["ties"] == 0
    assert atom["recall@1"]["value"] == 0.75 and atom["recall@3"]["value"] == 0.75
    assert atom["recall@5"]["value"] == 1.0 and atom["mean_rank"]["value"] == pytest.approx(7 / 4)
    assert atom["chance_recall@1"] == 0.25
    assert group(results, "level", task="productivity", foil="atom", level=5)["recall@1"]["value"] == 0.0
    assert group(results, "foil", task="productivity", foil="negate")["recall@1"]["value"] == 1.0
    assert group(results, "split_foil", task="systematicity", split="seen_compounds_in_cc12m",
                 foil="comp")["recall@1"]["value"] == 0.0
    assert group(results, "split_foil", task="systematicity", split="seen_compounds_in_cc12m",
                 foil="atom")["recall@1"]["value"] == 1.0
    assert group(results, "task", task="systematicity")["items"] == 8


def test_ties_split_credit_as_the_audit_does(tmp_path):
    results = evaluate(make_bench(tmp_path), TextRuleAdapter("constant"), config=EvalConfig(n_bootstrap=50))
    assert results["ties"] == results["items"] == 14
    negate = group(results, "foil", task="productivity", foil="negate")
    candidates = round(1 / negate["chance_recall@1"])
    # every candidate tied: Recall@k is k / candidates, the rank the middle one
    assert negate["recall@1"]["value"] == pytest.approx(negate["chance_recall@1"])
    assert negate["recall@3"]["value"] == pytest.approx(min(1.0, 3 / candidates))
    assert negate["mean_rank"]["value"] == pytest.approx((candidates + 1) / 2) and negate["ties"] == 2
    # lowercase rule ties among the capitalised negatives only: no tie with the positive
    lower = evaluate(tmp_path, TextRuleAdapter("lowercase"), config=EvalConfig(n_bootstrap=50))
    assert group(lower, "foil", task="productivity", foil="negate")["ties"] == 0


def test_bootstrap_interval_is_seeded_and_sane():
    above = np.array([0] * 60 + [1] * 30 + [4] * 10)  # ranks 1, 2 and 5
    first = bootstrap_metrics(above, n_bootstrap=2000, seed=7)
    assert first == bootstrap_metrics(above, n_bootstrap=2000, seed=7)
    assert first != bootstrap_metrics(above, n_bootstrap=2000, seed=8)
    r1 = first["recall@1"]
    assert r1["value"] == 0.6 and 0.48 < r1["ci_low"] < 0.6 < r1["ci_high"] < 0.72
    assert first["median_rank"]["value"] == 1.0 and first["mean_rank"]["value"] == 1.7
    assert bootstrap_metrics(np.array([0, 0, 0]), n_bootstrap=10)["recall@1"] == \
        {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0}


def test_results_json_csv_and_determinism(tmp_path):
    bench = make_bench(tmp_path / "bench")
    outs = []
    for name in ("a", "b"):
        results = evaluate(bench, TextRuleAdapter("shortest"), config=EvalConfig(n_bootstrap=100))
        outs.append(write_results(results, tmp_path / name / "r.json"))
    assert outs[0][0].read_bytes() == outs[1][0].read_bytes()
    assert outs[0][1].read_bytes() == outs[1][1].read_bytes()
    header = outs[0][1].read_text().splitlines()[0].split(",")
    assert {"recall@1", "recall@1_low", "recall@1_high", "mean_rank", "ties", "level", "split"} <= set(header)
    assert read_results(outs[0][0])["model"] == "text:shortest"


def test_missing_images_listed(tmp_path):
    bench = make_bench(tmp_path / "bench")
    images = tmp_path / "images" / "VG_100K"
    images.mkdir(parents=True)
    from PIL import Image
    Image.new("RGB", (80, 60)).save(images / "2.jpg")

    class NeedsImages(TextRuleAdapter):
        needs_images = True

    with pytest.raises(InputError, match=r"2 of 3 images not found.*ids 1, 3"):
        evaluate(bench, NeedsImages("shortest"), tmp_path / "images")


def test_bad_row_strict_and_lenient(tmp_path):
    bench = make_bench(tmp_path)
    path = bench / "productivity/atom/prod_vg_hard_negs_atom_complexity_4.csv"
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("['a cat", "['a cat' +")  # not a literal list in row 2
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"complexity_4\.csv: row 2 \(hard_negs = .*\): "
                                         r"column hard_negs is not a Python-literal list of strings"):
        load_benchmark(bench)
    items, problems = load_benchmark(bench, lenient=True)
    assert problems.total == 1 and len(items) == 13


def test_missing_column_strict_and_lenient(tmp_path):
    bench = make_bench(tmp_path)
    path = bench / "productivity/negate/prod_vg_hard_negs_negate_complexity_4.csv"
    path.write_text(path.read_text().replace(",width,", ",w,", 1))
    with pytest.raises(InputError, match=r"complexity_4\.csv: missing column\(s\) width$"):
        load_benchmark(bench)
    items, problems = load_benchmark(bench, lenient=True)  # the file is skipped and counted
    assert problems.total == 1 and len(items) == 13


def test_eval_cli_text_baseline(tmp_path, capsys):
    bench = make_bench(tmp_path / "bench")
    out = tmp_path / "res.json"
    assert main(["eval", "--bench", str(bench), "--model", "text:shortest", "--out", str(out),
                 "--bootstrap", "50"]) == 0
    assert "productivity" in capsys.readouterr().out
    assert json.loads(out.read_text())["items"] == 14 and out.with_suffix(".csv").exists()
    assert main(["eval", "--bench", str(tmp_path / "nothing"), "--model", "text:shortest"]) == 2
    assert "nothing: not found" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["eval", "--bench", str(tmp_path / "empty"), "--model", "text:shortest"]) == 2
    assert "no CREPE-format CSV" in capsys.readouterr().err
    assert main(["eval", "--bench", str(bench), "--model", "clip"]) == 2


def test_audit_and_eval_agree_on_every_row_rule(tmp_path):
    """One rule, one number: each audit baseline that reads one row alone
    scores the same Recall@1 as the text: model of its name, ties split alike."""
    from crepe_gen.evaluation.audit import AuditConfig, audit_paths
    from crepe_gen.evaluation.baselines import ROW_RULES

    bench = make_bench(tmp_path / "bench")
    report = audit_paths([bench / "productivity"], AuditConfig(classifier=False, partial=True))
    for rule in ROW_RULES:
        results = evaluate(bench, TextRuleAdapter(rule), config=EvalConfig(n_bootstrap=20))
        for foil in ("atom", "negate"):
            evaluated = group(results, "foil", task="productivity", foil=foil)["recall@1"]["value"]
            audited = report.cell("productivity", foil, "all").recall[rule]
            assert evaluated == pytest.approx(audited, abs=1e-6), (rule, foil)


def test_several_models_in_one_run_give_one_table(tmp_path, run_cli):
    bench = make_bench(tmp_path / "bench")
    done = run_cli("eval", "--bench", bench, "--model", "text:shortest", "text:constant")
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if line.startswith("text:")]
    assert {row[0] for row in rows if not row[0].endswith(":")} == {"text:shortest", "text:constant"}
    assert (bench / "eval" / "text__shortest.json").exists() and (bench / "eval" / "text__constant.json").exists()
    assert run_cli("eval", "--bench", bench, "--model", "text:shortest", "text:constant",
                   "--out", tmp_path / "r.json").returncode == 2
