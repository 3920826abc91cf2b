"""Judging a benchmark: :mod:`~crepe_gen.evaluation.audit` (can the positive be found
without the image? text-only baselines of :mod:`~crepe_gen.evaluation.baselines`
against chance), :mod:`~crepe_gen.evaluation.harness` (Recall@k of a model on a
benchmark folder) and :mod:`~crepe_gen.evaluation.models` (model adapters: open_clip
and the text-only rules of :mod:`~crepe_gen.evaluation.text_rules`)."""

__all__: list[str] = []
