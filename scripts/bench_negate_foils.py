"""Print CPU seconds and an output digest of negate foil making on the first N images of the bundled sample.

Usage: python scripts/bench_negate_foils.py N; run with PYTHONPATH=OTHER_TREE for a baseline."""
import random, sys, time
from crepe_gen.vg.reader import VisualGenome
from crepe_gen.productivity.weights import atom_statistics, plausibility_scorer
from crepe_gen.productivity.captions import scene_from_subgraph
from crepe_gen.productivity.sampling import sample_subgraph
from crepe_gen.productivity.negatives import negate_foils, NegativeConfig
from crepe_gen.productivity.captions import render
from crepe_gen.vg.graph import union_box
graphs = list(VisualGenome().scene_graphs()); st = atom_statistics(graphs)
n = int(sys.argv[1]); t = time.process_time(); out = []
for graph in graphs[:n]:
    rng = random.Random(graph.graph["image_id"]); pl = plausibility_scorer(st, graph)
    for level in range(4, 13):
        sub = sample_subgraph(graph, level, rng, mode="connected_first")
        if sub is None: continue
        r = negate_foils(graph, scene_from_subgraph(graph, sub), st.lexicon, rng, NegativeConfig(candidates=10),
                         box=union_box(graph, sub.objects), plausibility=pl)
        out.append(None if r is None else (render(r[0]), [render(f) for f, _ in r[1]]))
import hashlib; print(n, f"{time.process_time()-t:.2f}s", hashlib.sha1(repr(out).encode()).hexdigest()[:10])
