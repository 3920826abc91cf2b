"""Fluent rewording of productivity rows through the LLM pass.

Each row's positive and foils become :class:`~crepe_gen.llm.generate.TextTask`
items built from the scenes and edits in its provenance (:func:`row_tasks`);
:func:`rewrite_rows` and :func:`rewrite_cells` take the LLM's texts for whole
rows only, and :func:`row_estimate` / :func:`cells_estimate` are the
``--dry-run`` figures.
"""

from __future__ import annotations

import collections

from ..language.names import caption_key
from ..llm.config import LLMConfig
from ..llm.estimate import Estimate, estimate
from ..llm.generate import TextTask, generate_texts
from ..llm.validate import Expectation, plain_words
from ..vg.scene import Scene

__all__ = ["ROW_PROMPTS", "cells_estimate", "rewrite_cells", "rewrite_rows", "row_estimate", "row_tasks"]

#: Prompt template by the kind of text: the positive caption or a foil type.
ROW_PROMPTS = {"caption": "caption", "atom": "negative_atom", "swap": "negative_swap",
               "negate": "negative_negate"}


def row_tasks(row_id: str, foil_type: str, caption: str, provenance: dict) -> list[TextTask]:
    """The texts of one productivity row (positive first, then each foil), from
    the structured scenes and edits its provenance holds.

    >>> provenance = {"positive": {"scene": {"objects": [{"id": 1, "name": "cup", "attributes": ["red"]}],
    ...                                      "relations": []}},
    ...               "negatives": [{"caption": "A blue cup.", "edit": {"old": ["red"], "new": ["blue"]},
    ...                              "scene": {"objects": [{"id": 1, "name": "cup", "attributes": ["blue"]}],
    ...                                        "relations": []}}]}
    >>> [(t.item_id, t.prompt, t.fields["facts"], t.expect.removed)
    ...  for t in row_tasks("atom/4/0", "atom", "A red cup.", provenance)]
    [('atom/4/0/0', 'caption', 'red cup', ()), ('atom/4/0/1', 'negative_atom', 'blue cup', ('red',))]
    """
    positive = Scene.from_dict(provenance["positive"]["scene"]).in_id_order()
    # A positive that denies an atom (negate rows) is reworded as its foils are.
    prompt = ROW_PROMPTS["negate" if positive.negated else "caption"]
    tasks = [TextTask(f"{row_id}/0", prompt, {"facts": positive.facts(), "draft": caption},
                      caption, Expectation(positive, "caption"))]
    for index, negative in enumerate(provenance["negatives"], 1):
        scene = Scene.from_dict(negative["scene"]).in_id_order()
        edit = negative.get("edit", {})
        removed = tuple(w for w in edit.get("old", ()) if w not in edit.get("new", ())) \
            if foil_type == "atom" else ()
        tasks.append(TextTask(f"{row_id}/{index}", ROW_PROMPTS[foil_type],
                              {"facts": scene.facts(), "draft": negative["caption"]}, negative["caption"],
                              Expectation(scene, foil_type, removed=removed, positive=caption)))
    return tasks


def rewrite_rows(rows, config: LLMConfig, object_words: frozenset[str], *, attribute_words=frozenset(),
                 progress: bool = False, client=None) -> tuple[list, dict]:
    """Fluent texts for whole benchmark rows; returns ``(rows, manifest section)``.

    *rows*: ``(row_id, foil_type, csv_row, provenance)`` with ``csv_row`` in the
    released layout (``caption``, ``hard_negs``) and ``provenance`` holding the
    positive's and each foil's scene (see :mod:`crepe_gen.productivity.stage`).

    A row takes the LLM's texts only if its positive AND every foil passed
    validation and all of them still read differently; otherwise the whole
    row keeps its template texts. Mixing the two would hand text-only models a
    cue (the fluent candidate is the positive). Each row's provenance gets an
    ``llm`` entry: source, model, prompt hashes, and why a row fell back.
    """
    rows = list(rows)
    tasks_by_row = {row_id: row_tasks(row_id, foil_type, csv_row["caption"], provenance)
                    for row_id, foil_type, csv_row, provenance in rows}
    run = generate_texts([t for tasks in tasks_by_row.values() for t in tasks], config, object_words,
                         attribute_words=attribute_words, progress=progress, client=client)
    row_outcomes: collections.Counter = collections.Counter()
    rewritten = []
    for row_id, foil_type, csv_row, provenance in rows:
        results = [run.results[t.item_id] for t in tasks_by_row[row_id]]
        texts = [r.text for r in results]
        fallback = next((r for r in results if r.source != "llm"), None)
        if fallback is not None:
            reason = fallback.reason
        elif len({caption_key(t) for t in texts}) < len(texts):
            reason = "duplicate_in_row"
        else:
            reason = ""
        entry = {"source": "template" if reason else "llm", "model": config.model,
                 "prompt_hashes": [r.prompt_hash for r in results],
                 "text_sources": [r.source for r in results]}
        if reason:
            entry["fallback_reason"] = reason
            row_outcomes[f"template_{reason}"] += 1
        else:
            row_outcomes["llm"] += 1
            csv_row = {**csv_row, "caption": texts[0], "hard_negs": texts[1:]}
            provenance = {**provenance, "template_texts": [t.fallback for t in tasks_by_row[row_id]]}
        rewritten.append((row_id, foil_type, csv_row, {**provenance, "llm": entry}))
    section = run.manifest(config)
    section["texts"] = section.pop("outcomes")
    section["rows"] = dict(sorted(row_outcomes.items()))
    return rewritten, section


def row_estimate(rows, config: LLMConfig) -> Estimate:
    """:func:`estimate` for :func:`rewrite_rows`' input (the ``--dry-run`` figures)."""
    return estimate([t for row_id, foil_type, csv_row, provenance in rows
                     for t in row_tasks(row_id, foil_type, csv_row["caption"], provenance)], config)


def rewrite_cells(cells: dict, config: LLMConfig, lexicon, *, progress: bool = False,
                  client=None) -> tuple[dict, dict]:
    """:func:`rewrite_rows` over the productivity stage's ``{(foil type, n): [(csv row,
    provenance), ...]}``; the object and attribute vocabularies come from *lexicon*
    (:class:`crepe_gen.language.lexicon.Lexicon`). Returns the cells in the same shape and
    the ``llm`` manifest section."""
    rows = [(f"{foil_type}/{n}/{index}", foil_type, csv_row, provenance)
            for (foil_type, n), kept in sorted(cells.items())
            for index, (csv_row, provenance) in enumerate(kept)]
    rewritten, section = rewrite_rows(rows, config, plain_words(lexicon.object_counts),
                                      attribute_words=plain_words(lexicon.attribute_counts),
                                      progress=progress, client=client)
    by_id = {row_id: (csv_row, provenance) for row_id, _, csv_row, provenance in rewritten}
    return ({(foil_type, n): [by_id[f"{foil_type}/{n}/{index}"] for index in range(len(kept))]
             for (foil_type, n), kept in sorted(cells.items())}, section)


def cells_estimate(cells: dict, config: LLMConfig) -> Estimate:
    """What :func:`rewrite_cells` would spend (``--dry-run``)."""
    return row_estimate([(f"{t}/{n}/{i}", t, csv_row, provenance) for (t, n), kept in sorted(cells.items())
                         for i, (csv_row, provenance) in enumerate(kept)], config)
