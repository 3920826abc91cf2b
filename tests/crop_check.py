"""An independent check of truth at the crop, written from the VG annotations.

It reads a benchmark folder's JSONL provenance and the Visual Genome scene
graphs (names, attributes, relationships, boxes as the reader gives them)
and counts, per foil type, the foils that are TRUE for their row's crop by
plain matching (a name among the object's names, an attribute among its
attributes, a predicate on a relationship between the two objects, raw or as
captions phrase it). It uses nothing of ``crepe_gen.vg.truth`` or
``crepe_gen.vg.crop``, so it can catch a verdict those modules get wrong.

The crop rule: an object is visible when at least half its box is
inside the crop, touches the crop when any part is. A candidate denies at most
one atom (an object with its attributes and relations, an attribute or a
relation). A foil is true for the crop when objects touching the crop can
stand for its mentions so that what it affirms holds and what it denies does
not, a denied object counting as there only when visible. A positive is false
when no assignment of visible objects does so, a denied object counting as
there when any object of the image fits it.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

from crepe_gen.language.lexicon import is_weak, predicate_phrase, same_attribute

VISIBLE = 0.5
POSSESSION = frozenset({"has", "have", "with"})


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
        # an object and its same-box twins are one thing: they share attributes and relations
        twins = {o: {o, *self.objects[o].get("same_box", ())} for o in self.objects}
        for o, node in self.objects.items():
            node["attributes"] = tuple(sorted({a for t in twins[o] for a in self.objects[t]["attributes"]}))
        self.edges = collections.defaultdict(set)
        for s, o, data in graph.edges(data=True):
            # as the caption says it ("wears" -> "wearing", "with" -> "has")
            for a in twins[s]:
                for b in twins[o]:
                    self.edges[a, b].update({data["predicate"], predicate_phrase(data["predicate"])})
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
        return any(self.holds(s, predicate, o) for s in subjects for o in objects if s != o)

    def holds(self, subject, predicate, obj) -> bool:
        """A predicate on a relationship from *subject* to *obj*, or one it is part of
        ("on" of "lying on"); a loose one ("has", "near": any relation will do, "a couch
        has a blanket" of a blanket on it) on any relationship between the two, either way."""
        if predicate in POSSESSION or is_weak(predicate):
            return bool(self.edges[subject, obj] or self.edges[obj, subject])
        words = f" {predicate} "
        return any(words in f" {edge} " or f" {edge} " in words for edge in self.edges[subject, obj])

    def has_attributes(self, object_id, attributes) -> bool:
        """Every attribute held by the object, by spelling or synonym ("grey", "gray")."""
        held = self.objects[object_id]["attributes"]
        return all(any(same_attribute(a, h) or a in h.split() for h in held) for a in attributes)


def images(vg) -> dict:
    return {graph.graph["image_id"]: Image(graph) for graph in vg.scene_graphs()}


def _scene_true(image: Image, scene: dict, crop, mentions_least, witnesses_least) -> bool:
    """Whether objects with more than *mentions_least* of their box in the crop
    (None: at least half) can stand for the scene's affirmed mentions so that
    every affirmed attribute and relation holds (plain matching) and the denied
    atom fails; a denied object fails when no object with more than
    *witnesses_least* of its box inside fits it (-1.0: anywhere in the image)."""
    denied = scene.get("negated") or [None]
    relations = [tuple(r) for r in scene["relations"]]
    denied_relation = relations[denied[1]] if denied[0] == "relation" else None
    denied_object = denied[1] if denied[0] == "object" else None
    affirmed = [r for r in relations if r != denied_relation and denied_object not in (r[0], r[2])]
    candidates = {}
    for mention in scene["objects"]:
        if mention["id"] == denied_object:
            continue
        wanted = set(mention["attributes"])
        if denied[0] == "attribute" and denied[1] == mention["id"]:
            wanted.discard(denied[2])
        candidates[mention["id"]] = [o for o in image.named(mention["name"], crop, mentions_least)
                                     if image.has_attributes(o, wanted)]
        if not candidates[mention["id"]]:
            return False

    def denial_fails(chosen):
        if denied[0] == "attribute":
            return not image.has_attributes(chosen[denied[1]], [denied[2]])
        if denied[0] == "relation":
            s, p, o = denied_relation
            return not image.holds(chosen[s], p, chosen[o])
        if denied[0] == "object":
            mention = next(m for m in scene["objects"] if m["id"] == denied_object)
            for w in image.named(mention["name"], crop, witnesses_least):
                if image.has_attributes(w, mention["attributes"]) and all(
                        image.holds(w if s == denied_object else chosen[s], p, w if o == denied_object else chosen[o])
                        for s, p, o in relations if denied_object in (s, o)):
                    return False
        return True

    return any(denial_fails(chosen) for chosen in _assignments(image, list(candidates), candidates, affirmed, {}))


def _assignments(image: Image, mentions: list, candidates: dict, relations: list, chosen: dict):
    """Every assignment of distinct annotated objects to the mentions under
    which every relation holds (backtracking; relations are tested as soon as
    both ends are chosen)."""
    if len(chosen) == len(mentions):
        yield dict(chosen)
        return
    mention = mentions[len(chosen)]
    for candidate in candidates[mention]:
        if candidate in chosen.values():
            continue
        chosen[mention] = candidate
        if all(image.holds(chosen[s], p, chosen[o]) for s, p, o in relations if s in chosen and o in chosen):
            yield from _assignments(image, mentions, candidates, relations, chosen)
        del chosen[mention]


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
            if not _scene_true(image, positive, crop, None, -1.0):
                report["positive_false"][foil_type] += 1
            for negative in row["provenance"]["negatives"]:
                report["foils"][foil_type] += 1
                report["true"][foil_type] += _scene_true(image, negative["scene"], crop, 0.0, None)
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
