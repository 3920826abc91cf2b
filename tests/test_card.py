"""The dataset card and its plots."""

from __future__ import annotations

import pytest

from crepe_gen.release.card import CardConfig, dataset_sizes, write_card
from crepe_gen.evaluation.harness import EvalConfig, evaluate
from crepe_gen.core.io import update_manifest
from crepe_gen.evaluation.models import TextRuleAdapter

from test_evaluate import make_bench


def audit_of(bench):
    audit = pytest.importorskip("crepe_gen.evaluation.audit")
    report = audit.audit_paths([bench / "productivity", bench / "systematicity"],
                               audit.AuditConfig(classifier=False, min_rows=1, strict_margin=True))
    return report.to_dict(), report.format_table()


def test_sizes(tmp_path):
    sizes = dataset_sizes(make_bench(tmp_path))
    assert sizes["productivity"] == {"atom": {4: 3, 5: 1}, "negate": {4: 1, 5: 1}}
    seen = sizes["systematicity"]["seen_compounds_in_cc12m"]
    assert seen == {"rows": 2, "atom": 2, "atom_negatives": 2, "comp": 2, "comp_negatives": 2,
                    "combined": 1, "combined_negatives": 1}


def test_card_with_audit_and_results(tmp_path):
    bench = make_bench(tmp_path / "bench")
    update_manifest(bench, "productivity", {"seed": 0, "inputs": {"scene_graphs.json": "ab12"}})
    audit, table = audit_of(bench)
    results = [evaluate(bench, TextRuleAdapter(rule), config=EvalConfig(n_bootstrap=50))
               for rule in ("shortest", "lowercase")]
    card = write_card(bench, audit=audit, audit_table=table, results=results)
    names = sorted(path.name for path in card.plots)
    assert names == ["baseline_margins.png", "recall_vs_complexity.png", "rows_per_level.png"]
    for path in card.plots:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    text = card.path.read_text()
    assert card.path == bench / "README.md"
    for expected in ("| atom | 3 | 1 | 4 |", "seen_compounds_in_cc12m", "text-only audit: **FAILED**",
                     "chance", "ab12", "text:shortest", "![Recall@1 against complexity](card/"
                     "recall_vs_complexity.png)", "Known limits", "Few productivity atom rows"):
        assert expected in text, expected
    assert table.splitlines()[0] in text
    again = write_card(bench, audit=audit, audit_table=table, results=results)
    assert again.text == text
    assert [p.read_bytes() for p in again.plots] == [p.read_bytes() for p in card.plots]


def test_card_without_audit_or_results(tmp_path):
    bench = make_bench(tmp_path)
    card = write_card(bench, CardConfig(file_name="CARD.md", plots_folder="plots"))
    assert [p.name for p in card.plots] == ["rows_per_level.png"]
    assert "text-only audit: **not run**" in card.text and "No text-only audit was run" in card.text
    assert "No `manifest.json`" in card.text
