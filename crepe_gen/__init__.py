"""crepe_gen: the open, reproducible generator of the CREPE benchmark.

Visual Genome scene graphs become networkx graphs (:mod:`crepe_gen.vg`);
:mod:`crepe_gen.productivity` and :mod:`crepe_gen.systematicity` turn them
into CREPE's two sets, with hard negatives checked false for their image and
balanced against the text-only classifier of :mod:`crepe_gen.textonly`; the
files follow :mod:`crepe_gen.bench`; :mod:`crepe_gen.evaluation` audits and
evaluates them and :mod:`crepe_gen.release` publishes them; :mod:`crepe_gen.build`
runs everything. docs/architecture.md maps the package.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
