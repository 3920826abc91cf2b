"""Truth at the crop: what a model shown only a row's box can see.

The evaluation crops each image to the row's box (already rescaled when the
real image sizes are known), so a negative must be false for the crop, not
merely for the whole image. One rule, used by both sets:

* an object is *visible* when at least ``visible_fraction`` (default half) of
  its box lies inside the crop (:func:`crepe_gen.vg.geometry.fraction_inside`);
* an object with some but less of its box inside is *partly visible*: it may
  be read as visible or as not, and every verdict below holds either way;
* an object with no part inside is not in the crop, and never makes a foil.

A negative is false for the crop (:func:`negative_false_at_crop`) when no
reading makes it hold: no assignment of objects with any part in the crop
makes what it affirms true and what it denies false, where a denied object
counts as there only when visible. A positive is true for the crop
(:func:`positive_true_at_crop`) when some assignment of visible objects makes
what it affirms true and what it denies false, where a denied object counts
as there when any object of the image fits it.

Examples
--------
>>> from crepe_gen.vg.graph import build_graph
>>> from crepe_gen.vg.truth import Statement
>>> graph = build_graph({"image_id": 1, "objects": [
...     {"object_id": 1, "names": ["cup"], "synsets": ["cup.n.01"], "x": 0, "y": 0, "w": 10, "h": 10},
...     {"object_id": 2, "names": ["dog"], "synsets": ["dog.n.01"], "x": 8, "y": 0, "w": 10, "h": 10},
...     {"object_id": 3, "names": ["cat"], "synsets": ["cat.n.01"], "x": 50, "y": 50, "w": 10, "h": 10}],
...   "relationships": []})
>>> crop = (0, 0, 10, 10)
>>> name_visible(graph, "cup", crop), name_visible(graph, "dog", crop), touching_objects(graph, crop)
(True, False, frozenset({1, 2}))
>>> no = lambda name: Statement({"a": (name, ())}, negated=("object", "a"))
>>> negative_false_at_crop(graph, no("cup"), crop)
True
>>> negative_false_at_crop(graph, no("cat"), crop)  # the cat is outside the crop
False
>>> positive_true_at_crop(graph, no("bird"), crop)
True
>>> positive_true_at_crop(graph, no("cat"), crop)  # a cat is in the image, if not in the crop
False
"""

from __future__ import annotations

import networkx as nx

from .geometry import Box, fraction_inside
from .truth import Statement, memoized, objects_named, statement_holds

__all__ = ["VISIBLE_FRACTION", "object_box", "inside_fraction", "visible_objects", "touching_objects",
           "name_visible", "negative_false_at_crop", "positive_true_at_crop",
           "clip_to_image", "too_small"]

#: Default share of an object's box that must lie inside the crop for it to be visible.
VISIBLE_FRACTION = 0.5


def object_box(graph: nx.MultiDiGraph, object_id) -> Box:
    """The object's ``(x, y, width, height)``."""
    node = graph.nodes[object_id]
    return node["x"], node["y"], node["w"], node["h"]


def inside_fraction(graph: nx.MultiDiGraph, object_id, crop: Box) -> float:
    """The share of the object's box inside *crop*."""
    return fraction_inside(object_box(graph, object_id), crop)


def visible_objects(graph: nx.MultiDiGraph, crop: Box, visible_fraction: float = VISIBLE_FRACTION) -> frozenset:
    """Ids of the objects visible in *crop* (at least *visible_fraction* inside)."""
    return memoized(graph, ("visible", tuple(crop), visible_fraction), lambda: frozenset(
        o for o in graph.nodes if inside_fraction(graph, o, crop) >= visible_fraction))


def touching_objects(graph: nx.MultiDiGraph, crop: Box) -> frozenset:
    """Ids of the objects with any part inside *crop* (visible or partly visible)."""
    return memoized(graph, ("touching", tuple(crop)), lambda: frozenset(
        o for o in graph.nodes if inside_fraction(graph, o, crop) > 0))


def name_visible(graph: nx.MultiDiGraph, name: str, crop: Box, visible_fraction: float = VISIBLE_FRACTION) -> bool:
    """Whether some object that may be called *name* is visible in *crop*."""
    return any(inside_fraction(graph, o, crop) >= visible_fraction for o in objects_named(graph, name))


def negative_false_at_crop(graph: nx.MultiDiGraph, statement: Statement, crop: Box,
                           visible_fraction: float = VISIBLE_FRACTION) -> bool:
    """Whether *statement* is false for *crop* whichever way partly visible objects are read."""
    return not statement_holds(graph, statement, among=touching_objects(graph, crop),
                               witnesses=visible_objects(graph, crop, visible_fraction))


def positive_true_at_crop(graph: nx.MultiDiGraph, statement: Statement, crop: Box,
                          visible_fraction: float = VISIBLE_FRACTION) -> bool:
    """Whether everything *statement* affirms is visible in *crop* and nothing it denies is in the image."""
    return statement_holds(graph, statement, among=visible_objects(graph, crop, visible_fraction))


# -- the crop itself ----------------------------------------------------------------------
def clip_to_image(box: Box, width, height) -> tuple[Box, float]:
    """``(box clipped to the image, share of the box that was inside)``.

    With an unknown image size (*width* or *height* None) the box is returned
    as is, wholly inside.

    >>> clip_to_image((-10, 0, 20, 10), 100, 100)
    ((0.0, 0.0, 10.0, 10.0), 0.5)
    >>> clip_to_image((5, 5, 10, 10), None, None)
    ((5, 5, 10, 10), 1.0)
    """
    if not width or not height:
        return box, 1.0
    image = (0.0, 0.0, float(width), float(height))
    share = fraction_inside(box, image)
    x, y, w, h = box
    left, top = max(float(x), 0.0), max(float(y), 0.0)
    right, bottom = min(float(x + w), float(width)), min(float(y + h), float(height))
    return (left, top, max(right - left, 0.0), max(bottom - top, 0.0)), share


def too_small(box: Box, width, height, min_area_fraction: float, min_side: float) -> bool:
    """Whether the crop is too small to show anything: a side under *min_side*
    pixels, or (with a known image size) under *min_area_fraction* of the image.

    >>> too_small((0, 0, 19, 100), 500, 500, 0.005, 20), too_small((0, 0, 30, 30), 500, 500, 0.005, 20)
    (True, True)
    >>> too_small((0, 0, 40, 40), 500, 500, 0.005, 20)
    False
    """
    _, _, w, h = box
    if min(w, h) < min_side:
        return True
    return bool(width and height) and w * h < min_area_fraction * width * height
