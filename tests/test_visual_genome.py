"""Reading Visual Genome folders: the real sample, file variants, images, bad input."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from PIL import Image

from crepe_gen.core.errors import InputError
from crepe_gen.vg.stats import vg_stats
from crepe_gen.vg.reader import FILES, VisualGenome, bundled_sample, image_path, merge_parts


def test_sample_counts(sample_dir):
    vg = VisualGenome()
    assert vg.root == sample_dir
    stats = vg_stats(vg)
    assert (stats.images, stats.objects, stats.attribute_mentions, stats.relationships,
            stats.region_descriptions) == (100, 3671, 2931, 2615, 7278)
    assert stats.self_relations == 1 and stats.duplicate_relations == 411
    assert vg.problems.total == 0


def test_sample_graphs_carry_image_data():
    graphs = {g.graph["image_id"]: g for g in VisualGenome().scene_graphs()}
    assert sorted(graphs) == list(range(1, 101))
    g = graphs[1]
    assert (g.graph["width"], g.graph["height"], g.graph["folder"]) == (800, 600, "VG_100K_2")
    assert g.graph["image_path"] is None and g.graph["scale"] == (1.0, 1.0)
    # quirks as they occur in the real data
    nodes = [n for g in graphs.values() for _, n in g.nodes(data=True)]
    assert any(len(n["raw_names"]) > 1 for n in nodes)
    assert any(n["synsets"] == () for n in nodes)
    assert any(n["same_box"] for n in nodes)
    edges = [e for g in graphs.values() for _, _, e in g.edges(data=True)]
    assert any(e["raw_predicate"] != e["raw_predicate"].lower() for e in edges)
    assert any(a != a.strip() for n in nodes for a in n["raw_attributes"])


def image_data(*ids, width=80, height=60, folder="VG_100K"):
    return [{"image_id": i, "url": f"https://example.org/{folder}/{i}.jpg", "width": width,
             "height": height, "coco_id": None, "flickr_id": None} for i in ids]


def scene_graph(image_id, first_object=1):
    a, b = first_object, first_object + 1
    return {"image_id": image_id, "objects": [
        {"object_id": a, "names": ["man"], "synsets": ["man.n.01"], "x": 10, "y": 20, "w": 30, "h": 40,
         "attributes": ["tall"]},
        {"object_id": b, "names": ["hat"], "synsets": [], "x": 0, "y": 0, "w": 8, "h": 6}],
        "relationships": [{"relationship_id": a, "predicate": "wearing", "synsets": [],
                           "subject_id": a, "object_id": b}]}


def regions(image_id):
    return {"id": image_id, "regions": [{"region_id": image_id * 10, "image_id": image_id,
                                         "phrase": "a tall man", "x": 8, "y": 6, "width": 40,
                                         "height": 30}]}


def small_vg(write_vg, **overrides):
    files = {"image_data.json": image_data(1, 2),
             "scene_graphs.json": [scene_graph(1, 11), scene_graph(2, 21)],
             "region_descriptions.json": [regions(1), regions(2)]}
    files.update(overrides)
    return write_vg({k: v for k, v in files.items() if v is not None})


def test_v10_image_data_id_key_and_region_descriptions_top_level_id(write_vg):
    old_style = [{"id": r.pop("image_id"), **r} for r in image_data(1, 2)]
    vg = VisualGenome(small_vg(write_vg, **{"image_data.json": old_style}))
    assert sorted(vg.images()) == [1, 2]
    assert [g.graph["width"] for g in vg.scene_graphs()] == [80, 80]
    assert [(image_id, [r["region_id"] for r in rs]) for image_id, rs in vg.region_descriptions()] == [
        (1, [10]), (2, [20])]


def test_missing_image_data_is_optional(write_vg):
    graphs = list(VisualGenome(small_vg(write_vg, **{"image_data.json": None})).scene_graphs())
    assert [g.graph["width"] for g in graphs] == [None, None]


def v12_and_v14_parts(style):
    """objects/attributes/relationships.json for two images; v1.2 relationship
    ends carry ``name``, v1.4 ``names``; object 99 appears only in relationships."""
    def end(object_id, name):
        box = {"object_id": object_id, "x": 1, "y": 1, "w": 2, "h": 2, "synsets": []}
        return {**box, "name": name} if style == "v1.2" else {**box, "names": [name]}

    objects = [{"image_id": 1, "objects": [
        {"object_id": 1, "names": ["Man"], "synsets": [], "x": 0, "y": 0, "w": 5, "h": 5},
        {"object_id": 2, "names": ["hat"], "synsets": [], "x": 1, "y": 1, "w": 2, "h": 2}]},
        {"image_id": 2, "objects": []}]
    attributes = [{"image_id": 1, "attributes": [
        {"object_id": 1, "names": ["Man"], "x": 0, "y": 0, "w": 5, "h": 5, "attributes": ["Tall "]},
        {"object_id": 2, "names": ["hat"], "x": 1, "y": 1, "w": 2, "h": 2}]},
        {"image_id": 2, "attributes": []}]
    relationships = [{"image_id": 1, "relationships": [
        {"relationship_id": 7, "predicate": "WEARS", "synsets": ["wear.v.01"],
         "subject": end(1, "man"), "object": end(2, "hat")},
        {"relationship_id": 8, "predicate": "near", "synsets": [],
         "subject": end(99, "dog"), "object": end(1, "man")}]},
        {"image_id": 2, "relationships": []}]
    return {"objects.json": objects, "attributes.json": attributes, "relationships.json": relationships}


@pytest.mark.parametrize("style", ["v1.2", "v1.4"])
def test_graphs_from_separate_files(write_vg, style):
    vg = VisualGenome(write_vg({"image_data.json": image_data(1, 2), **v12_and_v14_parts(style)}))
    graphs = list(vg.scene_graphs())
    assert [g.graph["image_id"] for g in graphs] == [1, 2]
    g = graphs[0]
    assert g.nodes[1]["attributes"] == ("tall",) and g.nodes[2]["attributes"] == ()
    assert g.nodes[99]["name"] == "dog"  # only named inside relationships.json
    assert g.edges[1, 2, 7]["predicate"] == "wears" and g.edges[99, 1, 8]["predicate"] == "near"
    assert graphs[1].number_of_nodes() == 0


def test_graphs_from_separate_files_of_the_real_sample(tmp_path, sample_dir):
    for name in ("image_data.json", "objects.json", "attributes.json", "relationships.json"):
        shutil.copy(sample_dir / name, tmp_path / name)
    graphs = list(VisualGenome(tmp_path).scene_graphs())
    assert [g.graph["image_id"] for g in graphs] == list(range(1, 101))
    assert sum(g.number_of_edges() for g in graphs) > 2000
    assert sum(len(n["attributes"]) > 0 for g in graphs for _, n in g.nodes(data=True)) > 1000


def test_separate_files_with_a_file_missing_an_image(write_vg):
    parts = v12_and_v14_parts("v1.4")
    parts["attributes.json"] = parts["attributes.json"][1:]  # no attributes for image 1
    graphs = list(VisualGenome(write_vg(parts)).scene_graphs())
    assert graphs[0].nodes[1]["attributes"] == () and graphs[0].number_of_edges() == 2


def test_merge_parts_prefers_the_object_list():
    merged = merge_parts({"image_id": 3, "objects": [{"object_id": 1, "names": ["a"]}]}, None,
                         {"relationships": [{"relationship_id": 1, "predicate": "on",
                                             "subject": {"object_id": 1, "name": "b"},
                                             "object": {"object_id": 2, "name": "c"}}]})
    assert merged["objects"] == [{"object_id": 1, "names": ["a"]}, {"object_id": 2, "name": "c"}]
    assert merged["relationships"][0]["subject_id"] == 1


def test_synsets_files(sample_dir):
    vg = VisualGenome()
    definitions = vg.synsets()
    assert len(definitions) == 100 and all(isinstance(v, str) for v in definitions.values())
    for role in ("object_synsets", "attribute_synsets", "relationship_synsets"):
        mapping = vg.synset_map(role)
        assert len(mapping) == 100 and all(s.count(".") >= 2 for s in mapping.values())


@pytest.mark.parametrize("content, reason", [
    (b"[1, 2]", "top-level JSON value is list, expected an object"),
    (b'{"a": ', "malformed JSON"),
    (b'{"a": "\xff"}', "bytes that are not UTF-8"),
])
def test_bad_synset_map(write_vg, content, reason):
    vg = VisualGenome(small_vg(write_vg, **{"object_synsets.json": content}))
    with pytest.raises(InputError, match=reason):
        vg.synset_map("object_synsets")


def test_input_hashes(write_vg):
    root = small_vg(write_vg)
    hashes = VisualGenome(root).input_hashes()
    assert sorted(hashes) == ["image_data.json", "region_descriptions.json", "scene_graphs.json"]
    assert all(len(h) == 64 for h in hashes.values())


def test_missing_folder(tmp_path):
    with pytest.raises(InputError, match="Visual Genome folder not found"):
        VisualGenome(tmp_path / "nope")
    with pytest.raises(InputError, match="images folder not found"):
        VisualGenome(None, images_dir=tmp_path / "nope")


# -- images ------------------------------------------------------------------

def write_jpeg(path, size):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (120, 30, 200)).save(path, "JPEG")


def test_images_dir_paths_and_scaling(write_vg, tmp_path):
    root = small_vg(write_vg, **{"image_data.json": image_data(1, width=80, height=60)
                                 + image_data(2, width=80, height=60, folder="VG_100K_2")
                                 + image_data(3),
                                 "scene_graphs.json": [scene_graph(1, 11), scene_graph(2, 21),
                                                       scene_graph(3, 31)],
                                 "region_descriptions.json": [regions(1), regions(2), regions(3)]})
    images = tmp_path / "images"
    write_jpeg(images / "VG_100K" / "1.jpg", (80, 60))      # agrees with image_data.json
    write_jpeg(images / "VG_100K_2" / "2.jpg", (160, 90))   # twice as wide, 1.5x as high
    vg = VisualGenome(root, images_dir=images)
    graphs = {g.graph["image_id"]: g for g in vg.scene_graphs()}

    same = graphs[1]
    assert same.graph["image_path"] == str(images / "VG_100K" / "1.jpg")
    assert same.graph["scale"] == (1.0, 1.0) and "annotated_size" not in same.graph
    assert (same.nodes[11]["x"], same.nodes[11]["w"]) == (10, 30)

    scaled = graphs[2]
    assert scaled.graph["image_path"] == str(images / "VG_100K_2" / "2.jpg")
    assert scaled.graph["scale"] == (2.0, 1.5) and scaled.graph["annotated_size"] == (80, 60)
    assert (scaled.graph["width"], scaled.graph["height"]) == (160, 90)
    node = scaled.nodes[21]
    assert (node["x"], node["y"], node["w"], node["h"]) == (20.0, 30.0, 60.0, 60.0)

    missing = graphs[3]
    assert missing.graph["image_path"] is None and missing.graph["scale"] == (1.0, 1.0)

    boxes = {image_id: [(r["x"], r["y"], r["width"], r["height"]) for r in rs]
             for image_id, rs in vg.region_descriptions()}
    assert boxes == {1: [(8, 6, 40, 30)], 2: [(16.0, 9.0, 80.0, 45.0)], 3: [(8, 6, 40, 30)]}


def test_same_results_without_images_as_with_images_of_the_annotated_size(write_vg, tmp_path):
    root = small_vg(write_vg)
    images = tmp_path / "images"
    for image_id in (1, 2):
        write_jpeg(images / f"{image_id}.jpg", (80, 60))  # directly in the folder also works
    without = list(VisualGenome(root).scene_graphs())
    with_images = list(VisualGenome(root, images_dir=images).scene_graphs())
    for a, b in zip(without, with_images):
        assert list(a.nodes(data=True)) == list(b.nodes(data=True))
        assert b.graph["image_path"].endswith(f"{a.graph['image_id']}.jpg")


def test_unreadable_image_is_a_bad_record(write_vg, tmp_path):
    root = small_vg(write_vg)
    images = tmp_path / "images"
    write_jpeg(images / "VG_100K" / "1.jpg", (80, 60))
    (images / "VG_100K" / "2.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(InputError, match=r"VG_100K/2\.jpg: image \(id 2\): cannot read image"):
        list(VisualGenome(root, images_dir=images).scene_graphs())
    vg = VisualGenome(root, images_dir=images, lenient=True)
    assert [g.graph["image_id"] for g in vg.scene_graphs()] == [1]
    assert vg.problems.total == 1


def test_image_path_lookup_order(tmp_path):
    write_jpeg(tmp_path / "VG_100K" / "5.jpg", (4, 4))
    write_jpeg(tmp_path / "VG_100K_2" / "5.jpg", (4, 4))
    assert image_path(tmp_path, 5) == tmp_path / "VG_100K" / "5.jpg"
    assert image_path(tmp_path, 5, "VG_100K_2") == tmp_path / "VG_100K_2" / "5.jpg"
    assert image_path(tmp_path, 6) is None


# -- bad input ---------------------------------------------------------------
# Each case: files that replace the good ones, then what the one-line error
# must say and what lenient mode keeps. Shared with tests/test_cli.py.

def _records():
    return [scene_graph(1, 11), scene_graph(2, 21), scene_graph(3, 31)]


def _good_text():
    return json.dumps(_records())


def _text_with(change, cut=False):
    """scene_graphs.json text whose second record (image 2) is changed by
    *change* (str -> str), or cut in half and the file ended there."""
    parts = [json.dumps(r) for r in _records()]
    if cut:
        return "[" + parts[0] + ", " + parts[1][:len(parts[1]) // 2]
    parts[1] = change(parts[1])
    return "[" + ", ".join(parts) + "]"


def _bad_record(change):
    records = _records()
    change(records[1])
    return records


# case: (files, parts of the one-line message, image ids kept in lenient mode
# (None: the file cannot be read at all), problems counted in lenient mode)
BAD_INPUTS = {
    "truncated": ({"scene_graphs.json": _text_with(None, cut=True)},
                  ["scene_graphs.json", "image #1 (id 2)", "truncated"], [1], 1),
    "malformed": ({"scene_graphs.json": _text_with(lambda t: t.replace('"synsets": []', '"synsets": [],,', 1))},
                  ["scene_graphs.json", "image #1 (id 2)", "malformed JSON"], [1], 1),
    "missing file": ({"scene_graphs.json": None},
                     ["scene_graphs.json", "file not found"], None, 0),
    "wrong top-level type": ({"scene_graphs.json": {"image_id": 1, "objects": []}},
                             ["scene_graphs.json", "top-level JSON value is an object"], None, 0),
    "record not an object": ({"scene_graphs.json": [scene_graph(1, 11), [2], scene_graph(3, 31)]},
                             ["scene_graphs.json", "image #1", "record is list"], [1, 3], 1),
    # the object's relationship goes with it
    "object with no name": ({"scene_graphs.json": _bad_record(
        lambda r: r["objects"][1].update(names=["  "]))},
        ["scene_graphs.json", "image #1 (id 2)", "object 22", "object has no name"], [1, 2, 3], 2),
    "relationship to a missing object": ({"scene_graphs.json": _bad_record(
        lambda r: r["relationships"][0].update(object_id=404))},
        ["scene_graphs.json", "image #1 (id 2)", "object 404", "missing object"], [1, 2, 3], 1),
    # a bad box is a bad object record (its relationship goes with it)
    "negative box width": ({"scene_graphs.json": _bad_record(lambda r: r["objects"][1].update(w=-5))},
                           ["scene_graphs.json", "image #1 (id 2)", "object 22 (w -5)", "negative box width"],
                           [1, 2, 3], 2),
    "NaN box height": ({"scene_graphs.json": _text_with(lambda t: t.replace('"h": 6', '"h": NaN', 1))},
                       ["scene_graphs.json", "image #1 (id 2)", "object 22 (h nan)", "box height is not a number"],
                       [1, 2, 3], 2),
    "infinite box x": ({"scene_graphs.json": _text_with(lambda t: t.replace('"x": 10', '"x": -Infinity', 1))},
                       ["scene_graphs.json", "image #1 (id 2)", "object 21 (x -inf)", "box x is not finite"],
                       [1, 2, 3], 2),
    "not UTF-8": ({"scene_graphs.json": _text_with(lambda t: t.replace('"hat"', '"h\udce4t"'))
                   .encode("utf-8", "surrogateescape")},
                  ["scene_graphs.json", "image #1 (id 2)", "not UTF-8"], [1, 3], 1),
    "NUL byte in a string": ({"scene_graphs.json": _text_with(lambda t: t.replace('"hat"', '"h\x00t"', 1))},
                             ["scene_graphs.json", "image #1 (id 2)", "character", "Invalid control character '\\x00'"],
                             [1], 1),
    # a second record of one image would be read twice: its rows duplicated
    "image id twice": ({"scene_graphs.json": [scene_graph(1, 11), scene_graph(2, 21), scene_graph(1, 31)]},
                       ["scene_graphs.json", "image #2 (id 1)", "the id of image #0", "image id appears twice"],
                       [1, 2], 1),
    "empty array": ({"scene_graphs.json": []}, ["scene_graphs.json", "no usable image record (an empty array)"],
                    None, 0),
    "attribute not a string": ({"scene_graphs.json": _bad_record(
        lambda r: r["objects"][1].update(attributes=["red", 5, None]))},
        ["scene_graphs.json", "image #1 (id 2)", "object 22 (attribute 5)", "attribute is not a string"],
        [1, 2, 3], 1),
    "negative image width": ({"image_data.json": [{**image, "width": -800} if image["image_id"] == 2 else image
                                                  for image in image_data(1, 2, 3)]},
                             ["image_data.json", "image #1 (id 2)", "width -800", "image size is not a positive number"],
                             [1, 2, 3], 1),
}


def make_bad_vg(write_vg, case):
    files = BAD_INPUTS[case][0]
    root = small_vg(write_vg, **{"image_data.json": image_data(1, 2, 3),
                                 "scene_graphs.json": [scene_graph(1, 11), scene_graph(2, 21),
                                                       scene_graph(3, 31)],
                                 "region_descriptions.json": [regions(1), regions(2), regions(3)]})
    for name, content in files.items():
        if content is None:
            (root / name).unlink()
    write_vg({k: v for k, v in files.items() if v is not None})
    return root


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_strict_and_lenient(write_vg, case):
    root = make_bad_vg(write_vg, case)
    _, expected, kept, count = BAD_INPUTS[case]
    with pytest.raises(InputError) as info:
        list(VisualGenome(root).scene_graphs())
    message = str(info.value)
    assert "\n" not in message and all(part in message for part in expected), message
    vg = VisualGenome(root, lenient=True)
    if kept is None:  # a file that cannot be read at all stays an error
        with pytest.raises(InputError):
            list(vg.scene_graphs())
        return
    assert [g.graph["image_id"] for g in vg.scene_graphs()] == kept
    assert vg.problems.total == count
    assert expected[-1] in vg.problems.summary()


def test_bad_input_cases_start_from_a_good_folder(write_vg):
    graphs = list(VisualGenome(small_vg(write_vg, **{"scene_graphs.json": _good_text()})).scene_graphs())
    assert len(graphs) == 3
    assert set(FILES) >= {"scene_graphs", "image_data"}


def test_bad_region_descriptions(write_vg):
    bad_regions = [regions(1), {"id": 2, "regions": [{"region_id": 5, "phrase": None},
                                                     {"region_id": 6, "phrase": "x", "x": 1}, 7]}]
    root = small_vg(write_vg, **{"region_descriptions.json": bad_regions})
    with pytest.raises(InputError, match=r"image #1 \(id 2\): region 5: region has no phrase"):
        list(VisualGenome(root).region_descriptions())
    vg = VisualGenome(root, lenient=True)
    assert [(i, len(r)) for i, r in vg.region_descriptions()] == [(1, 1), (2, 0)]
    assert vg.problems.total == 3


def test_region_boxes_that_are_no_boxes(write_vg):
    flat = dict(regions(2)["regions"][0], region_id=21, height=0)  # degenerate, but a box: kept
    negative = dict(flat, region_id=22, width=-3)
    nan = dict(flat, region_id=23, x=float("nan"))
    root = small_vg(write_vg, **{"region_descriptions.json": [
        regions(1), {"id": 2, "regions": [flat, negative, nan]}]})
    with pytest.raises(InputError) as info:
        list(VisualGenome(root).region_descriptions())
    assert str(info.value).endswith("region_descriptions.json: image #1 (id 2): region 22 (width -3): "
                                    "negative box width")
    vg = VisualGenome(root, lenient=True)
    assert [[r["region_id"] for r in found] for _, found in vg.region_descriptions()] == [[10], [21]]
    assert dict(vg.problems.counts) == {"negative box width": 1, "box x is not a number": 1}


def test_object_box_faults_in_objects_json_name_the_object(tmp_path, run_cli):
    """Graphs built from objects.json: a negative or NaN box size is a bad
    record there too, an error naming the object (strict) or skipped and counted."""
    root = tmp_path / "vg"
    shutil.copytree(bundled_sample(), root)
    (root / "scene_graphs.json").unlink()
    records = json.loads((root / "objects.json").read_text())
    records[3]["objects"][0]["w"] = -5
    records[5]["objects"][1]["h"] = float("nan")
    (root / "objects.json").write_text(json.dumps(records))
    first, second = records[3]["objects"][0]["object_id"], records[5]["objects"][1]["object_id"]
    done = run_cli("inspect", root)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"crepe-gen: error: {root / 'objects.json'}: image #3 (id 4): object {first} (w -5): negative box width"]
    done = run_cli("inspect", "--lenient", root)
    assert done.returncode == 0, done.stderr
    summary = done.stdout.splitlines()[-1]
    assert "1 x negative box width" in summary and "1 x box height is not a number" in summary, summary
    graphs = {g.graph["image_id"]: g for g in VisualGenome(root, lenient=True).scene_graphs()}
    assert first not in graphs[4] and second not in graphs[6] and len(graphs) == 100


# -- region graphs -------------------------------------------------------------

def test_region_graphs(write_vg, tmp_path):
    region_graphs = [{"image_id": 2, "regions": [
        {"region_id": 20, "image_id": 2, "phrase": "man wearing hat", "x": 8, "y": 6, "width": 40,
         "height": 30, "synsets": [],
         "objects": scene_graph(2, 21)["objects"],
         "relationships": scene_graph(2, 21)["relationships"]},
        {"region_id": 21, "image_id": 2, "phrase": "a hat", "x": 0, "y": 0, "width": 8, "height": 6,
         "objects": [scene_graph(2, 21)["objects"][1]], "relationships": []}]}]
    root = small_vg(write_vg, **{"region_graphs.json": region_graphs})
    found = list(VisualGenome(root).region_graphs())
    assert [(i, r, g.number_of_nodes(), g.number_of_edges()) for i, r, g in found] == [
        (2, 20, 2, 1), (2, 21, 1, 0)]
    assert found[0][2].graph["phrase"] == "man wearing hat" and found[0][2].graph["box"] == (8, 6, 40, 30)

    images = tmp_path / "images"
    write_jpeg(images / "VG_100K" / "2.jpg", (160, 120))  # twice image_data.json's size
    scaled = list(VisualGenome(root, images_dir=images).region_graphs())
    assert scaled[0][2].graph["box"] == (16.0, 12.0, 80.0, 60.0)
    assert scaled[0][2].nodes[21]["w"] == 60.0


# -- the synthetic full-scale generator ----------------------------------------

def _generator():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "scripts" / "make_synthetic_vg.py"
    spec = importlib.util.spec_from_file_location("make_synthetic_vg", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # writes and reads 150 images six times over
def test_synthetic_vg_is_deterministic_with_fresh_ids(tmp_path):
    generator = _generator()
    a, b = tmp_path / "a", tmp_path / "b"
    counts = generator.write_synthetic_vg(a, 150, separate_files=True, progress=False)
    generator.write_synthetic_vg(b, 150, separate_files=True, progress=False)
    for path in sorted(a.iterdir()):
        assert path.read_bytes() == (b / path.name).read_bytes(), path.name
    assert counts["images"] == 150 and counts["files"] == [
        "attributes.json", "image_data.json", "image_sources.json", "objects.json", "region_descriptions.json",
        "relationships.json", "scene_graphs.json"]

    vg = VisualGenome(a)
    graphs = list(vg.scene_graphs())
    assert [g.graph["image_id"] for g in graphs] == list(range(1, 151))
    object_ids = [n for g in graphs for n in g]
    assert len(object_ids) == len(set(object_ids))
    # image 101 is a copy of the sample's first image with fresh ids
    first, copy = graphs[0], graphs[100]
    assert copy.graph["folder"] == first.graph["folder"] and copy.graph["width"] == first.graph["width"]
    assert [d["name"] for _, d in copy.nodes(data=True)] == [d["name"] for _, d in first.nodes(data=True)]
    assert set(copy).isdisjoint(first)
    assert vg.images()[101]["url"].endswith("/101.jpg")
    # every copy records its source scene, for grouped folds
    sample_ids = [g.graph["image_id"] for g in VisualGenome().scene_graphs()]
    assert vg.image_sources()[101] == vg.image_sources()[1] == sample_ids[0]
    region_ids = [r["region_id"] for _, rs in vg.region_descriptions() for r in rs]
    assert len(region_ids) == len(set(region_ids)) == counts["region_ids"]
    # the separate files describe the same images
    parts = tmp_path / "parts"
    parts.mkdir()
    for name in ("image_data.json", "objects.json", "attributes.json", "relationships.json"):
        (parts / name).write_bytes((a / name).read_bytes())
    assert [g.graph["image_id"] for g in VisualGenome(parts).scene_graphs()] == list(range(1, 151))


@pytest.mark.parametrize("kind, reason", [
    ("link loop", "cannot open: Too many levels of symbolic links"),
    ("broken link", "cannot open: No such file or directory (a symbolic link to "),
    ("folder", "is a folder, expected a file"),
])
def test_a_file_that_is_there_but_unreadable_is_no_absent_file(tmp_path, run_cli, kind, reason):
    """scene_graphs.json that cannot be read must not pass for absent (graphs
    would then be built from objects.json without a word)."""
    root = tmp_path / "vg"
    shutil.copytree(bundled_sample(), root)
    path = root / "scene_graphs.json"
    path.unlink()
    if kind == "link loop":
        path.symlink_to(path.name)
    elif kind == "broken link":
        path.symlink_to(tmp_path / "gone.json")
    else:
        path.mkdir()
    for flags in ([], ["--lenient"]):
        done = run_cli("inspect", *flags, root)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stdout
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"crepe-gen: error: {path}: {reason}"), done.stderr
    with pytest.raises(InputError, match=reason.split(" (")[0]):
        VisualGenome(root).path("scene_graphs", required=False)
    path.unlink() if kind != "folder" else path.rmdir()
    assert VisualGenome(root).path("scene_graphs", required=False) is None  # truly absent: built from parts


@pytest.mark.parametrize("target", ["scene_graphs.json", "config"])
def test_a_fifo_is_refused_not_read_forever(tmp_path, run_cli, sample_dir, target):
    root = tmp_path / "vg"
    shutil.copytree(sample_dir, root)
    if target == "config":
        os.mkfifo(tmp_path / "cfg.yaml")
        done = run_cli("productivity", "--out", tmp_path / "out", "--config", tmp_path / "cfg.yaml", timeout=60)
        assert done.returncode == 2 and "cfg.yaml: productivity config is not a regular file" in done.stderr
        return
    (root / target).unlink()
    os.mkfifo(root / target)
    done = run_cli("inspect", root, timeout=60)
    assert done.returncode == 2 and f"{target}: is not a regular file" in done.stderr, done.stderr
