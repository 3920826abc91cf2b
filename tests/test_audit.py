"""The blind-bias audit: defects found, balanced sets passed, CSVs read strictly."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
import random
import string

import pytest

from crepe_gen.evaluation import audit
from crepe_gen.evaluation.audit import AuditConfig, Item, audit_items, audit_paths
from crepe_gen.textonly.classifier import grouped_folds, tie_split_credit
from crepe_gen.cli import main
from crepe_gen.core.errors import InputError
from crepe_gen.bench.writer import write_csv_atomic

from crepe_fixtures import (PRODUCTIVITY_COLUMNS, write_productivity_set,
                            write_systematicity_file)

LEARNED = ("ngram_classifier", "structure_classifier")
RULES = [name for name in audit.BASELINES if name not in LEARNED]
#: Rules that tie on every row of the balanced fixture (equal lengths, casing, words).
TIED_RULES = [name for name in RULES if name != "centroid"]


@pytest.fixture(scope="module")
def released_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("released")
    write_productivity_set(out, "released", rows=40, seed=1)
    return out


@pytest.fixture(scope="module")
def balanced_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("balanced")
    write_productivity_set(out, "balanced", rows=40, seed=2)
    return out


@pytest.fixture(scope="module")
def released_report(released_dir):
    return audit_paths([released_dir], AuditConfig())


def productivity_row(image_id, caption, negatives, n=4):
    return {"image_id": image_id, "caption": caption, "n": n, "n_objects": 2, "n_relations": 1,
            "n_attributes": n - 3, "n_connected_components": 1, "hard_negs": negatives,
            "x": 0.0, "y": 0.0, "width": 1.0, "height": 1.0}


def write_rows(path, rows, columns=PRODUCTIVITY_COLUMNS):
    write_csv_atomic(path, columns, rows)
    return path


# ---------------------------------------------------------------- verdicts

def test_released_defects_fail_with_the_right_baselines(released_report):
    report = released_report
    assert not report.passed
    for level in ("4", "5", "6", "all"):
        negate = report.cell("productivity", "negate", level)
        assert {"no_negation", "shortest", "lowercase"} <= set(negate.failing)
        assert negate.recall["no_negation"] == 1.0 and negate.verdict == "FAIL"
        atom = report.cell("productivity", "atom", level)
        assert {"unknown_words", "ngram_classifier", "centroid"} <= set(atom.failing)
        assert "no_negation" not in atom.failing and "lowercase" not in atom.failing
        swap = report.cell("productivity", "swap", level)
        assert {"lowercase", "odd_casing"} <= set(swap.failing)
        assert "unknown_words" not in swap.failing and "shortest" not in swap.failing
    assert report.cell("productivity", "negate", "all").rows == 120
    table = report.format_table()
    assert "FAILED" in table.splitlines()[-1] and "no-neg" in table


def test_balanced_set_passes_and_rules_score_chance_exactly(balanced_dir):
    report = audit_paths([balanced_dir], AuditConfig(partial=True))  # levels 4 to 6 of 4 to 12
    assert report.passed, report.format_table()
    for cell in report.cells:
        assert cell.judged and cell.verdict == "pass" and cell.equal_negatives == 0
        for name in TIED_RULES:
            assert cell.recall[name] == pytest.approx(cell.chance, abs=1e-12), (cell.level, name)
        for name in ("centroid", *LEARNED):
            assert abs(cell.recall[name] - cell.chance) < cell.threshold
    assert report.format_table().splitlines()[-1] == "PASSED"


def test_ties_split_credit_so_uninformative_rules_score_chance():
    assert tie_split_credit([1.0, 1.0, 1.0]) == pytest.approx(1 / 3)
    assert tie_split_credit([2.0, 2.0, 1.0, 0.0]) == 0.5
    assert tie_split_credit([1.0, 2.0, 2.0]) == 0.0
    assert tie_split_credit([2.0, 1.0]) == 1.0
    # Varying numbers of candidates, all alike: every rule scores the mean of 1/k.
    items = [Item("productivity", "atom", "4", i, "a red cup", ("a red cup",) * (1 + i % 4))
             for i in range(40)]
    cell = audit_items(items, AuditConfig(classifier=False))[0]
    assert cell.chance == pytest.approx(sum(1 / (2 + i % 4) for i in range(40)) / 40)
    for name in RULES:
        assert cell.recall[name] == pytest.approx(cell.chance, abs=1e-12)
    assert cell.recall["ngram_classifier"] is None


def test_small_cells_are_not_judged_but_equal_negatives_always_fail(tmp_path):
    biased = [productivity_row(i, "a cup", ["There is no cup here."] * 5) for i in range(5)]
    write_rows(tmp_path / "negate" / "small.csv", biased)
    report = audit_paths([tmp_path], AuditConfig(classifier=False))
    cell = report.cell("productivity", "negate", "4")
    assert cell.recall["no_negation"] == 1.0 and not cell.judged
    assert cell.verdict == "not judged" and report.passed
    biased.append(productivity_row(9, "A red cup.", ["a  red cup", "a blue cup"]))
    write_rows(tmp_path / "negate" / "small.csv", biased)
    report = audit_paths([tmp_path], AuditConfig(classifier=False))
    cell = report.cell("productivity", "negate", "4")
    assert cell.equal_negatives == 1 and cell.verdict == "FAIL" and not report.passed


def test_noise_guard_spares_small_cells_and_strict_margin_does_not(tmp_path):
    # 40 rows of equal-length candidates; in 4 the positive is the shortest.
    animals = ["cat", "dog", "cow", "pig"]

    def row(i, short):
        positive, *negatives = [f"a {animals[(i + k) % 4]} sat" for k in range(4)]
        return productivity_row(i, positive[:-4] if short else positive, negatives)

    rows = [row(i, short=i >= 36) for i in range(40)]
    write_rows(tmp_path / "atom" / "rows.csv", rows)
    guarded = audit_paths([tmp_path], AuditConfig(classifier=False))
    cell = guarded.cell("productivity", "atom", "4")
    assert cell.recall["shortest"] - cell.chance == pytest.approx(4 * 0.75 / 40)
    assert cell.threshold > 0.075 and guarded.passed
    strict = audit_paths([tmp_path], AuditConfig(classifier=False, strict_margin=True))
    assert strict.cell("productivity", "atom", "4").failing == ["shortest"]
    assert not strict.passed


def test_centroid_finds_positives_whose_foils_each_edit_a_different_atom():
    rng = random.Random(3)
    colours, objects = ["red", "blue", "green", "black", "white"], ["cup", "mug", "bowl", "jar"]
    edited, same_slot = [], []
    for image in range(60):
        c1, c2 = rng.sample(colours, 2)
        o1, o2 = rng.sample(objects, 2)
        positive = f"a {c1} {o1} on a {c2} {o2}"
        others_c = [c for c in colours if c not in (c1, c2)]
        others_o = [o for o in objects if o not in (o1, o2)]
        # Each foil edits a different slot: the positive is the centroid.
        foils = (f"a {others_c[0]} {o1} on a {c2} {o2}", f"a {c1} {others_o[0]} on a {c2} {o2}",
                 f"a {c1} {o1} on a {others_c[1]} {o2}", f"a {c1} {o1} on a {c2} {others_o[1]}")
        edited.append(Item("productivity", "atom", "4", image, positive, foils))
        # Every foil edits the same slot: no candidate is central.
        same = tuple(f"a {c} {o1} on a {c2} {o2}" for c in others_c)
        same_slot.append(Item("productivity", "atom", "4", image, positive, same))
    config = AuditConfig(classifier=False, baselines=("centroid", "shortest"))
    cell = audit_items(edited, config)[0]
    assert cell.recall["centroid"] == 1.0 and cell.recall["unknown_words"] is None
    assert audit_items(same_slot, config)[0].recall["centroid"] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="unknown baseline"):
        AuditConfig(baselines=("telepathy",))


# ---------------------------------------------------------------- grouped CV

def test_grouped_folds_never_put_an_image_on_both_sides():
    rng = random.Random(0)
    groups = [rng.randrange(50) for _ in range(600)]
    for seed in range(3):
        pairs = grouped_folds(groups, folds=5, seed=seed)
        assert len(pairs) == 5
        tested = []
        for train, test in pairs:
            assert not {groups[i] for i in train} & {groups[i] for i in test}
            tested.extend(test.tolist())
        assert sorted(tested) == list(range(600))
    assert grouped_folds([7, 7, 7], folds=5, seed=0) == []


def _memorization_items(distinct_ids: bool) -> list[Item]:
    """Each image has two rows sharing one positive; every caption holds a
    random token used by no other image, so only memorizing the image helps."""
    rng = random.Random(5)

    def token():
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(8))

    items = []
    for image in range(250):
        positive = f"a photo of {token()}"
        for row in range(2):
            image_id = 2 * image + row if distinct_ids else image
            negatives = tuple(f"a photo of {token()}" for _ in range(5))
            items.append(Item("productivity", "atom", "4", image_id, positive, negatives))
    return items


def test_classifier_and_unknown_words_learn_only_from_other_images():
    grouped = audit_items(_memorization_items(distinct_ids=False), AuditConfig())[0]
    assert grouped.recall["ngram_classifier"] < grouped.chance + 0.06
    assert grouped.recall["unknown_words"] == pytest.approx(grouped.chance)
    # Control: with the two rows under different ids the same data leaks.
    leaky = audit_items(_memorization_items(distinct_ids=True), AuditConfig())[0]
    assert leaky.recall["ngram_classifier"] > leaky.chance + 0.4
    assert leaky.recall["unknown_words"] == pytest.approx(1.0)


# ---------------------------------------------------------------- formats

def test_systematicity_csvs_give_one_cell_per_column_and_split(tmp_path):
    rows = [{"image_id": i, "caption": f"a white {obj}",
             "valid_hard_negs_atom": [f"a golden {obj}"] * (1 + i % 3),
             "valid_hard_negs_comp": [] if i % 2 else [f"a {obj} white"],
             "valid_hard_negs_combined": [f"a {obj} black", f"a black {obj}"]}
            for i, obj in enumerate(["dog", "cat", "cow", "pig"] * 6)]
    write_systematicity_file(tmp_path / "syst_vg_hard_negs_seen_compounds_in_cc12m.csv", rows)
    write_systematicity_file(tmp_path / "syst_vg_hard_negs_unseen_compounds_in_laion.csv", rows[:5])
    report = audit_paths([tmp_path], AuditConfig(classifier=False))
    atom = report.cell("systematicity", "atom", "seen_compounds_in_cc12m")
    assert atom.rows == 24
    assert atom.chance == pytest.approx(sum(1 / (2 + i % 3) for i in range(24)) / 24)
    assert atom.recall["shortest"] == 1.0 and atom.verdict == "FAIL"
    comp = report.cell("systematicity", "comp", "seen_compounds_in_cc12m")
    assert comp.rows == 12 and comp.chance == 0.5 and comp.verdict == "not judged"
    assert report.cell("systematicity", "combined", "unseen_compounds_in_laion").rows == 5
    # The 5 rows shared by both splits count once in the pooled cell.
    assert report.cell("systematicity", "combined", "all").rows == 24
    summary = {s.path.rsplit("/", 1)[-1]: s for s in report.files}
    assert summary["syst_vg_hard_negs_seen_compounds_in_cc12m.csv"].empty == 12
    assert summary["syst_vg_hard_negs_seen_compounds_in_cc12m.csv"].items == 24 * 3 - 12


def test_json_report_and_exit_codes(released_dir, balanced_dir, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["audit", str(released_dir), "--json", str(out)]) == 1
    data = json.loads(out.read_text())
    assert data["passed"] is False and data["config"]["margin"] == 0.05
    assert data["baselines"] == list(audit.BASELINES)
    negate = next(c for c in data["cells"] if c["foil"] == "negate" and c["level"] == "all")
    assert negate["verdict"] == "FAIL" and "no_negation" in negate["failing"]
    assert negate["recall"]["no_negation"] == 1.0 and negate["rows"] == 120
    assert "FAILED" in capsys.readouterr().out
    assert main(["audit", str(balanced_dir), "--json", str(out), "--seed", "3"]) == 1  # 9 of 27 files
    assert json.loads(out.read_text())["coverage"][0]["missing"]
    assert main(["audit", str(balanced_dir), "--json", str(out), "--seed", "3", "--partial"]) == 0
    assert json.loads(out.read_text())["passed"] is True
    assert main(["audit", str(balanced_dir), "--margin", "2"]) == 2
    assert main(["audit", str(released_dir), "--baselines", "longest", "--json", str(out), "--partial"]) == 0
    assert json.loads(out.read_text())["cells"][0]["recall"]["shortest"] is None


def test_same_inputs_and_seed_give_the_same_report(released_dir, released_report):
    again = audit_paths([released_dir], AuditConfig())
    assert json.dumps(again.to_dict(), sort_keys=True) == json.dumps(released_report.to_dict(), sort_keys=True)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("column, value, message", [
    ("hard_negs", "['a dog', ", "row 2 (hard_negs = \"['a dog', \"): column hard_negs is not a Python-literal list of strings"),
    ("hard_negs", "['a dog', 3]", "row 2 (hard_negs = \"['a dog', 3]\"): column hard_negs is not"),
    ("hard_negs", "__import__('os')", "column hard_negs is not a Python-literal list"),
    ("image_id", "seven", "row 2 (image_id = 'seven'): column image_id is not an integer image id"),
    ("n", "", "row 2 (n = ''): column n is not an integer level"),
    ("caption", " ", "column caption is not a non-empty caption"),
])
def test_bad_rows_name_the_file_and_row(tmp_path, capsys, column, value, message):
    rows = [productivity_row(i, "a red cup", ["a blue cup"]) for i in range(3)]
    rows[1][column] = value
    path = write_rows(tmp_path / "atom" / "prod_vg_hard_negs_atom_complexity_4.csv", rows)
    with pytest.raises(InputError, match="row 2 "):
        audit_paths([tmp_path], AuditConfig(classifier=False))
    assert main(["audit", str(tmp_path), "--no-classifier"]) == 2
    errors = [line for line in capsys.readouterr().err.replace("\r", "\n").splitlines()
              if line.startswith("crepe-gen")]
    assert len(errors) == 1 and str(path) in errors[0] and message in errors[0]
    # Lenient mode skips the row and counts it.
    report = audit_paths([tmp_path], AuditConfig(classifier=False, lenient=True))
    assert report.cell("productivity", "atom", "4").rows == 2 and report.problems.total == 1
    [reason] = report.problems.counts
    assert reason.startswith(f"column {column} is not") and "row" not in reason
    assert main(["audit", str(tmp_path), "--lenient", "--no-classifier", "--partial"]) == 0


def test_bad_files(tmp_path, capsys):
    good = [productivity_row(i, "a red cup", ["a blue cup"]) for i in range(3)]
    write_rows(tmp_path / "negate" / "ok.csv", good)
    other = write_rows(tmp_path / "notes.csv", [{"a": 1}], columns=["a"])
    with pytest.raises(InputError, match="notes.csv: not a CREPE CSV"):  # in a folder as named directly
        audit_paths([tmp_path], AuditConfig(classifier=False))
    with pytest.raises(InputError, match="not a CREPE CSV"):
        audit_paths([other], AuditConfig(classifier=False))
    other.unlink()
    report = audit_paths([tmp_path], AuditConfig(classifier=False))
    assert [s.path for s in report.files] == [str(tmp_path / "negate" / "ok.csv")]
    other = write_rows(tmp_path / "notes.csv", [{"a": 1}], columns=["a"])
    unknown = write_rows(tmp_path / "mixed" / "rows.csv", good)
    with pytest.raises(InputError, match="cannot tell the foil type"):
        audit_paths([unknown], AuditConfig(classifier=False))
    missing = tmp_path / "swap" / "rows.csv"
    missing.parent.mkdir()
    missing.write_text("image_id,caption,hard_negs\n1,a cup,['a mug']\n")
    with pytest.raises(InputError, match=r"rows.csv: missing column\(s\) n"):
        audit_paths([missing], AuditConfig(classifier=False))
    binary = tmp_path / "atom" / "bytes.csv"
    binary.parent.mkdir()
    binary.write_bytes(b"image_id,caption,n,hard_negs\n1,\xff\xfe,4,[]\n")
    with pytest.raises(InputError, match="not UTF-8"):
        audit_paths([binary], AuditConfig(classifier=False))
    report = audit_paths([tmp_path], AuditConfig(classifier=False, lenient=True))
    assert report.problems.total == 4 and report.to_dict()["skipped"]
    with pytest.raises(InputError, match="no such file"):
        audit_paths([tmp_path / "absent"], AuditConfig())
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["audit", str(empty)]) == 2
    assert "no CREPE CSV rows" in capsys.readouterr().err


# ---------------------------------------------------------------- fluency

def _fluency_dir(tmp_path, negative_fault: bool):
    rows = []
    for i in range(30):
        positive = f"A man is wearing pants number {i}." if i else "A man is wearing a pant."
        bad = "A man is wearing a jean." if negative_fault else "A man is wearing jeans."
        rows.append(productivity_row(i, positive, [bad, f"A dog is on a mat number {i}."]))
    return write_rows(tmp_path / "atom" / "prod_atom_4.csv", rows)


def test_fluency_table_counts_positives_and_negatives_per_rule(tmp_path):
    unjudged = AuditConfig(classifier=False, min_rows=1000)  # only the fluency target can fail
    report = audit_paths([_fluency_dir(tmp_path, negative_fault=True)], unjudged)
    atom = next(row for row in report.fluency if row.foil == "atom")
    pooled = next(row for row in report.fluency if row.foil == "all")
    assert (atom.positives, atom.negatives) == (30, 60)
    assert atom.flagged["positive"]["plural_only_singular"] == 1
    assert atom.flagged["negative"]["plural_only_singular"] == 30
    assert atom.rate("negative") > atom.rate("positive") and not atom.meets_target(report.config)
    assert pooled.to_dict(report.config)["rates"] == atom.to_dict(report.config)["rates"]
    table = report.format_table()
    assert "Fluency" in table and "plural only singular" in table and "missed" in table
    assert report.to_dict()["fluency"]["judged"] is False
    assert report.passed  # reported, not judged by default
    judged = audit_paths([tmp_path], AuditConfig(classifier=False, min_rows=1000, fluency_verdict=True))
    assert not judged.passed and not judged.fluency_passed


def test_fluency_target_met_and_verdict_flag(tmp_path, capsys):
    path = _fluency_dir(tmp_path, negative_fault=False)
    report = audit_paths([path], AuditConfig(classifier=False, min_rows=1000, fluency_max_positive=0.05,
                                             fluency_verdict=True))
    assert report.fluency_passed and report.passed
    flags = ["audit", str(tmp_path), "--no-classifier", "--min-rows", "1000"]
    assert main(flags) == 0
    assert main(flags + ["--fluency-verdict"]) == 1  # 1 positive of 30 flagged: over 2%
    assert main(flags + ["--fluency-verdict", "--fluency-max-positive", "0.05"]) == 0
    assert "Fluency" in capsys.readouterr().out


def test_copies_of_one_scene_are_grouped_by_their_source(tmp_path):
    """A synthetic folder repeats scenes: grouped by image id, the classifier
    learns each scene from its copies (leakage that fails a sound set);
    grouped by source scene (--image-groups), it cannot."""
    import json
    import random
    rng = random.Random(0)
    colours = ["red", "blue", "green", "black", "white", "brown", "pink", "grey"]
    rows, sources = [], {}
    for scene in range(60):
        true_colour, false_colour = rng.sample(colours, 2)
        for copy in range(3):
            image_id = 1000 * copy + scene
            sources[str(image_id)] = scene
            rows.append(productivity_row(image_id, f"a {true_colour} thing{scene}", [f"a {false_colour} thing{scene}"]))
    write_rows(tmp_path / "atom" / "copies.csv", rows)
    (tmp_path / "sources.json").write_text(json.dumps(sources))
    by_image = audit_paths([tmp_path / "atom"], AuditConfig(baselines=("ngram_classifier",)))
    by_source = audit_paths([tmp_path / "atom"], AuditConfig(baselines=("ngram_classifier",),
                                                             image_groups=str(tmp_path / "sources.json")))
    leaked = by_image.cell("productivity", "atom", "4").recall["ngram_classifier"]
    grouped = by_source.cell("productivity", "atom", "4").recall["ngram_classifier"]
    assert leaked > 0.7 and grouped < 0.6, (leaked, grouped)


# ---------------------------------------------------------------- files in a folder

def _results_csv(path):
    """A CSV as the evaluation harness writes beside its JSON results (not a benchmark file)."""
    from crepe_gen.evaluation.harness import flat_rows
    from crepe_gen.bench.writer import csv_text

    group = {"task": "productivity", "foil": "atom", "level": 4, "items": 3,
             "recall@1": {"value": 0.5, "ci_low": 0.1, "ci_high": 0.9}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(*flat_rows([group])))
    return path


@pytest.mark.parametrize("name, content, reason", [
    ("notes.csv", "a,b\n1,2\n", "not a CREPE CSV (no hard_negs or valid_hard_negs_* columns)"),
    ("productivity/atom/prod_vg_hard_negs_atom_complexity_9.csv", "", "empty file, no CSV header"),
    ("productivity/swap/broken.csv", "image_id,caption,n\n1,a cup,4\n",
     "not a CREPE CSV (no hard_negs or valid_hard_negs_* columns)"),
])
def test_a_folder_with_a_file_that_is_no_benchmark_csv_does_not_pass(tmp_path, run_cli, name, content, reason):
    write_productivity_set(tmp_path, "balanced", rows=40, seed=2)
    _results_csv(tmp_path / "eval" / "text_only.csv")  # what a build writes beside the sets: not read
    assert run_cli("audit", tmp_path, "--no-classifier", "--partial").returncode == 0
    bad = tmp_path / name
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text(content)
    done = run_cli("audit", tmp_path, "--no-classifier")
    assert done.returncode == 2 and "Traceback" not in done.stderr and "PASSED" not in done.stdout
    errors = [line for line in done.stderr.replace("\r", "\n").splitlines() if line.startswith("crepe-gen")]
    assert errors == [f"crepe-gen: error: {bad}: {reason}"], done.stderr
    assert run_cli("audit", bad, "--no-classifier").returncode == 2  # the same file named directly
    lenient = run_cli("audit", tmp_path, "--no-classifier", "--lenient", "--partial")
    assert lenient.returncode == 0, lenient.stderr
    assert lenient.stdout.splitlines()[-1] == f"skipped 1 bad records: 1 x {reason}"
    report = audit_paths([tmp_path], AuditConfig(classifier=False, lenient=True))
    assert report.to_dict()["skipped"] == {reason: 1}
    assert str(tmp_path / "eval" / "text_only.csv") not in [f.path for f in report.files]


# ---------------------------------------------------------------- incomplete or damaged sets

def _whole_set(root: Path) -> Path:
    """A released-layout folder with every one of its 27 files (three rows each)."""
    for foil in ("atom", "swap", "negate"):
        for n in range(4, 13):
            write_rows(root / foil / f"prod_vg_hard_negs_{foil}_complexity_{n}.csv",
                       [productivity_row(i, f"a red cup {i}", [f"a blue cup {i}"], n=n) for i in range(3)])
    return root


def _damage(root: Path, case: str) -> str:
    """Damage the set as *case* says; returns what the audit's output must say."""
    atom7 = root / "atom" / "prod_vg_hard_negs_atom_complexity_7.csv"
    if case == "a file deleted":
        atom7.unlink()
        return "26 of 27 expected files; missing prod_vg_hard_negs_atom_complexity_7.csv"
    if case == "a foil folder deleted":
        shutil.rmtree(root / "negate")
        return "18 of 27 expected files; missing prod_vg_hard_negs_negate_complexity_10.csv"
    if case == "header only":
        atom7.write_text(atom7.read_text().splitlines()[0] + "\n")
        return "no rows in prod_vg_hard_negs_atom_complexity_7.csv"
    if case == "every row twice":
        for path in root.rglob("*.csv"):
            lines = path.read_text().splitlines()
            path.write_text("\n".join(lines + lines[1:]) + "\n")
        return "81 rows repeating an earlier row of their file (counted twice: fails the audit)"
    if case == "a folder named like a CSV":
        (root / "atom" / "more.csv").mkdir()
        return "more.csv: named like a CSV but a folder"
    if case == "a FIFO named like a CSV":
        os.mkfifo(root / "atom" / "more.csv")
        return "more.csv: named like a CSV but not a regular file"
    if case == "a row with extra cells":
        atom7.write_text(atom7.read_text().rstrip("\n") + ",extra\n")
        return "prod_vg_hard_negs_atom_complexity_7.csv: row 3 (1 more): row has more cells than the header"
    raise KeyError(case)


