"""Where the language-model attacker finds the positive: every row of a productivity folder, by rule.

Each candidate of every row is scored whole by the attacker's LM (as
``crepe-gen audit --lm`` does for its sampled rows); the script prints, per
foil type, and per edit rule and per provenance ``possible`` flag, the share
of rows whose positive is the most likely and the least likely candidate, by
total and per-token log-likelihood (ties split the credit, as in the audit).

    python scripts/bench_lm_rules.py OUT/productivity --lm-cache scores.sqlite
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from tqdm import tqdm

from crepe_gen.evaluation.lm_attacker import LM_PICKS, LM_SHORT_NAMES
from crepe_gen.textonly.classifier import tie_split_credit
from crepe_gen.textonly.language_model import BUNDLED_MODEL, load_scorer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--lm", default=BUNDLED_MODEL)
    parser.add_argument("--lm-cache", default=None)
    parser.add_argument("--types", default="atom,swap,negate")
    args = parser.parse_args()
    scorer = load_scorer(args.lm, args.lm_cache)
    print("type    group                      rows  " + "  ".join(f"{LM_SHORT_NAMES[p]:>12s}" for p in LM_PICKS))
    for foil_type in args.types.split(","):
        rows = [json.loads(line) for path in sorted(Path(args.folder, foil_type).glob("*.jsonl"))
                for line in path.read_text(encoding="utf-8").splitlines()]
        groups = collections.defaultdict(list)
        for row in tqdm(rows, desc=foil_type):
            scores = scorer.score([row["caption"], *row["hard_negs"]])
            credit = {pick: tie_split_credit([sign * getattr(s, measure) for s in scores])
                      for pick, (measure, sign) in LM_PICKS.items()}
            provenance = row["provenance"]
            for group in ("all", f"rule {provenance['negatives'][0]['edit']['rule']}",
                          f"possible {provenance.get('possible')}"):
                groups[group].append(credit)
        for group, credits in sorted(groups.items(), key=lambda pair: (pair[0] != "all", pair[0])):
            shares = "  ".join(f"{100 * sum(c[p] for c in credits) / len(credits):12.1f}" for p in LM_PICKS)
            print(f"{foil_type:7s} {group:25s} {len(credits):5d}  {shares}")


if __name__ == "__main__":
    main()
