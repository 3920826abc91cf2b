"""An independent check of truth at the crop, written from the VG annotations.

It reads a benchmark folder's JSONL provenance and the Visual Genome scene
graphs (names, attributes, relationships, boxes as the reader gives them)
and counts, per foil type, the foils that are TRUE for their row's crop by
plain matching (a name among the object's names, an attribute among its
attributes, a predicate on a relationship between the two objects). It uses
nothing of ``crepe_gen.vg.truth`` or ``crepe_gen.vg.crop``, so it can catch a
verdict those modules get wrong.

The crop rule: an object is visible when at least half its box is
inside the crop, touches the crop when any part is; a "there is no X" foil is
true for the crop when no object named X is visible; a positive's "there is
no Y" is false when an object named Y touches the crop.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

VISIBLE = 0.5


def share_inside(box, crop) -> float:
    x, y, w, h = box
    cx, cy, cw, ch = crop
    if w <= 0 or h <= 0:
        return 0.0
    dx = min(x + w, cx + cw) - max(x, cx)
    dy = min(y + h, cy + ch) - max(y, cy)
    return dx * dy / (w * h) if dx > 0 and dy > 0 else 0.0


class Image:
    """One image's annotations, as plain dicts."""

    def __init__(self, graph):
        self.objects = {o: dict(graph.nodes[o]) for o in graph.nodes}
        self.edges = collections.defaultdict(set)
        for s, o, data in graph.edges(data=True):
            self.edges[s, o].add(data["predicate"])
        self.size = (graph.graph.get("width"), graph.graph.get("height"))

    def share(self, object_id, crop) -> float:
        node = self.objects[object_id]
        return share_inside((node["x"], node["y"], node["w"], node["h"]), crop)

    def named(self, name, crop, least) -> list:
        """Objects carrying *name* with more than *least* of their box in *crop*
        (``least=None``: at least half)."""
        return [o for o, node in self.objects.items() if name in node["names"]
                and (self.share(o, crop) >= VISIBLE if least is None else self.share(o, crop) > least)]

    def related(self, subjects, predicate, objects) -> bool:
        return any(predicate in self.edges[s, o] for s in subjects for o in objects if s != o)


def images(vg) -> dict:
    return {graph.graph["image_id"]: Image(graph) for graph in vg.scene_graphs()}


def _scene_true(image: Image, scene: dict, crop) -> bool:
    """Whether objects touching the crop match every object, attribute and
    relation of *scene* (plain matching) and no absent name is visible."""
    if any(image.named(name, crop, None) for name in scene.get("absent", ())):
        return False
    candidates = {}
    for mention in scene["objects"]:
        candidates[mention["id"]] = [o for o in image.named(mention["name"], crop, 0.0)
                                     if set(mention["attributes"]) <= set(image.objects[o]["attributes"])]
        if not candidates[mention["id"]]:
            return False
    return _assignment_exists(image, list(candidates), candidates, [tuple(r) for r in scene["relations"]], {})


def _assignment_exists(image: Image, mentions: list, candidates: dict, relations: list, chosen: dict) -> bool:
    """Whether distinct annotated objects can stand for the mentions so that
    every relation holds (backtracking; relations are tested as soon as both
    ends are chosen)."""
    if len(chosen) == len(mentions):
        return True
    mention = mentions[len(chosen)]
    for candidate in candidates[mention]:
        if candidate in chosen.values():
            continue
        chosen[mention] = candidate
        if all(p in image.edges[chosen[s], chosen[o]] for s, p, o in relations if s in chosen and o in chosen) \
                and _assignment_exists(image, mentions, candidates, relations, chosen):
            del chosen[mention]
            return True
        del chosen[mention]
    return False


def productivity_report(out: Path, by_image: dict) -> dict:
    """``{"foils": Counter(type), "true": Counter(type), "positive_false": Counter(type)}``."""
    report = {"foils": collections.Counter(), "true": collections.Counter(),
              "positive_false": collections.Counter(), "rows": collections.Counter()}
    for path in sorted(out.glob("productivity/*/*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            foil_type, image = row["provenance"]["foil_type"], by_image[row["image_id"]]
            crop = (row["x"], row["y"], row["width"], row["height"])
            report["rows"][foil_type] += 1
            positive = row["provenance"]["positive"]["scene"]
            if any(image.named(name, crop, 0.0) for name in positive.get("absent", ())):
                report["positive_false"][foil_type] += 1
            for negative in row["provenance"]["negatives"]:
                report["foils"][foil_type] += 1
                report["true"][foil_type] += _scene_true(image, negative["scene"], crop)
    return report


def _statement_false(image: Image, statement: list, crop) -> bool:
    kind = statement[0]
    if kind == "object":
        return not image.named(statement[1], crop, 0.0)
    if kind == "attribute_compound":
        return not any(statement[1] in image.objects[o]["attributes"] for o in image.named(statement[2], crop, 0.0))
    _, subject, predicate, obj = statement
    return not image.related(image.named(subject, crop, 0.0), predicate, image.named(obj, crop, 0.0))


PHOTO = ("in the photo", "in the picture", "in the image", "this image", "this photo", "this picture")


def systematicity_report(out: Path, by_image: dict) -> dict:
    """Negatives per list and those true for the crop (none of the statements
    they are said to make falsely is false at the crop), plus bad crops."""
    report = {"foils": collections.Counter(), "true": collections.Counter(), "rows": collections.Counter(),
              "tiny": 0, "outside": 0, "photo": 0}
    for path in sorted(out.glob("systematicity/*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            image = by_image[row["image_id"]]
            crop = tuple(row["box"])
            report["rows"][path.stem] += 1
            width, height = image.size
            if min(crop[2], crop[3]) < 20 or (width and crop[2] * crop[3] < 0.005 * width * height):
                report["tiny"] += 1
            if width and (crop[0] < 0 or crop[1] < 0 or crop[0] + crop[2] > width + 0.5
                          or crop[1] + crop[3] > height + 0.5):
                report["outside"] += 1
            if any(f" {phrase} " in f" {row['caption']} " for phrase in PHOTO):
                report["photo"] += 1
            for kind, negatives in row["negatives"].items():
                for negative in negatives:
                    report["foils"][kind] += 1
                    report["true"][kind] += not any(_statement_false(image, s, crop) for s in negative["false"])
    return report
