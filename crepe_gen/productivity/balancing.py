"""Blind-bias balancing of the productivity cells: which rows and foils are written.

Atom and negate rows (:data:`CHOSEN_FOIL_TYPES`) keep ``negatives`` of their
candidate foils, chosen by :func:`~crepe_gen.textonly.balance.balance_foils`
so that a text-only classifier ranks the positive uniformly; then, per foil
type of :data:`PREDICTABLE_DROPPED_TYPES`, rows whose positive a classifier
retrained on the rows kept still finds are dropped
(:func:`~crepe_gen.textonly.balance.drop_predictable`; a cell keeps at least
the rows it must write): rank balancing cannot remove a cue most rows share,
such as an atom foil's rarer predicate ("a chair is attached to the desk"
for "on") or a swap foil's less plausible order ("a table is on a cup").
Swap and negate rows (:data:`ROW_CHOSEN_FOIL_TYPES`) are then chosen per cell
so that the classifier ranks the positive uniformly, and rows of every type
(:data:`PLAUSIBILITY_CHOSEN_FOIL_TYPES`) so that a text-only plausibility
score of compounds and words does too (:func:`~crepe_gen.textonly.balance.select_rows_by_ranks`, both
rankings at once for swaps and negations): a pretrained language model judges
plausibility much as that score does. Rows whose candidates state something
never seen possible (provenance ``possible`` false: a swap whose subgraph
offered no other triple) are chosen last. Every cell is cut to the same
count (:func:`balance_cells`).
"""

from __future__ import annotations

import collections
import logging

from .prior import rescore_rows
from ..textonly.balance import (balance_foils, balance_rounds, drop_predictable, positive_rank, select_rows_by_ranks)

__all__ = ["CHOSEN_FOIL_TYPES", "PLAUSIBILITY_CHOSEN_FOIL_TYPES", "PREDICTABLE_DROPPED_TYPES", "PRIOR_SCORED_FOIL_TYPES",
           "ROW_CHOSEN_FOIL_TYPES",
           "balance_cells", "balance_foil_choice", "kept_count", "plausibility_rank"]

#: Foil types whose rows carry more candidate foils than they keep.
CHOSEN_FOIL_TYPES = ("atom", "negate")
#: Foil types whose cells gather more rows than they keep, chosen by the positive's rank.
ROW_CHOSEN_FOIL_TYPES = ("swap", "negate")
#: Foil types whose cells keep the rows whose positive's rank under the text-only
#: plausibility score (:mod:`crepe_gen.productivity.weights`) is uniform.
PLAUSIBILITY_CHOSEN_FOIL_TYPES = ("atom", "swap", "negate")
#: Foil types whose rows the compound prior rescores (negate candidates differ in
#: what they deny, which compounds said alone do not show).
PRIOR_SCORED_FOIL_TYPES = ("atom", "swap")
#: Foil types whose rows a retrained classifier still solves are dropped.
PREDICTABLE_DROPPED_TYPES = ("atom", "swap", "negate")

log = logging.getLogger(__name__)


def kept_count(cells: dict, config) -> int:
    """Rows per cell to write: ``per_level`` (else the sparsest cell's count),
    no more than any cell holds.

    >>> from types import SimpleNamespace
    >>> kept_count({"a": [1, 2, 3], "b": [1, 2]}, SimpleNamespace(per_level=None))
    2
    """
    per_cell = config.per_level if config.per_level is not None else min(len(r) for r in cells.values())
    return min([per_cell] + [len(r) for r in cells.values()])


def _items(rows: list) -> list:
    """``(group, positive, negatives)`` per row for the classifier: rows of one
    source scene (its copies in a synthetic folder) share a fold."""
    return [(provenance.get("source_image_id", csv_row["image_id"]), csv_row["caption"], csv_row["hard_negs"])
            for csv_row, provenance in rows]


