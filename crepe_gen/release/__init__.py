"""Publishing a built benchmark: :mod:`~crepe_gen.release.card` (the dataset card with
sizes, audit and results) and :mod:`~crepe_gen.release.export` (parquet files a
``datasets`` loader reads)."""

__all__: list[str] = []
