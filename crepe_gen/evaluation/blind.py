"""What every blind reader is shown: sampled rows, their candidates shuffled and numbered.

Shared by the reasoning judge (:mod:`crepe_gen.evaluation.judge`), the
blind-review sheet (:mod:`crepe_gen.evaluation.quiz`) and the language-model
attacker's sample (:mod:`crepe_gen.evaluation.lm_attacker`), so a seed means
the same rows and the same orders for all of them.

Examples
--------
>>> from crepe_gen.bench.reader import Item
>>> item = Item("productivity", "atom", 4, 7, "a red cup", ("a blue cup", "a red mug", "a red jar"))
>>> first, second = shuffled_orders(item, seed=0, salt="judge")
>>> sorted(first) == [0, 1, 2, 3], first.index(0) != second.index(0)
(True, True)
>>> print(numbered(item.candidates, [2, 0, 3, 1]))
1. a red mug
2. a red cup
3. a red jar
4. a blue cup
"""

from __future__ import annotations

import collections
import random

from ..bench.reader import Item
from ..core.fingerprint import fingerprint

__all__ = ["distinct_key", "sample_rows", "shuffled_orders", "numbered"]


def distinct_key(item: Item) -> tuple:
    """Items equal under this key are one test (systematicity splits repeat rows)."""
    return (item.image_id, item.positive, item.negatives)


def sample_rows(items: list[Item], rows: int, seed: int, salt: str, group_of) -> dict[tuple, list[Item]]:
    """``{group: items}``: at most *rows* distinct items per group (*group_of*
    maps an item to its group, a cell or a foil type), drawn with a seed of
    their own from ``(salt, seed, group)`` and kept in reading order."""
    groups: dict[tuple, dict] = collections.defaultdict(dict)
    for item in items:
        groups[group_of(item)].setdefault(distinct_key(item), item)
    sampled = {}
    for key, distinct in sorted(groups.items(), key=lambda kv: tuple(map(str, kv[0]))):
        pool = list(distinct.values())
        rng = random.Random(fingerprint(salt, seed, *key))
        sampled[key] = pool if len(pool) <= rows else [pool[i] for i in sorted(rng.sample(range(len(pool)), rows))]
    return sampled


def shuffled_orders(item: Item, seed: int, salt: str, count: int = 2) -> list[list[int]]:
    """*count* seeded orders of the item's candidate indices (0 is the
    positive), the positive at a different position in each while positions
    remain; shown to a reader, order ``o`` puts candidate ``o[i]`` at number ``i + 1``."""
    rng = random.Random(fingerprint(salt, seed, *distinct_key(item)))
    size = len(item.candidates)
    orders, used = [], set()
    for _ in range(count):
        free = [p for p in range(size) if p not in used] or list(range(size))
        position = rng.choice(free)
        used.add(position)
        rest = list(range(1, size))
        rng.shuffle(rest)
        orders.append(rest[:position] + [0] + rest[position:])
    return orders


def numbered(candidates, order) -> str:
    """The candidates in *order*, one ``N. text`` line each, numbered from 1
    (line breaks inside a candidate become spaces; nothing else is touched, so
    formatting cues stay visible)."""
    return "\n".join(f"{number}. {' '.join(candidates[index].splitlines())}"
                     for number, index in enumerate(order, 1))