def _with_negatives(row: tuple, pick) -> tuple:
    csv_row, provenance = row
    csv_row = {**csv_row, "hard_negs": [csv_row["hard_negs"][i] for i in pick]}
    provenance = {**provenance, "negatives": [provenance["negatives"][i] for i in pick],
                  "balance": {"candidates": len(provenance["negatives"]), "kept": list(pick)}}
    if "plausibility" in provenance:
        scores = provenance["plausibility"]
        provenance["plausibility"] = [scores[0]] + [scores[1 + i] for i in pick]
    return csv_row, provenance


def balance_foil_choice(rows: list, config, foil_type: str = "atom", keep=None) -> list:
    """``negatives`` of each row's candidate foils, chosen by
    :func:`~crepe_gen.textonly.balance.balance_foils`; None for a row that cannot be balanced.

    *keep* (row index -> bool): rows the later rounds' classifier learns from
    (those that will be written), as the audit's classifier would."""
    return balance_foils(_items(rows), config.negatives, rounds=config.balance_rounds,
                         folds=config.classifier_folds, seed=config.seed,
                         salt=f"{config.seed}:productivity:{foil_type}:ranks", trainable=keep)


def _balance_chosen_cells(cells: dict, foil_type: str, config, section: dict) -> None:
    chosen_cells = [cell for cell in cells if cell[0] == foil_type]
    flat = [(cell, row) for cell in chosen_cells for row in cells[cell]]
    target = kept_count(cells, config)
    positions = collections.Counter()
    order = []
    for cell, _ in flat:
        order.append(positions[cell])
        positions[cell] += 1
    picks = balance_foil_choice([row for _, row in flat], config, foil_type,
                                keep=lambda i: order[i] < target * 1.25)
    for cell in chosen_cells:
        cells[cell] = []
    for (cell, row), pick in zip(flat, picks):
        if pick is None:
            section[f"{foil_type}_rows_dropped"] += 1
            continue
        section[f"{foil_type}_foils_dropped"] += len(row[0]["hard_negs"]) - len(pick)
        cells[cell].append(_with_negatives(row, pick))


def plausibility_rank(provenance: dict) -> int | None:
    """How many foils of a row are more plausible than its positive (ties count
    half, rounded down), by the scores its provenance holds; None without them.

    >>> plausibility_rank({"plausibility": [1.0, 2.0, 0.5, 1.0, 1.0]})
    2
    """
    scores = provenance.get("plausibility")
    if not scores:
        return None
    above = sum(score > scores[0] for score in scores[1:])
    return above + sum(score == scores[0] for score in scores[1:]) // 2


def _choose_rows(cells: dict, foil_type: str, per_cell: int, config, section: dict) -> None:
    chosen_cells = [cell for cell in cells if cell[0] == foil_type]
    flat = [(cell, row) for cell in chosen_cells for row in cells[cell]]

    def choose(scores, round_number):
        chosen, start = set(), 0
        for cell in chosen_cells:
            size = len(cells[cell])
            # rows whose foils state an impossible relation come last, taken only to fill the cell;
            # before them, rows with more foils whose relations are seen whole
            order = sorted(range(size), key=lambda i: (not cells[cell][i][1].get("possible", True),
                                                       -cells[cell][i][1].get("attested", 0)))
            rankings = []
            if foil_type in ROW_CHOSEN_FOIL_TYPES:
                rankings.append([positive_rank(*scores[start + i]) for i in order])
            if foil_type in PLAUSIBILITY_CHOSEN_FOIL_TYPES:
                rankings.append([plausibility_rank(cells[cell][i][1]) for i in order])
            chosen.update(start + order[i] for i in select_rows_by_ranks(rankings, per_cell, config.negatives))
            start += size
        return [list(range(len(row[0]["hard_negs"]))) if i in chosen else None
                for i, (_, row) in enumerate(flat)]

    picks = balance_rounds(_items([row for _, row in flat]), choose, rounds=config.balance_rounds,
                           folds=config.classifier_folds, seed=config.seed)
    for cell in chosen_cells:
        section[f"{foil_type}_rows_not_chosen"] += len(cells[cell]) - per_cell
    kept_rows = collections.defaultdict(list)
    for (cell, row), pick in zip(flat, picks):
        if pick is not None:
            kept_rows[cell].append(row)
    cells.update({cell: kept_rows[cell] for cell in chosen_cells})


