"""Truth at the crop (crepe_gen.vg.crop), the systematicity crop drops, and the
check of a whole build: no foil of any type is true for its row's crop."""

from __future__ import annotations

import collections

import pytest

from crepe_gen.cli import main
from crepe_gen.core.errors import ConfigError
from crepe_gen.systematicity import SystematicityConfig
from crepe_gen.systematicity.grounding import CROP_DROPS, about_photo, in_crop, region_crop
from crepe_gen.vg import crop
from crepe_gen.vg.graph import build_graph
from crepe_gen.vg.reader import VisualGenome
from crepe_gen.vg.truth import Statement

import crop_check


@pytest.fixture
def graph():
    return build_graph({"image_id": 1, "objects": [
        {"object_id": 1, "names": ["cup"], "synsets": ["cup.n.01"], "x": 0, "y": 0, "w": 10, "h": 10,
         "attributes": ["white"]},
        {"object_id": 2, "names": ["table"], "synsets": ["table.n.02"], "x": 0, "y": 10, "w": 80, "h": 10},
        {"object_id": 3, "names": ["dog"], "synsets": ["dog.n.01"], "x": 16, "y": 0, "w": 10, "h": 10},
        {"object_id": 4, "names": ["cat"], "synsets": ["cat.n.01"], "x": 150, "y": 50, "w": 10, "h": 10}],
        "relationships": [{"relationship_id": 9, "predicate": "on", "subject_id": 1, "object_id": 2,
                           "synsets": []}]}, image={"width": 200, "height": 100})


CROP = (0, 0, 20, 20)  # the cup whole, a quarter of the table, 40% of the dog, no cat


def test_visible_touching_and_outside(graph):
    assert crop.visible_objects(graph, CROP) == {1}
    assert crop.touching_objects(graph, CROP) == {1, 2, 3}
    assert crop.visible_objects(graph, CROP, visible_fraction=0.25) == {1, 2, 3}
    assert crop.name_visible(graph, "cup", CROP) and not crop.name_visible(graph, "dog", CROP)


def no(name: str) -> Statement:
    """"There is no NAME"."""
    return Statement({"x": (name, ())}, negated=("object", "x"))


def test_a_negation_foil_is_false_only_of_a_visible_object(graph):
    assert crop.negative_false_at_crop(graph, no("cup"), CROP)
    assert not crop.negative_false_at_crop(graph, no("dog"), CROP)  # partly visible
    assert not crop.negative_false_at_crop(graph, no("cat"), CROP)  # outside the crop
    assert crop.negative_false_at_crop(graph, no("dog"), CROP, visible_fraction=0.4)
    # "the cup is not white" is false; "the cup is not black" is not
    cup = {"a": ("cup", ("white",))}
    assert crop.negative_false_at_crop(graph, Statement(cup, negated=("attribute", "a", "white")), CROP)
    assert not crop.negative_false_at_crop(graph, Statement({"a": ("cup", ("black",))},
                                                            negated=("attribute", "a", "black")), CROP)
    # nothing denied: false when the graph rules it out
    assert crop.negative_false_at_crop(graph, Statement({"a": ("cup", ("black",))}), CROP)
    assert not crop.negative_false_at_crop(graph, Statement({"a": ("cup", ("white",))}), CROP)


def test_a_positive_is_true_only_of_what_is_visible(graph):
    on_table = Statement({"a": ("cup", ()), "b": ("table", ())}, (("a", "on", "b"),))
    assert not crop.positive_true_at_crop(graph, on_table, CROP)  # a quarter of the table
    assert crop.positive_true_at_crop(graph, on_table, CROP, visible_fraction=0.25)
    assert crop.positive_true_at_crop(graph, no("horse"), CROP)
    assert not crop.positive_true_at_crop(graph, no("dog"), CROP)  # partly in the crop
    assert not crop.positive_true_at_crop(graph, no("cat"), CROP)  # in the image, outside the crop
    not_under = Statement({"a": ("cup", ()), "b": ("table", ())}, (("a", "under", "b"),),
                          negated=("relation", ("a", "under", "b")))
    assert crop.positive_true_at_crop(graph, not_under, CROP, visible_fraction=0.25)


