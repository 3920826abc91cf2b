"""The Hugging Face export loads with `datasets` as it is, offline."""

from __future__ import annotations

import pyarrow.parquet as pq
import yaml
import pytest

from crepe_gen.core.errors import InputError
from crepe_gen.release.export import export_hf

from test_evaluate import make_bench


def test_export_files_and_types(tmp_path):
    bench = make_bench(tmp_path / "bench")
    sizes = export_hf(bench, card_text="# Card\n")
    assert sizes == {"productivity": {"atom": 4, "negate": 2},
                     "systematicity_cc12m": {"seen_compounds": 2, "unseen_compounds": 1}}
    table = pq.read_table(bench / "hf/productivity/atom.parquet")
    assert table.column("hard_negs").to_pylist()[0] == ["a red mug on it", "a blue cup there",
                                                         "a red cup on a table"]
    assert table.column("n").to_pylist() == [4, 4, 4, 5]
    readme = (bench / "hf/README.md").read_text()
    assert readme.startswith("---\nconfigs:\n") and "\n---\n# Card\n" in readme
    front = yaml.safe_load(readme.split("---\n")[1])
    assert front["task_categories"] == ["image-to-text", "text-to-image"] and front["language"] == ["en"]
    assert front["size_categories"] == ["n<1K"] and front["source_datasets"] == ["extended|visual_genome"]
    # the Files section lists what is in hf/, with a snippet that loads it
    files = readme.split("## Files")[1]
    assert "`productivity/atom.parquet`: config `productivity`, split `atom`" in files
    assert 'load_dataset("PATH/hf", name="productivity")' in files and ".csv" not in files
    first = (bench / "hf/productivity/atom.parquet").read_bytes()
    export_hf(bench, card_text="# Card\n")
    assert (bench / "hf/productivity/atom.parquet").read_bytes() == first


def test_datasets_loads_export(tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    bench = make_bench(tmp_path / "bench")
    export_hf(bench, card_text="# Card\n")
    prod = datasets.load_dataset(str(bench / "hf"), name="productivity", cache_dir=str(tmp_path / "cache"))
    assert sorted(prod) == ["atom", "negate"] and prod["negate"].num_rows == 2
    assert prod["atom"][0]["caption"] == "a red cup" and prod["atom"][3]["n"] == 5
    syst = datasets.load_dataset(str(bench / "hf"), name="systematicity_cc12m",
                                 cache_dir=str(tmp_path / "cache"))
    assert syst["seen_compounds"][1]["valid_hard_negs_combined"] == []
    assert syst["unseen_compounds"].features["valid_hard_negs_atom"].feature.dtype == "string"


def test_export_missing_column_is_an_error(tmp_path):
    bench = make_bench(tmp_path)
    path = bench / "productivity/negate/prod_vg_hard_negs_negate_complexity_4.csv"
    text = path.read_text().replace("n_connected_components,", "ncc,", 1)
    path.write_text(text)
    with pytest.raises(InputError, match=r"complexity_4\.csv: missing column\(s\) n_connected_components"):
        export_hf(bench)
    sizes = export_hf(bench, lenient=True)  # lenient: the file is skipped
    assert sizes["productivity"]["negate"] == 1
