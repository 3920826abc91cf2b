"""Systematicity stage: released format, split membership, negatives false for
the image, whole-token edits, determinism, the command and the audit."""

from __future__ import annotations
import ast
import collections
import csv
import json
import os
import random
import shutil
import types
import subprocess
import sys
from pathlib import Path
import pytest
from crepe_gen.vg import truth
from crepe_gen.cli import main
from crepe_gen.core.errors import ConfigError, InputError
from crepe_gen.systematicity.extract import extract
from crepe_gen.language.names import noun_lemma, normalize
from crepe_gen.systematicity import SystematicityConfig, run_systematicity
from crepe_gen.systematicity.bigrams import BigramIndex
from crepe_gen.bench.format import SYSTEMATICITY_COLUMNS, systematicity_stem, training_set_tag
from crepe_gen.language.tokens import tokenize
from crepe_gen.language.fluency import flagged_rules
from crepe_gen.systematicity import negatives as negatives_module
from crepe_gen.systematicity.captions import Caption, fix_articles, parse_caption, surface_form
from crepe_gen.systematicity.negatives import RowContext, comp_edits, comp_negatives, replacements
from crepe_gen.systematicity.counting import read_counts, write_vocab
from crepe_gen.systematicity.plausibility import CompoundPlausibility
from crepe_gen.language.lexicon import AtomTally, LexiconConfig
from crepe_gen.systematicity.splits import split_of
from crepe_gen.systematicity.vg_names import vg_names
from crepe_gen.vg.reader import VisualGenome
from crepe_gen.vg.scene import Edit
from crepe_fixtures import write_sample_cut

SETS = ("cc12m", "yfcc", "laion")
SPLITS = ("seen_compounds", "unseen_compounds")
IMAGES = 12
LISTS = ("valid_hard_negs_atom", "valid_hard_negs_comp", "valid_hard_negs_combined")


# -- fixtures: a 12-image cut of the real sample and three vocabularies -------------
@pytest.fixture(scope="module")
def small_vg(tmp_path_factory) -> Path:
    """The first images of the bundled sample (every per-image file cut alike)."""
    return write_sample_cut(tmp_path_factory.mktemp("vg"), IMAGES)


@pytest.fixture(scope="module")
def vocab_files(small_vg, tmp_path_factory) -> dict[str, Path]:
    """Three training sets, each counting a different two thirds of the captions."""
    folder = tmp_path_factory.mktemp("vocab")
    vocabulary = vg_names(str(small_vg))
    captions = [region["phrase"] for _, regions in VisualGenome(small_vg).region_descriptions()
                for region in regions]
    paths = {}
    for offset, name in enumerate(SETS):
        counts = collections.Counter()
        for i, caption in enumerate(captions):
            if i % 3 == offset:
                continue
            ex = extract(normalize(caption), "fast", vocabulary)
            for kind in ("object", "attribute", "relation"):
                counts.update((kind, atom) for atom in getattr(ex, kind + "s"))
            counts.update(("attribute_compound", c) for c in ex.attribute_compounds)
            counts.update(("relation_compound", c) for c in ex.relation_compounds)
        paths[name] = folder / f"{name}.parquet"
        write_vocab(counts, paths[name])
    return paths


