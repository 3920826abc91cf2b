"""The CREPE benchmark format: :mod:`~crepe_gen.bench.format` (tasks, foil types,
columns, file names, training sets), :mod:`~crepe_gen.bench.reader` (the one
reader of CREPE-format folders, used by the audit, the evaluation harness, the
card and the export) and :mod:`~crepe_gen.bench.writer` (CSV rows as released)."""

__all__: list[str] = []
