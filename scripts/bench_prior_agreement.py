"""How well a plausibility score predicts a language-model attacker, per foil type.

For every row of a productivity folder, every candidate is scored whole by the
attacker LM; the share of rows whose positive is its most likely candidate is
printed by the positive's rank under the row's ``plausibility`` provenance
scores (the score balancing used) and under the compound prior, and averaged
over ranks as if they were uniform.

    python scripts/bench_prior_agreement.py OUT/productivity --lm-cache scores.sqlite
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from tqdm import tqdm

from crepe_gen.productivity.balancing import plausibility_rank
from crepe_gen.productivity.prior import CompoundPrior
from crepe_gen.textonly.language_model import BUNDLED_MODEL, load_scorer
from crepe_gen.vg.scene import Scene


def _rank(scores) -> int:
    return plausibility_rank({"plausibility": scores})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--lm", default=BUNDLED_MODEL)
    parser.add_argument("--lm-cache", default=None)
    parser.add_argument("--types", default="atom,swap")
    args = parser.parse_args()
    scorer = load_scorer(args.lm, args.lm_cache)
    prior = CompoundPrior(scorer)
    for foil_type in args.types.split(","):
        rows = [json.loads(line) for path in sorted(Path(args.folder, foil_type).glob("*.jsonl"))
                for line in path.read_text().splitlines()]
        tables = collections.defaultdict(lambda: collections.defaultdict(list))
        for row in tqdm(rows, desc=foil_type):
            whole = [s.total for s in scorer.score([row["caption"], *row["hard_negs"]])]
            top = _rank(whole) == 0
            provenance = row["provenance"]
            scenes = [Scene.from_dict(provenance["positive"]["scene"])] + \
                [Scene.from_dict(n["scene"]) for n in provenance["negatives"]]
            tables["provenance score"][_rank(provenance["plausibility"])].append(top)
            tables["LM compounds"][_rank(prior.row_scores(scenes))].append(top)
        total = sum(tables["LM compounds"][r].count(True) for r in tables["LM compounds"])
        print(f"{foil_type}: attacker's most likely is the positive in {total}/{len(rows)} rows "
              f"({100 * total / max(1, len(rows)):.1f}%)")
        for name, by_rank in tables.items():
            cells = " ".join(f"r{r}:{sum(v)}/{len(v)}" for r, v in sorted(by_rank.items()))
            uniform = 100 * sum(sum(v) / len(v) for v in by_rank.values()) / len(by_rank)
            print(f"  {name:17s} {cells}  uniform ranks {uniform:.1f}")


if __name__ == "__main__":
    main()