@pytest.mark.parametrize("case, status", [
    ("a file deleted", 1), ("a foil folder deleted", 1), ("header only", 1), ("every row twice", 1),
    ("a folder named like a CSV", 2), ("a FIFO named like a CSV", 2), ("a row with extra cells", 2),
])
def test_an_incomplete_or_damaged_set_does_not_pass(tmp_path, run_cli, case, status):
    root = _whole_set(tmp_path / "set")
    whole = run_cli("audit", root, "--no-classifier")
    assert whole.returncode == 0 and "27 of 27 expected files" in whole.stdout, whole.stdout
    said = _damage(root, case)
    done = run_cli("audit", root, "--no-classifier", timeout=60)
    assert done.returncode == status and said in done.stdout + done.stderr, done.stdout[-1500:] + done.stderr
    assert "Traceback" not in done.stderr


def test_an_empty_negative_list_is_counted(tmp_path, run_cli):
    root = _whole_set(tmp_path / "set")
    path = root / "swap" / "prod_vg_hard_negs_swap_complexity_5.csv"
    write_rows(path, [productivity_row(0, "a red cup", [], n=5)] +
               [productivity_row(i, f"a red cup {i}", [f"a blue cup {i}"], n=5) for i in range(1, 3)])
    done = run_cli("audit", root, "--no-classifier")
    assert "1 negative lists empty (not scored)" in done.stdout, done.stdout


