"""Boxes: ``(x, y, width, height)`` in image pixels, and how much of one lies in another.

One place for box arithmetic, so that "how much of an object is inside the
crop" and "how much two boxes share" are each defined once.

Examples
--------
>>> intersection((0, 0, 10, 10), (5, 0, 10, 10))
50
>>> fraction_inside((0, 0, 10, 10), (5, 0, 100, 100))
0.5
>>> overlap_of_smaller((0, 0, 10, 10), (5, 0, 10, 20))
0.5
"""

from __future__ import annotations

import math

__all__ = ["Box", "BOX_FIELDS", "area", "box_fault", "intersection", "fraction_inside", "overlap_of_smaller"]

Box = tuple[float, float, float, float]
#: What the four values of a box are called in messages.
BOX_FIELDS = ("x", "y", "width", "height")


def box_fault(box: Box) -> tuple[int, str] | None:
    """``(position, reason)`` of the first value that makes *box* no box, or None.

    NaN and infinite values are faults, and so are a negative width or height.
    A zero width or height is a box (Visual Genome has a few degenerate ones):
    it has no area, and the stages that crop say what they do with it.

    >>> box_fault((0, 0, 10, 0)) is None
    True
    >>> box_fault((0, 0, -5, 3)), box_fault((0, float("nan"), 1, 1)), box_fault((float("inf"), 0, 1, 1))
    ((2, 'negative box width'), (1, 'box y is not a number'), (0, 'box x is not finite'))
    """
    for position, value in enumerate(box):
        if math.isnan(value):
            return position, f"box {BOX_FIELDS[position]} is not a number"
        if math.isinf(value):
            return position, f"box {BOX_FIELDS[position]} is not finite"
    for position in (2, 3):
        if box[position] < 0:
            return position, f"negative box {BOX_FIELDS[position]}"
    return None


def area(box: Box) -> float:
    """Width times height (0 for a box with no positive side).

    >>> area((3, 4, 2, 5)), area((0, 0, -1, 5))
    (10, 0)
    """
    _, _, width, height = box
    return width * height if width > 0 and height > 0 else 0


def intersection(box_a: Box, box_b: Box) -> float:
    """Area the two boxes share (0 when they do not meet)."""
    ax, ay, aw, ah = box_a
    bx, by, bw, bh = box_b
    width = min(ax + aw, bx + bw) - max(ax, bx)
    height = min(ay + ah, by + bh) - max(ay, by)
    return width * height if width > 0 and height > 0 else 0


def fraction_inside(box: Box, region: Box) -> float:
    """The fraction of *box*'s area that lies inside *region* (0 for an empty box)."""
    own = area(box)
    return intersection(box, region) / own if own > 0 else 0.0


def overlap_of_smaller(box_a: Box, box_b: Box) -> float:
    """Shared area over the area of the smaller box (0 when either is empty)."""
    smaller = min(area(box_a), area(box_b))
    return intersection(box_a, box_b) / smaller if smaller > 0 else 0.0