def _drop_predictable_rows(cells: dict, type_cells: list, per_cell: int, config, section: dict) -> None:
    """Drop the rows of *type_cells* whose positive a text-only classifier
    trained on the rows kept finds (pooled over the cells, as the audit pools
    levels); each cell keeps at least *per_cell* rows, the first dropped coming back first."""
    flat = [(cell, row) for cell in type_cells for row in cells[cell]]
    keep = drop_predictable(_items([row for _, row in flat]), folds=config.classifier_folds, seed=config.seed)
    kept_rows = {cell: [] for cell in type_cells}
    for cell in type_cells:
        rows = [(row, kept) for (c, row), kept in zip(flat, keep) if c == cell]
        missing = max(0, per_cell - sum(kept for _, kept in rows))
        for row, kept in rows:
            if not kept and missing:
                kept, missing = True, missing - 1
            if kept:
                kept_rows[cell].append(row)
        section[f"{cell[0]}_rows_found_by_classifier"] += len(rows) - len(kept_rows[cell])
    cells.update(kept_rows)


def balance_cells(cells: dict, config, prior=None, progress: bool = False) -> tuple[dict, dict]:
    """The rows to write, the same number in every cell, and what balancing dropped.

    *cells*: ``{(foil type, n): [(csv row, provenance), ...]}``; *config*: a
    :class:`~crepe_gen.productivity.stage.ProductivityConfig`. Atom rows get
    their foils by :func:`balance_foil_choice` (rows that cannot be balanced are
    dropped), as do negate rows; atom, swap and negate rows a retrained classifier
    still solves are dropped (:func:`_drop_predictable_rows`); swap and negate
    rows are then chosen per cell by
    :func:`~crepe_gen.textonly.balance.select_rows_by_rank`; then every cell
    is cut to the sparsest cell's count (or ``per_level``). With *prior* (a
    :class:`~crepe_gen.productivity.prior.CompoundPrior`), the rows left to
    choose from are rescored by it before rows are chosen by plausibility rank.
    """
    cells = {cell: list(rows) for cell, rows in sorted(cells.items())}
    section = {f"{foil_type}_{what}": 0 for foil_type in CHOSEN_FOIL_TYPES for what in ("rows_dropped", "foils_dropped")}
    section.update({f"{foil_type}_rows_found_by_classifier": 0 for foil_type in PREDICTABLE_DROPPED_TYPES})
    section.update({f"{foil_type}_rows_not_chosen": 0
                    for foil_type in ROW_CHOSEN_FOIL_TYPES + PLAUSIBILITY_CHOSEN_FOIL_TYPES})
    for foil_type in CHOSEN_FOIL_TYPES:
        if config.balance_ranks and any(cell[0] == foil_type for cell in cells):
            _balance_chosen_cells(cells, foil_type, config, section)
        else:
            for cell in [cell for cell in cells if cell[0] == foil_type]:
                cells[cell] = [_with_negatives(row, range(config.negatives)) for row in cells[cell]]
    per_cell = kept_count(cells, config)
    if config.per_level is not None and per_cell < config.per_level:
        log.warning("only %d rows in the sparsest cell, fewer than per_level=%d", per_cell, config.per_level)
    for foil_type in PREDICTABLE_DROPPED_TYPES:
        type_cells = [cell for cell in cells if cell[0] == foil_type]
        if config.balance_ranks and type_cells:
            _drop_predictable_rows(cells, type_cells, per_cell, config, section)
    if prior is not None and config.balance_ranks:
        rescore_rows([row for cell in cells if cell[0] in PRIOR_SCORED_FOIL_TYPES for row in cells[cell]],
                     prior, progress)
    for foil_type in dict.fromkeys(ROW_CHOSEN_FOIL_TYPES + PLAUSIBILITY_CHOSEN_FOIL_TYPES):
        if config.balance_ranks and any(cell[0] == foil_type for cell in cells):
            _choose_rows(cells, foil_type, per_cell, config, section)
    return {cell: rows[:per_cell] for cell, rows in cells.items()}, section
