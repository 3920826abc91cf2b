"""Visual Genome: :mod:`~crepe_gen.vg.reader` (a VG folder, streamed), :mod:`~crepe_gen.vg.graph`
(one networkx graph per image), :mod:`~crepe_gen.vg.geometry` (boxes),
:mod:`~crepe_gen.vg.truth` (is a statement true of the image?), :mod:`~crepe_gen.vg.scene`
(what a caption states, and the edit that makes a foil) and :mod:`~crepe_gen.vg.stats`."""

__all__: list[str] = []
