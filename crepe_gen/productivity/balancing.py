"""Blind-bias balancing of the productivity cells: which rows and foils are written.

Atom rows keep ``negatives`` of their candidate foils, chosen by
:func:`~crepe_gen.textonly.balance.balance_foils` so that a text-only
classifier ranks the positive uniformly; then, per foil type, rows whose
positive a classifier retrained on the rows kept still finds are dropped
(:func:`~crepe_gen.textonly.balance.drop_predictable`; a cell keeps at least
the rows it must write): rank balancing cannot remove a cue most rows share,
such as an atom foil's rarer predicate ("a chair is attached to the desk"
for "on") or a swap foil's less plausible order ("a table is on a cup").
Swap rows (all their foils) are then chosen per cell by
:func:`~crepe_gen.textonly.balance.select_rows_by_rank`, and every cell is
cut to the same count (:func:`balance_cells`).
"""

from __future__ import annotations

import collections
import logging

from ..textonly.balance import balance_foils, balance_rounds, drop_predictable, positive_rank, select_rows_by_rank

__all__ = ["balance_cells", "balance_atom", "kept_count"]

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
    return [(csv_row["image_id"], csv_row["caption"], csv_row["hard_negs"]) for csv_row, _ in rows]


def _with_negatives(row: tuple, pick) -> tuple:
    csv_row, provenance = row
    csv_row = {**csv_row, "hard_negs": [csv_row["hard_negs"][i] for i in pick]}
    provenance = {**provenance, "negatives": [provenance["negatives"][i] for i in pick],
                  "balance": {"candidates": len(provenance["negatives"]), "kept": list(pick)}}
    return csv_row, provenance


def balance_atom(rows: list, config, keep=None) -> list:
    """``negatives`` of each atom row's candidate foils, chosen by
    :func:`~crepe_gen.textonly.balance.balance_foils`; None for a row that cannot be balanced.

    *keep* (row index -> bool): rows the later rounds' classifier learns from
    (those that will be written), as the audit's classifier would."""
    return balance_foils(_items(rows), config.negatives, rounds=config.balance_rounds,
                         folds=config.classifier_folds, seed=config.seed,
                         salt=f"{config.seed}:productivity:atom:ranks", trainable=keep)


def _balance_atom_cells(cells: dict, atom_cells: list, config, section: dict) -> None:
    flat = [(cell, row) for cell in atom_cells for row in cells[cell]]
    target = kept_count(cells, config)
    positions = collections.Counter()
    order = []
    for cell, _ in flat:
        order.append(positions[cell])
        positions[cell] += 1
    picks = balance_atom([row for _, row in flat], config, keep=lambda i: order[i] < target * 1.25)
    for cell in atom_cells:
        cells[cell] = []
    for (cell, row), pick in zip(flat, picks):
        if pick is None:
            section["atom_rows_dropped"] += 1
            continue
        section["atom_foils_dropped"] += len(row[0]["hard_negs"]) - len(pick)
        cells[cell].append(_with_negatives(row, pick))


def _choose_swap_rows(cells: dict, swap_cells: list, per_cell: int, config, section: dict) -> None:
    flat = [(cell, row) for cell in swap_cells for row in cells[cell]]

    def choose(scores, round_number):
        chosen, start = set(), 0
        for cell in swap_cells:
            size = len(cells[cell])
            ranks = [positive_rank(*scores[start + i]) for i in range(size)]
            chosen.update(start + i for i in select_rows_by_rank(ranks, per_cell, config.negatives))
            start += size
        return [list(range(len(row[0]["hard_negs"]))) if i in chosen else None
                for i, (_, row) in enumerate(flat)]

    picks = balance_rounds(_items([row for _, row in flat]), choose, rounds=config.balance_rounds,
                           folds=config.classifier_folds, seed=config.seed)
    for cell in swap_cells:
        section["swap_rows_not_chosen"] += len(cells[cell]) - per_cell
    kept_rows = collections.defaultdict(list)
    for (cell, row), pick in zip(flat, picks):
        if pick is not None:
            kept_rows[cell].append(row)
    cells.update({cell: kept_rows[cell] for cell in swap_cells})


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


def balance_cells(cells: dict, config) -> tuple[dict, dict]:
    """The rows to write, the same number in every cell, and what balancing dropped.

    *cells*: ``{(foil type, n): [(csv row, provenance), ...]}``; *config*: a
    :class:`~crepe_gen.productivity.stage.ProductivityConfig`. Atom rows get
    their foils by :func:`balance_atom` (rows that cannot be balanced are
    dropped); atom and swap rows a retrained classifier still solves are
    dropped (:func:`_drop_predictable_rows`); swap rows (five foils, all orders
    of three atoms) are chosen per cell by
    :func:`~crepe_gen.textonly.balance.select_rows_by_rank`; then every cell
    is cut to the sparsest cell's count (or ``per_level``).
    """
    cells = {cell: list(rows) for cell, rows in sorted(cells.items())}
    section = {"atom_rows_dropped": 0, "atom_foils_dropped": 0, "atom_rows_found_by_classifier": 0,
               "swap_rows_found_by_classifier": 0, "swap_rows_not_chosen": 0}
    atom_cells = [cell for cell in cells if cell[0] == "atom"]
    if config.balance_ranks and atom_cells:
        _balance_atom_cells(cells, atom_cells, config, section)
    else:
        for cell in atom_cells:
            cells[cell] = [_with_negatives(row, range(config.negatives)) for row in cells[cell]]
    per_cell = kept_count(cells, config)
    if config.per_level is not None and per_cell < config.per_level:
        log.warning("only %d rows in the sparsest cell, fewer than per_level=%d", per_cell, config.per_level)
    swap_cells = [cell for cell in cells if cell[0] == "swap"]
    if config.balance_ranks:
        for type_cells in (atom_cells, swap_cells):
            if type_cells:
                _drop_predictable_rows(cells, type_cells, per_cell, config, section)
    if config.balance_ranks and swap_cells:
        _choose_swap_rows(cells, swap_cells, per_cell, config, section)
    return {cell: rows[:per_cell] for cell, rows in cells.items()}, section