@pytest.fixture(scope="module")
def built(small_vg, vocab_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    section = run_systematicity(VisualGenome(small_vg), vocab_files, out, SystematicityConfig(seed=7))
    return out, section


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def all_outputs(out: Path):
    for name in SETS:
        for split in SPLITS:
            stem = out / "systematicity" / systematicity_stem(split, name)
            yield name, split, read_rows(stem.with_suffix(".csv")), read_jsonl(stem.with_suffix(".jsonl"))


# -- format ---------------------------------------------------------------------------
def test_six_files_in_the_released_format(built):
    out, section = built
    files = sorted(p.name for p in (out / "systematicity").glob("*.csv"))
    assert files == sorted(f"{systematicity_stem(split, name)}.csv" for name in SETS for split in SPLITS)
    total = 0
    for name, split, rows, provenance in all_outputs(out):
        header = (out / "systematicity" / f"{systematicity_stem(split, name)}.csv").read_text().splitlines()[0]
        assert header.split(",") == list(SYSTEMATICITY_COLUMNS)
        assert len(rows) == len(provenance) == section["counts"][name][split]
        for row, record in zip(rows, provenance):
            assert (int(row["image_id"]), int(row["region_id"])) == (record["image_id"], record["region_id"])
            for column in LISTS:
                negatives = ast.literal_eval(row[column])
                assert isinstance(negatives, list) and all(isinstance(n, str) for n in negatives)
            assert ast.literal_eval(row["valid_hard_negs_atom"]), "every row has an HN-Atom negative"
            float(row["x"]), float(row["width"])
        total += len(rows)
    assert total > 100
    manifest = json.loads((out / "manifest.json").read_text())["systematicity"]
    assert manifest["seed"] == 7 and manifest["config"]["min_count"] == 1
    assert "scene_graphs.json" in manifest["inputs"]["hashes"]
    assert set(manifest["vocabularies"]) == set(SETS)
    assert all(len(v["sha256"]) == 64 and v["standin"] is False for v in manifest["vocabularies"].values())
    assert manifest["skipped"]["no compound in caption"] > 0


def test_comp_lists_vary_in_length(built):
    out, _ = built
    lengths = {len(ast.literal_eval(row["valid_hard_negs_comp"]))
               for _, _, rows, _ in all_outputs(out) for row in rows}
    assert 0 in lengths and len(lengths) > 1


# -- invariants -------------------------------------------------------------------------
def test_split_membership_follows_vocab_counts(built, vocab_files):
    out, _ = built
    for name, split, _, provenance in all_outputs(out):
        counts = read_counts(vocab_files[name])
        for record in provenance:
            ex = record["extraction"]
            atoms = [(kind, a) for kind in ("object", "attribute", "relation") for a in ex[kind + "s"]]
            compounds = [("attribute_compound", tuple(c)) for c in ex["attribute_compounds"]]
            compounds += [("relation_compound", tuple(c)) for c in ex["relation_compounds"]]
            assert compounds
            assert all(counts.get(a, 0) >= 1 for a in atoms)
            unseen = [c for c in compounds if counts.get(c, 0) < 1]
            assert bool(unseen) == (split == "unseen_compounds"), record["caption"]


def test_split_of_uses_k():
    atoms = {"object": ["cup"], "attribute": ["red"], "relation": []}
    counts = {("object", "cup"): 5, ("attribute", "red"): 5, ("attribute_compound", ("red", "cup")): 2}
    compounds = {"attribute_compound": [("red", "cup")]}
    assert split_of(atoms, compounds, counts, 2) == "seen_compounds"
    assert split_of(atoms, compounds, counts, 3) == "unseen_compounds"
    assert split_of(atoms, compounds, counts, 6) == "unseen_atoms"


def test_negatives_are_false_for_the_image(built, small_vg):
    out, _ = built
    graphs = {g.graph["image_id"]: g for g in VisualGenome(small_vg).scene_graphs()}

    def holds(graph, statement):
        named = lambda name: [i for i in graph.nodes if truth.object_has_name(graph, i, name)]  # noqa: E731
        if statement[0] == "object":
            return bool(named(statement[1]))
        if statement[0] == "attribute_compound":
            return any(truth.has_attribute(graph, i, statement[1]) for i in named(statement[2]))
        _, subject, relation, obj = statement
        return any(truth.has_relation(graph, s, relation, o) for s in named(subject) for o in named(obj))

    checked = 0
    for _, _, _, provenance in all_outputs(out):
        for record in provenance:
            graph = graphs[record["image_id"]]
            for negatives in record["negatives"].values():
                for negative in negatives:
                    assert negative["false"], negative
                    assert not any(holds(graph, tuple(s)) for s in negative["false"]), negative
                    checked += 1
    assert checked > 300


def test_region_crops_are_inside_the_image_and_large_enough(built, small_vg):
    out, section = built
    graphs = {g.graph["image_id"]: g for g in VisualGenome(small_vg).scene_graphs()}
    config, rows = SystematicityConfig(), 0
    for _, _, _, provenance in all_outputs(out):
        for record in provenance:
            x, y, width, height = record["box"]
            image = graphs[record["image_id"]].graph
            assert min(width, height) >= config.min_crop_side and x >= 0 and y >= 0
            if image["width"]:
                assert x + width <= image["width"] and y + height <= image["height"]
                assert width * height >= config.min_crop_fraction * image["width"] * image["height"]
            assert " in the photo" not in f" {record['caption']} "
            rows += 1
    assert rows > 50 and set(section["skipped"]) <= {
        "empty caption", "no compound in caption", "object not grounded in scene graph", "crop too small",
        "box mostly outside the image", "caption about the photo", "grounded object not in the crop"}


def _lemmas(text: str) -> list[str]:
    return sorted(noun_lemma(t) for t in tokenize(text) if t not in ("a", "an"))


def test_edits_are_whole_tokens_and_captions_normalized(built):
    out, _ = built
    for _, _, rows, provenance in all_outputs(out):
        for row, record in zip(rows, provenance):
            positive = row["caption"]
            assert positive == normalize(positive) and not positive.endswith(".")
            assert "  " not in positive
            words = set(tokenize(positive))
            lists = {column: ast.literal_eval(row[column]) for column in LISTS}
            for column, negatives in lists.items():
                assert len(set(negatives)) == len(negatives)
                for negative in negatives:
                    assert negative == normalize(negative) and "  " not in negative
                    assert normalize(negative) != normalize(positive)
            for negative in record["negatives"]["atom"]:
                (new,) = negative["edit"]["new"]
                new_words = set(tokenize(negative["text"])) - words - {"a", "an"}
                inserted = set(new.split()) | {w + s for w in new.split() for s in ("s", "es")}
                assert new_words <= inserted | {noun_lemma(w) for w in new_words if noun_lemma(w) in inserted}, \
                    (positive, negative["text"])
            for negative in record["negatives"]["comp"]:
                # a recombination uses the positive's own words (nouns may change number)
                assert [noun_lemma(w) for w in _lemmas(negative["text"])] == \
                       [noun_lemma(w) for w in _lemmas(positive)], (positive, negative["text"])


def test_atom_replacements_keep_the_kind(built):
    out, _ = built
    vocabulary = vg_names()
    kinds = collections.Counter()
    for _, _, _, provenance in all_outputs(out):
        for record in provenance:
            for negative in record["negatives"]["atom"]:
                edit = Edit.from_dict(negative["edit"])
                assert edit.type == "atom" and edit.rule.startswith("replace_") and not edit.parts
                kind = edit.rule.removeprefix("replace_")
                assert edit.old[0] in record["extraction"][kind + "s"]
                kinds[kind] += 1
    assert set(kinds) == {"object", "attribute", "relation"}
    assert vocabulary is not None


def test_edit_records_name_the_foil_type(built):
    out, _ = built
    rules = collections.Counter()
    for _, _, _, provenance in all_outputs(out):
        for record in provenance:
            for negative in record["negatives"]["comp"]:
                edit = Edit.from_dict(negative["edit"])
                assert edit.type == "comp" and not edit.parts
                assert edit.rule in {"swap_attributes", "move_attribute", "swap_relation_ends"}
            for negative in record["negatives"]["combined"]:
                edit = Edit.from_dict(negative["edit"])
                comp, atom = edit.parts
                assert (edit.type, comp.type, atom.type) == ("combined", "comp", "atom")
                assert edit.rule == f"{comp.rule}+{atom.rule}"
                assert edit.to_dict() == negative["edit"]
                rules[comp.rule] += 1
    assert rules


# -- determinism ------------------------------------------------------------------------
def test_reruns_are_byte_identical(built, small_vg, vocab_files, tmp_path):
    out, _ = built
    run_systematicity(VisualGenome(small_vg), vocab_files, tmp_path, SystematicityConfig(seed=7))
    for path in sorted((out / "systematicity").glob("*.*")):
        assert path.read_bytes() == (tmp_path / "systematicity" / path.name).read_bytes(), path.name


def test_spooled_provenance_writes_the_in_memory_bytes(built, small_vg, vocab_files, tmp_path, monkeypatch):
    """Full provenance records kept in memory through balancing give the same
    files as records spooled to disk, and no spool file is left behind."""
    from crepe_gen.systematicity import stage

    class InMemory:
        def __init__(self, *args):
            pass

        def __enter__(self):
            return None

        def __exit__(self, *exc):
            return None

    out, _ = built
    monkeypatch.setattr(stage, "ProvenanceSpool", InMemory)
    run_systematicity(VisualGenome(small_vg), vocab_files, tmp_path, SystematicityConfig(seed=7))
    names = sorted(p.name for p in (out / "systematicity").iterdir() if p.is_file())
    assert names == sorted(p.name for p in (tmp_path / "systematicity").iterdir() if p.is_file())
    assert not [name for name in names if name.startswith(".")]
    for name in names:
        assert (out / "systematicity" / name).read_bytes() == (tmp_path / "systematicity" / name).read_bytes(), name


def test_a_failed_write_leaves_no_spool(small_vg, vocab_files, tmp_path, monkeypatch):
    from crepe_gen.systematicity import stage

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(stage, "write_outputs", fail)
    with pytest.raises(OSError, match="disk full"):
        run_systematicity(VisualGenome(small_vg), vocab_files, tmp_path, SystematicityConfig(seed=7))
    assert not [p.name for p in (tmp_path / "systematicity").iterdir() if ".spool." in p.name]


@pytest.mark.slow
def test_reruns_in_another_process_are_byte_identical(built, small_vg, vocab_files, tmp_path):
    """A fresh interpreter with another string-hash seed gives the same bytes
    (no set- or hash-order dependence)."""
    out, _ = built
    command = [sys.executable, "-m", "crepe_gen.cli", "systematicity", "--vg", str(small_vg),
               "--out", str(tmp_path), "--seed", "7"]
    command += [f"--vocab={name}={path}" for name, path in vocab_files.items()]
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    names = sorted(p.name for p in (out / "systematicity").glob("*.*"))
    assert names == sorted(p.name for p in (tmp_path / "systematicity").glob("*.*"))
    for name in names:
        assert (out / "systematicity" / name).read_bytes() == (tmp_path / "systematicity" / name).read_bytes(), name


def test_another_seed_changes_the_negatives(built, small_vg, vocab_files, tmp_path):
    out, _ = built
    run_systematicity(VisualGenome(small_vg), vocab_files, tmp_path, SystematicityConfig(seed=8))
    name = systematicity_stem("seen_compounds", "laion") + ".csv"
    assert (out / "systematicity" / name).read_bytes() != (tmp_path / "systematicity" / name).read_bytes()


# -- edits on small captions -------------------------------------------------------------
SURFACES = {"man": ("man", None, None), "men": ("man", None, None), "shirt": ("shirt", None, None),
            "pants": ("pant", None, None), "red": (None, "red", None), "black": (None, "black", None),
            "in": (None, None, "in"), "near": (None, None, "near"), "tree": ("tree", None, None),
            "bikes": ("bike", None, None)}


def _parse(text: str) -> Caption:
    return parse_caption(text, extract(text), SURFACES)


def test_comp_edits_recombine_atoms():
    caption = _parse("a man in a red shirt and black pants")
    texts = {edit.rule: [] for edit, _ in comp_edits(caption)}
    for edit, edited in comp_edits(caption):
        texts[edit.rule].append(edited.text())
        assert edit.type == "comp"
        assert edited.statements() != caption.statements()
    assert "a man in a black shirt and red pants" in texts["swap_attributes"]
    assert "a red man in a shirt and black pants" in texts["move_attribute"]
    edits = {edit for edit, _ in comp_edits(caption)}
    assert Edit("comp", "swap_attributes", ("shirt", "pant"), ("red", "black"), ("black", "red")) in edits
    assert Edit("comp", "move_attribute", ("red",), ("shirt",), ("man",)) in edits
    assert caption.text() == "a man in a red shirt and black pants"  # edits work on copies


def _parse_sample(text: str) -> Caption:
    vocabulary = vg_names(None)
    return parse_caption(text, extract(text, "fast", vocabulary), vocabulary.surfaces)


def test_only_attributive_attributes_are_swapped():
    caption = _parse_sample("a red car and the sky is blue")
    assert caption.attribute_compounds  # both compounds found
    assert "swap_attributes" not in {edit.rule for edit, _ in comp_edits(caption)}


def test_relation_swap_keeps_a_countable_singular():
    texts = [edited.text() for _, edited in comp_edits(_parse_sample("a tree trunk on the sidewalk"))]
    assert "a sidewalk on the tree trunk" in texts


def test_relation_swap_keeps_number_with_the_position():
    caption = _parse("bikes are parked near a tree")
    swaps = [(edit, edited.text()) for edit, edited in comp_edits(caption) if edit.rule == "swap_relation_ends"]
    assert swaps == [(Edit("comp", "swap_relation_ends", ("near",), ("bike", "tree"), ("tree", "bike")),
                      "trees are parked near a bike")]


def test_bigram_index_leaves_the_image_out():
    index = BigramIndex()
    index.add(1, ["a", "red", "man"])
    own = index.own([["a", "red", "man"]])
    assert not index.attested(["a", "red", "man"], own)
    index.add(2, ["a", "red", "man"])
    assert index.attested(["a", "red", "man"], own)


# -- bad input and options ------------------------------------------------------------------
def test_training_set_names():
    assert training_set_tag("laion400m") == "laion" and training_set_tag("YFCC15M") == "yfcc"
    with pytest.raises(ConfigError):
        training_set_tag("my set!")
    with pytest.raises(ConfigError):
        SystematicityConfig(min_count=0)


def test_missing_vocabulary_is_a_one_line_error(small_vg, tmp_path, capsys):
    missing = tmp_path / "nope.parquet"
    with pytest.raises(InputError, match="nope.parquet"):
        run_systematicity(VisualGenome(small_vg), {"laion": missing}, tmp_path / "out", SystematicityConfig())
    status = main(["systematicity", "--vg", str(small_vg), "--vocab", f"laion={missing}",
                   "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and "nope.parquet" in err and len(err.strip().splitlines()) == 1
    assert main(["systematicity", "--vocab", "laion", "--out", str(tmp_path / "out")]) == 2


def test_bad_region_strict_and_lenient(small_vg, vocab_files, tmp_path):
    broken = tmp_path / "vg"
    shutil.copytree(small_vg, broken)
    records = json.loads((broken / "region_descriptions.json").read_text())
    del records[0]["regions"][0]["phrase"]
    (broken / "region_descriptions.json").write_text(json.dumps(records))
    with pytest.raises(InputError, match="region has no phrase"):
        run_systematicity(VisualGenome(broken), vocab_files, tmp_path / "strict", SystematicityConfig())
    vg = VisualGenome(broken, lenient=True)
    run_systematicity(vg, vocab_files, tmp_path / "lenient", SystematicityConfig())
    assert vg.problems.counts["region has no phrase"] >= 1


def test_unseen_atoms_split_is_optional(small_vg, vocab_files, tmp_path):
    section = run_systematicity(VisualGenome(small_vg), {"laion": vocab_files["laion"]}, tmp_path,
                                SystematicityConfig(unseen_atoms=True, min_count=2))
    assert set(section["counts"]["laion"]) == {"seen_compounds", "unseen_compounds", "unseen_atoms"}
    assert (tmp_path / "systematicity" / (systematicity_stem("unseen_atoms", "laion") + ".csv")).exists()


# -- end to end on the bundled sample ----------------------------------------------------------
@pytest.mark.slow
def test_command_on_the_bundled_sample_and_audit(tmp_path, capsys):
    from crepe_gen.evaluation.audit import AuditConfig, audit_paths

    out = tmp_path / "bench"
    assert main(["systematicity", "--out", str(out), "--seed", "0"]) == 0
    printed = capsys.readouterr().out
    assert "stand-in" in printed
    files = sorted(p.name for p in (out / "systematicity").glob("*.csv"))
    assert len(files) == 6
    manifest = json.loads((out / "manifest.json").read_text())["systematicity"]
    assert manifest["standin_corpus"] is True
    assert all(v["standin"] for v in manifest["vocabularies"].values())
    report = audit_paths([out / "systematicity"], AuditConfig())
    assert report.passed, report.format_table()


def test_region_graphs_ground_regions_when_present(small_vg, tmp_path):
    from crepe_gen.systematicity.grounding import ground_regions

    folder = tmp_path / "vg"
    shutil.copytree(small_vg, folder)
    graph = next(VisualGenome(small_vg).scene_graphs())
    man = min(i for i, node in graph.nodes(data=True) if node["name"] == "man")
    shirt = min(i for i, node in graph.nodes(data=True) if node["name"] == "shirt")

    def region_object(object_id):
        node = graph.nodes[object_id]
        return {"object_id": object_id, "name": node["raw_names"][0], "synsets": list(node["synsets"]),
                **{k: node[k] for k in ("x", "y", "w", "h")}}

    regions = {r["region_id"]: r for _, rs in VisualGenome(small_vg).region_descriptions() for r in rs}
    region_graphs = [{"image_id": 1, "regions": [
        {**regions[1434], "objects": [region_object(man), region_object(shirt)], "relationships": []},
        {**regions[1482], "objects": [], "relationships": []}]}]
    (folder / "region_graphs.json").write_text(json.dumps(region_graphs))
    vg = VisualGenome(folder)
    grounded = {r.region_id: r for r in ground_regions(vg, vg_names(str(folder)), SystematicityConfig(),
                                                         collections.Counter(), BigramIndex())}
    assert grounded[1434].matched == {"man": [man], "shirt": [shirt]}
    assert 1482 not in grounded            # its region graph names no man and no glasses
    assert any(r.image_id == 2 for r in grounded.values())  # no region graph: box overlap


def test_finished_sets_are_not_redone(small_vg, vocab_files, tmp_path, caplog):
    vocabs = {"laion": vocab_files["laion"]}
    first = run_systematicity(VisualGenome(small_vg), vocabs, tmp_path, SystematicityConfig(seed=7))
    csv_path = tmp_path / "systematicity" / (systematicity_stem("seen_compounds", "laion") + ".csv")
    written = csv_path.stat().st_mtime_ns
    with caplog.at_level("INFO", logger="crepe_gen.systematicity.stage"):
        again = run_systematicity(VisualGenome(small_vg), vocabs, tmp_path, SystematicityConfig(seed=7))
    assert "already written" in caplog.text
    assert csv_path.stat().st_mtime_ns == written
    assert again["counts"] == first["counts"] and again["files"] == first["files"]
    run_systematicity(VisualGenome(small_vg), vocabs, tmp_path, SystematicityConfig(seed=9))
    assert csv_path.stat().st_mtime_ns != written  # another seed is another set


def test_atom_negatives_never_mean_the_same(built, small_vg):
    """No HN-Atom negative means the same as the atom it replaces, nor as another negative of its row."""
    import itertools

    from crepe_gen.language.lexicon import AtomTally

    vg = VisualGenome(small_vg)
    tally = AtomTally(vg.canon.alias_groups)
    for graph in vg.scene_graphs():
        tally.add(graph)
    lexicon = tally.lexicon()
    out, _ = built
    rows = 0
    for _, _, _, provenance in all_outputs(out):
        for record in provenance:
            edits = [Edit.from_dict(n["edit"]) for n in record["negatives"]["atom"]]
            rows += bool(edits)
            for edit in edits:
                kind = edit.rule.removeprefix("replace_")
                assert not lexicon.same_meaning(kind, edit.old[0], edit.new[0]), edit
            for e1, e2 in itertools.combinations(edits, 2):
                assert not lexicon.same_meaning(e1.rule.removeprefix("replace_"), e1.new[0], e2.new[0]), (e1, e2)
    assert rows > 20


def test_no_article_before_a_plural_only_replacement():
    caption = _parse("a man in a red shirt")
    edited = caption.copy()
    shirt = [slot for slot in edited.atoms() if slot.name == "shirt"][0]
    shirt.name, shirt.text = "pant", surface_form("object", "pant", False)
    fix_articles(edited.slots)
    assert edited.text() == "a man in red pants"
    assert [s.name for s in edited.atoms()] == ["man", "in", "red", "pant"]  # atoms keep their places


def _fluency_context(text: str):
    return RowContext(facts=None, positive=_parse_sample(text), pool=None, rng=random.Random(0), bigrams=None,
                      own_bigrams=None, tries=0)


def test_negatives_are_fluent(monkeypatch):
    monkeypatch.setattr(negatives_module, "false_statements", lambda facts, positive, edited: [("any",)])
    ctx = _fluency_context("there is a table in the middle")
    swapped = [edited.text() for _, edited in comp_edits(ctx.positive)]
    assert "there is a middle in the table" in swapped          # the recombination says "a middle"
    kept = [negative.text for negative, _ in comp_negatives(ctx, limit=5, forbidden=set())]
    assert "there is a middle in the table" not in kept
    assert all(not flagged_rules(text) for text in kept)


def test_atom_replacements_are_fluent(monkeypatch):
    monkeypatch.setattr(negatives_module, "false_statements", lambda facts, positive, edited: [("any",)])
    never = types.SimpleNamespace(same_meaning=lambda kind, a, b: False)
    pool = types.SimpleNamespace(candidates=lambda kind, current: [("grass", 1), ("tree", 1)],
                                 means_taken=lambda kind, name, taken, nodes=(): False, lexicon=never)
    ctx = RowContext(facts=types.SimpleNamespace(ids=lambda name: [], graph=types.SimpleNamespace(nodes={})),
                     positive=_parse("a man in a red shirt"), pool=pool, rng=random.Random(0),
                     bigrams=types.SimpleNamespace(log_likelihood=lambda tokens, own: 0.0), own_bigrams=None, tries=5)
    shirt = [slot.name for slot in ctx.positive.atoms()].index("shirt")
    found = replacements(ctx, ctx.positive, shirt, forbidden=set(), limit=5)
    assert [negative.text for negative, _ in found] == ["a man in a red tree"]  # not "a red grass"



def test_balancing_makes_the_plausibility_rank_uniform():
    """Half of each row's candidates are more plausible than its positive:
    three drawn blindly rarely leave the positive the most plausible, three
    balanced do it in a quarter of the rows."""
    from crepe_gen.systematicity.balancing import balance_negatives
    from crepe_gen.systematicity.rows import TrainingSet

    words = ["red", "blue", "green", "tall", "small", "old", "new", "wet", "dry", "hot"]

    def state():
        rows, records = [], []
        for i in range(80):
            negatives = [f"a {w} cup on table {i % 7}" for w in words if w != words[i % 10]]
            rows.append({"image_id": i, "caption": f"a {words[i % 10]} cup on table {i % 7}",
                         "valid_hard_negs_atom": negatives,
                         "valid_hard_negs_comp": [], "valid_hard_negs_combined": []})
            records.append({"image_id": i, "region_id": i, "caption": rows[-1]["caption"], "plausibility": 0.0,
                            "negatives": {"atom": [{"text": t, "plausibility": (-1.0) ** j} for j, t in
                                                   enumerate(negatives)], "comp": [], "combined": []}})
        return TrainingSet("t", "t", None, {}, collections.Counter(), {"seen_compounds": rows},
                           {"seen_compounds": records})

    def first_share(config):
        training_set = state()
        balance_negatives(training_set, config, "atom")
        kept = [r for r in training_set.provenance["seen_compounds"] if r["negatives"]["atom"]]
        return sum(all(n["plausibility"] < 0 for n in r["negatives"]["atom"]) for r in kept) / len(kept)

    assert 0.18 <= first_share(SystematicityConfig(classifier_folds=3, balance_plausibility=True)) <= 0.32
    assert first_share(SystematicityConfig(classifier_folds=3)) < 0.16


def test_provenance_records_plausibility(built):
    """Every positive and negative records its compound plausibility, a negative
    that breaks a compound of the image scoring like any other number."""
    records = [record for *_, rs in all_outputs(built[0]) for record in rs]
    assert records and all(isinstance(record["plausibility"], float) for record in records)
    assert all(isinstance(n["plausibility"], float) for record in records for kind in ("atom", "comp", "combined")
               for n in record["negatives"][kind])


@pytest.fixture(scope="module")
def sample_statistics():
    """The bundled sample's lexicon and compound counts, as the stage builds them."""
    graphs = list(VisualGenome().scene_graphs())
    tally = AtomTally()
    for graph in graphs:
        tally.add(graph)
    return tally.lexicon(LexiconConfig()), CompoundPlausibility.of_graphs(graphs)


@pytest.mark.parametrize("positive, recombined, possible", [
    ("a man in a red shirt", "a red man in a shirt", False),          # a colour onto a person: the skin
    ("a man is wearing a shirt", "a shirt is wearing a man", False),  # a reversal seen nowhere
    ("a tree trunk on the sidewalk", "a sidewalk on the tree trunk", False),
    ("a white keyboard on a desk", "a keyboard on a white desk", True),  # desks come in many colours
    ("a slender chair next to the table", "a table next to the slender chair", True),
])
def test_recombinations_must_be_seen_possible(sample_statistics, positive, recombined, possible):
    lexicon, model = sample_statistics
    caption = _parse_sample(positive)
    edited = {e.text(): e for _, e in comp_edits(caption)}[recombined]
    assert model.admits(edited, caption, lexicon) is possible


def test_the_last_attribute_of_a_list_stays():
    texts = [edited.text() for _, edited in comp_edits(_parse_sample("a red and blue jacket on a chair"))]
    assert texts and not any(" and jacket" in text or "and a jacket" in text for text in texts)


def test_every_comp_and_combined_negative_is_possible(built):
    """HN-Comp and combined negatives state anew only compounds seen in other images;
    each negative records whether it does."""
    records = [record for *_, rs in all_outputs(built[0]) for record in rs]
    negatives = {kind: [n for record in records for n in record["negatives"][kind]] for kind in ("atom", "comp", "combined")}
    assert negatives["comp"] and all(n["possible"] for n in negatives["comp"] + negatives["combined"])
    assert {n["possible"] for n in negatives["atom"]} == {True, False}  # recorded; HN-Atom is not gated


def test_a_rerun_without_a_split_removes_its_files(small_vg, vocab_files, tmp_path):
    vocabs = {"laion": vocab_files["laion"]}
    run_systematicity(VisualGenome(small_vg), vocabs, tmp_path, SystematicityConfig(unseen_atoms=True, min_count=2))
    unseen_atoms = tmp_path / "systematicity" / (systematicity_stem("unseen_atoms", "laion") + ".csv")
    assert unseen_atoms.exists()
    run_systematicity(VisualGenome(small_vg), vocabs, tmp_path, SystematicityConfig(min_count=2))
    assert not unseen_atoms.exists() and not unseen_atoms.with_suffix(".jsonl").exists()
    assert (tmp_path / "systematicity" / (systematicity_stem("seen_compounds", "laion") + ".csv")).exists()