def test_set_literal_rows_of_the_released_layout_are_read_by_audit_and_eval(tmp_path, run_cli):
    """The released download keeps atom/, swap/ and negate/ at its top, and
    some rows store hard_negs as a Python set: both commands read them, in
    the order written, and say how many there were."""
    root = _whole_set(tmp_path / "released")
    path = root / "swap" / "prod_vg_hard_negs_swap_complexity_5.csv"
    text = path.read_text().replace("['a blue cup 1']", "\"{'a blue cup 1', 'a green cup', 'a blue cup 1'}\"")
    path.write_text(text)
    audit_run = run_cli("audit", root, "--no-classifier")
    assert audit_run.returncode == 0, audit_run.stdout + audit_run.stderr
    assert "Set literals: 1 negative lists stored as a Python set, read in the order written; 1 of them named " \
           "a caption twice (kept once)" in audit_run.stdout
    from crepe_gen.bench.reader import load_benchmark

    items, _ = load_benchmark(root)
    [item] = [i for i in items if i.foil == "swap" and i.level == 5 and i.candidates[0] == "a red cup 1"]
    assert item.candidates == ("a red cup 1", "a blue cup 1", "a green cup")
    assert len(items) == 81
    done = run_cli("eval", "--bench", root, "--model", "text:shortest", "--out", tmp_path / "r.json")
    assert done.returncode == 0, done.stderr


def test_an_attacker_that_judged_no_cell_is_named_in_the_verdict(balanced_dir, monkeypatch):
    from crepe_gen.textonly.language_model import CaptionScore

    class Letters:  # a stand-in scorer (fewer letters, more likely): the verdict line is under test
        name = "letters"

        def score(self, texts):
            return [CaptionScore(-len(text), 1) for text in texts]

    monkeypatch.setattr(audit, "load_scorer", lambda spec, cache=None: Letters())
    report = audit_paths([balanced_dir], AuditConfig(classifier=False, partial=True, lm="letters", lm_rows=5))
    assert report.lm_cells and not any(cell.judged for cell in report.lm_cells)
    assert report.format_table().splitlines()[-1] == (
        "PASSED (not counted: the language model judged no cell, each has fewer than 20 rows; raise --lm-rows)")
