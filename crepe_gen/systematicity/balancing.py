"""Balancing the negative lists against a text-only classifier
(:mod:`crepe_gen.textonly.balance`): :func:`balance_negatives` picks each row's
negatives, :func:`drop_predictable_lists` and :func:`discard_lists` take out the
lists whose positive the classifier still finds; the positive's rank under
compound plausibility (:mod:`~crepe_gen.systematicity.plausibility`) is balanced too."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ..bench.format import SYSTEMATICITY_NEGATIVE_COLUMNS
from ..textonly.balance import balance_foils, drop_predictable

if TYPE_CHECKING:
    from .config import SystematicityConfig
    from .rows import TrainingSet

__all__ = ["balance_negatives", "balance_sets", "discard_lists", "drop_predictable_lists", "plausibility_scores"]


def balance_negatives(training_set: TrainingSet, config: SystematicityConfig, kind: str) -> None:
    """Cut every row's *kind* list (``atom``, ``comp``, ``combined``) of
    candidates to ``max_negatives`` (``comp_negatives`` for the other two; in
    place); with ``balance_ranks``, by
    :func:`~crepe_gen.textonly.balance.balance_foils` (rank balancing under a
    text-only classifier trained on other images and, with
    ``balance_plausibility``, under the compound plausibility of
    :func:`plausibility_scores` at once). Lists that cannot be balanced go by
    :func:`discard_lists`.
    """
    column = SYSTEMATICITY_NEGATIVE_COLUMNS[kind]
    keys = [(split, i) for split, rows in training_set.rows.items() for i, row in enumerate(rows)
            if row[column]]
    k = config.max_negatives if kind == "atom" else config.comp_negatives
    if config.balance_ranks and keys:
        items = [(training_set.rows[s][i]["image_id"], training_set.rows[s][i]["caption"],
                  training_set.rows[s][i][column]) for s, i in keys]
        also = [plausibility_scores(training_set, keys, kind)] if config.balance_plausibility else None
        picks = balance_foils(items, k, rounds=config.balance_rounds, folds=config.classifier_folds,
                              seed=config.seed, salt=f"{config.seed}:{training_set.tag}:{kind}:ranks", also=also)
    else:
        picks = [list(range(min(k, len(training_set.rows[s][i][column])))) for s, i in keys]
    for (split, i), pick in zip(keys, picks):
        if pick:
            row, record = training_set.rows[split][i], training_set.provenance[split][i]
            row[column] = [row[column][j] for j in pick]
            record["negatives"][kind] = [record["negatives"][kind][j] for j in pick]
    discard_lists(training_set, kind, {key for key, pick in zip(keys, picks) if not pick},
                  "not balanceable against a text-only classifier"
                  + (" and compound plausibility" if config.balance_ranks and config.balance_plausibility else ""))


def plausibility_scores(training_set: TrainingSet, keys: list, kind: str) -> list:
    """``[(positive, [negatives])]`` compound plausibility
    (:class:`~crepe_gen.systematicity.plausibility.CompoundPlausibility`, as
    recorded in the provenance) of the *kind* lists of the rows *keys*.
    Equal scores are told apart by a small draw of their own per text
    (seeded by the text), so a list whose edit changes no compound does not
    always rank its positive last."""
    records = [training_set.provenance[split][i] for split, i in keys]

    def jittered(record, text, score):
        return score + random.Random(f"{record['image_id']}:{record['region_id']}:{text}").random() * 1e-6
    return [(jittered(record, record["caption"], record["plausibility"]),
             [jittered(record, n["text"], n["plausibility"]) for n in record["negatives"][kind]])
            for record in records]


def discard_lists(training_set: TrainingSet, kind: str, doomed: set, why: str) -> None:
    """Take the *kind* lists of the rows *doomed* (``(split, index)`` pairs)
    out of *training_set*, counted in its ``skipped`` by *why*: a row without
    its HN-Atom list is dropped; an HN-Comp or combined list is emptied and the
    row keeps its other lists."""
    if not doomed:
        return
    if kind == "atom":
        training_set.skipped[f"HN-Atom {why}"] += len(doomed)
        for split, rows in training_set.rows.items():
            keep = [i for i in range(len(rows)) if (split, i) not in doomed]
            training_set.rows[split] = [rows[i] for i in keep]
            training_set.provenance[split] = [training_set.provenance[split][i] for i in keep]
        return
    training_set.skipped[f"{kind} list {why} (emptied)"] += len(doomed)
    for split, i in doomed:
        training_set.rows[split][i][SYSTEMATICITY_NEGATIVE_COLUMNS[kind]] = []
        training_set.provenance[split][i]["negatives"][kind] = []


def drop_predictable_lists(training_sets: list, config: SystematicityConfig, kind: str) -> None:
    """Discard (:func:`discard_lists`) the *kind* lists whose positive a
    text-only classifier still finds after rank balancing
    (:func:`crepe_gen.textonly.balance.drop_predictable`), judged over every training set
    at once: the same region's row in two sets is one item, as the audit pools them."""
    column = SYSTEMATICITY_NEGATIVE_COLUMNS[kind]

    def key(row):
        return row["image_id"], row["caption"], tuple(row[column])

    distinct: dict[tuple, int] = {}
    for state in training_sets:
        for row in (row for rows in state.rows.values() for row in rows if row[column]):
            distinct.setdefault(key(row), len(distinct))
    keep = drop_predictable([(image_id, caption, list(negatives)) for image_id, caption, negatives in distinct],
                            folds=config.classifier_folds, seed=config.seed) if distinct else []
    for state in training_sets:
        doomed = {(split, i) for split, rows in state.rows.items() for i, row in enumerate(rows)
                  if row[column] and not keep[distinct[key(row)]]}
        discard_lists(state, kind, doomed, "found by a text-only classifier")


def balance_sets(training_sets: list, config: SystematicityConfig) -> None:
    """Balance every list of every training set (:func:`balance_negatives`, HN-Atom
    first: it drops rows), then, with ``balance_ranks``, drop the lists a
    text-only classifier still solves (:func:`drop_predictable_lists`)."""
    for state in training_sets:
        for kind in SYSTEMATICITY_NEGATIVE_COLUMNS:
            balance_negatives(state, config, kind)
    if config.balance_ranks:
        for kind in SYSTEMATICITY_NEGATIVE_COLUMNS:
            drop_predictable_lists(training_sets, config, kind)
