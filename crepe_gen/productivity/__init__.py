"""Productivity: captions of scene subgraphs at complexity levels 4 to 12 with atom,
swap and negate foils. In pipeline order: :mod:`~crepe_gen.productivity.sampling`
(subgraphs), :mod:`~crepe_gen.productivity.weights` (atom statistics of the VG folder),
:mod:`~crepe_gen.productivity.captions` (template captions),
:mod:`~crepe_gen.productivity.negatives` (foils, each checked false),
:mod:`~crepe_gen.productivity.rewording` (fluent texts through :mod:`crepe_gen.llm`),
:mod:`~crepe_gen.productivity.balancing` (against the text-only classifier) and
:mod:`~crepe_gen.productivity.stage` (``run_productivity``)."""

__all__: list[str] = []
