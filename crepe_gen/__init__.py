"""crepe_gen: the open, reproducible generator of the CREPE benchmark.

Visual Genome scene graphs become networkx graphs (:mod:`crepe_gen.vg.graph`,
:mod:`crepe_gen.vg.reader`); later stages turn them into CREPE's
systematicity and productivity sets with hard negatives that are checked to be
false for their image.
"""

__version__ = "0.1.0"