def test_clip_and_size_of_a_crop():
    assert crop.clip_to_image((190, 0, 20, 50), 200, 100) == ((190.0, 0.0, 10.0, 50.0), 0.5)
    assert crop.clip_to_image((300, 0, 20, 50), 200, 100)[1] == 0.0
    assert crop.too_small((0, 0, 30, 10), None, None, 0.005, 20)
    assert crop.too_small((0, 0, 30, 30), 1000, 1000, 0.005, 20)  # 0.09% of the image
    assert not crop.too_small((0, 0, 80, 80), 1000, 1000, 0.005, 20)


def _region(x, y, w, h):
    return {"x": x, "y": y, "width": w, "height": h}


def test_region_crops_are_clipped_or_dropped(graph):
    config = SystematicityConfig()
    assert region_crop(_region(0, 0, 40, 40), graph, config) == ((0.0, 0.0, 40.0, 40.0), None)
    assert region_crop(_region(-10, 0, 50, 40), graph, config) == ((0.0, 0.0, 40.0, 40.0), None)
    assert region_crop(_region(170, 0, 90, 40), graph, config)[1] == CROP_DROPS["outside"]
    assert region_crop(_region(0, 0, 15, 40), graph, config)[1] == CROP_DROPS["small"]
    assert region_crop(_region(0, 0, 15, 40), graph, SystematicityConfig(min_crop_side=10))[1] is None
    assert region_crop(_region(0, 0, 21, 21), graph, SystematicityConfig(min_crop_fraction=0.05))[1] \
        == CROP_DROPS["small"]


def test_captions_about_the_photo():
    phrases = SystematicityConfig().photo_phrases
    assert about_photo("a man in the photo".split(), phrases)
    assert about_photo("this image shows a red bus".split(), phrases)
    assert not about_photo("a photo frame on the wall".split(), phrases)
    assert not about_photo("man holding a picture".split(), phrases)


def test_grounded_objects_outside_the_crop_are_left_out(graph):
    assert in_crop(graph, {"cup": [1], "cat": [4]}, CROP) is None
    assert in_crop(graph, {"cup": [1], "table": [2, 4]}, CROP) == {"cup": [1], "table": [2]}


@pytest.mark.parametrize("changes", [{"min_crop_fraction": 1.5}, {"min_crop_side": -1}, {"max_outside": 1.0},
                                     {"photo_phrases": "in the photo"}, {"photo_phrases": [1]}])
def test_bad_crop_options_are_config_errors(changes):
    with pytest.raises(ConfigError):
        SystematicityConfig(**changes)


def test_the_independent_check_finds_a_foil_true_for_its_crop(tmp_path, graph):
    """The checker of the build test can fail: a "there is no dog" of a dog
    mostly outside the crop, written as a productivity row, is counted; so is a
    positive's "there is no cat" of a cat elsewhere in the image."""
    import json

    def denial(name):
        return {"objects": [{"id": 1, "name": name, "attributes": []}], "relations": [], "negated": ["object", 1]}
    row = {"image_id": 1, "x": 0, "y": 0, "width": 20, "height": 20,
           "provenance": {"foil_type": "negate", "positive": {"scene": denial("cat")},
                          "negatives": [{"scene": denial(name)} for name in ("cup", "dog")]}}
    (tmp_path / "productivity" / "negate").mkdir(parents=True)
    (tmp_path / "productivity" / "negate" / "x.jsonl").write_text(json.dumps(row) + "\n")
    report = crop_check.productivity_report(tmp_path, {1: crop_check.Image(graph)})
    assert report["true"] == {"negate": 1} and report["foils"] == {"negate": 2}
    assert report["positive_false"] == {"negate": 1}


@pytest.mark.slow
def test_no_foil_of_the_bundled_build_is_true_for_its_crop(tmp_path):
    out = tmp_path / "out"
    # 1: written, and the text-only audit failed (on negate rows, by their structure: the card says so)
    assert main(["build", "--out", str(out)]) in (0, 1)
    by_image = crop_check.images(VisualGenome())
    productivity = crop_check.productivity_report(out, by_image)
    systematicity = crop_check.systematicity_report(out, by_image)
    assert set(productivity["rows"]) == {"atom", "swap", "negate"}
    assert sum(productivity["foils"].values()) > 3000 and sum(systematicity["foils"].values()) > 10000
    assert productivity["true"] == collections.Counter(), productivity["true"]
    assert productivity["positive_false"] == collections.Counter()
    assert systematicity["true"] == collections.Counter(), systematicity["true"]
    assert (systematicity["tiny"], systematicity["outside"], systematicity["photo"]) == (0, 0, 0)
