"""What every stage uses: :mod:`~crepe_gen.core.errors` (one-line errors, strict or
lenient), :mod:`~crepe_gen.core.io` (atomic files, manifests), :mod:`~crepe_gen.core.config`
(the one config loader), :mod:`~crepe_gen.core.fingerprint` (the one fingerprint),
:mod:`~crepe_gen.core.parallel` (the one parallel layer: local processes or Dask) and
:mod:`~crepe_gen.core.jsonstream` (large JSON arrays one element at a time)."""

__all__: list[str] = []
