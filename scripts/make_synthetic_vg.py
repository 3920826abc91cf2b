"""Write a full-scale synthetic Visual Genome folder made from the real sample.

The 100 real images of the bundled sample are cycled to reach ``--images``
images (108,077 by default, the size of VG v1.2). Every copy gets fresh image,
object, relationship and region ids (consecutive, in file order), so ids are
unique across the folder as in the real release, while names, boxes,
attributes, predicates and phrases are the real ones. Output is streamed: each
record is written as soon as it is made, so memory stays small however many
images are asked for. The same arguments always give byte-identical files.

Usage::

    python scripts/make_synthetic_vg.py OUT_DIR [--images N] [--separate-files]

Writes image_data.json, scene_graphs.json (about 0.8 GB at full scale),
region_descriptions.json and image_sources.json (each image's source image
in the sample: learned attackers and fitted balancing group their folds by
source scene with it, so copies of one scene never sit on both sides); with
``--separate-files`` also objects.json, attributes.json and
relationships.json. The alias and synsets files are copied.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import sys
from pathlib import Path

from tqdm import tqdm

from crepe_gen.core.io import atomic_open
from crepe_gen.vg.reader import bundled_sample

FULL_SCALE_IMAGES = 108_077
MAIN_FILES = ("image_data", "scene_graphs", "region_descriptions")
SEPARATE_FILES = ("objects", "attributes", "relationships")
COPIED_FILES = ("object_alias.txt", "relationship_alias.txt", "synsets.json",
                "object_synsets.json", "attribute_synsets.json", "relationship_synsets.json")

#: Which id space each key's value (an int or a list of ints) belongs to.
ID_KINDS = {"image_id": "i", "id": "i", "object_id": "o", "subject_id": "o",
            "merged_object_ids": "o", "relationship_id": "r", "region_id": "g"}
# A placeholder survives json.dumps as "\u0000<kind><rank>\u0000": quoted when it
# stands for a number, unquoted inside a string (the image url).
_PLACEHOLDER = re.compile(r'("?)\\u0000([iorg])(\d+)\\u0000\1')


class IdRanks:
    """Rank of each id of one sample image, per id space, in order of first sight."""

    def __init__(self):
        self.ranks: dict[str, dict[int, int]] = {kind: {} for kind in "iorg"}

    def placeholder(self, kind: str, value):
        if not isinstance(value, int):
            return value
        ranks = self.ranks[kind]
        rank = ranks.setdefault(value, len(ranks))
        return f"\0{kind}{rank}\0"

    def replace(self, value):
        """A copy of *value* with every id replaced by its placeholder."""
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                kind = ID_KINDS.get(key)
                if kind is None or isinstance(item, dict):
                    out[key] = self.replace(item)
                elif isinstance(item, list):
                    out[key] = [self.placeholder(kind, v) for v in item]
                else:
                    out[key] = self.placeholder(kind, item)
            return out
        if isinstance(value, list):
            return [self.replace(item) for item in value]
        return value


def compile_template(text: str) -> list:
    """Split serialized JSON into literal text and ``(kind, rank)`` slots."""
    parts, last = [], 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(text[last:match.start()])
        parts.append((match.group(2), int(match.group(3))))
        last = match.end()
    parts.append(text[last:])
    return parts


def render(template: list, bases: dict[str, int]) -> str:
    return "".join(part if isinstance(part, str) else str(bases[part[0]] + part[1])
                   for part in template)


def sample_templates(sample: Path, roles) -> tuple[list[dict], list[dict]]:
    """Per sample image: ``{role: template}`` and ``{kind: ids used}``."""
    files = {role: json.loads((sample / f"{role}.json").read_text(encoding="utf-8"))
             for role in roles}
    count = len(files["image_data"])
    templates, sizes = [], []
    for index in range(count):
        ranks = IdRanks()
        per_role = {}
        for role in roles:
            record = ranks.replace(files[role][index])
            if role == "image_data" and isinstance(record.get("url"), str):
                # The file name in the url is the image id.
                head, _, _ = record["url"].rpartition("/")
                record["url"] = f"{head}/" + record["image_id"] + ".jpg"
            per_role[role] = compile_template(json.dumps(record, ensure_ascii=False))
        templates.append(per_role)
        sizes.append({kind: len(ids) for kind, ids in ranks.ranks.items()})
    return templates, sizes


def write_synthetic_vg(out_dir, images: int = FULL_SCALE_IMAGES, *, separate_files: bool = False,
                       sample=None, progress: bool = True) -> dict:
    """Write the synthetic folder; return counts of what was written."""
    out_dir = Path(out_dir)
    sample = Path(sample) if sample else bundled_sample()
    roles = MAIN_FILES + (SEPARATE_FILES if separate_files else ())
    templates, sizes = sample_templates(sample, roles)
    source_ids = [record["image_id"] for record in json.loads((sample / "image_data.json").read_text("utf-8"))]
    bases = {"i": 1, "o": 1, "r": 1, "g": 1}
    with contextlib.ExitStack() as stack:
        handles = {role: stack.enter_context(atomic_open(out_dir / f"{role}.json"))
                   for role in roles}
        sources = stack.enter_context(atomic_open(out_dir / "image_sources.json"))
        for handle in handles.values():
            handle.write("[")
        sources.write("{")
        for number in tqdm(range(images), desc="synthetic VG", unit=" images", disable=not progress):
            source = number % len(templates)
            separator = ", " if number else ""
            for role, handle in handles.items():
                handle.write(separator)
                handle.write(render(templates[source][role], bases))
            sources.write(f'{separator}"{bases["i"]}": {source_ids[source]}')
            for kind, size in sizes[source].items():
                bases[kind] += size
        for handle in handles.values():
            handle.write("]")
        sources.write("}")
    for name in [f"{role}.json" for role in roles] + ["image_sources.json"]:
        (out_dir / name).chmod(0o644)  # the temporary files are private; the folder is for everyone
    for name in COPIED_FILES:
        if (sample / name).exists():
            shutil.copyfile(sample / name, out_dir / name)
    return {"images": images, "object_ids": bases["o"] - 1, "relationship_ids": bases["r"] - 1,
            "region_ids": bases["g"] - 1,
            "files": sorted([f"{role}.json" for role in roles] + ["image_sources.json"])}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--images", type=int, default=FULL_SCALE_IMAGES,
                        help=f"number of images (default {FULL_SCALE_IMAGES:,}, full scale)")
    parser.add_argument("--separate-files", action="store_true",
                        help="also write objects.json, attributes.json and relationships.json")
    parser.add_argument("--sample", type=Path, default=None,
                        help="real VG folder to cycle (default: the bundled sample)")
    args = parser.parse_args(argv)
    if args.images < 1:
        parser.error("--images must be at least 1")
    counts = write_synthetic_vg(args.out_dir, args.images, separate_files=args.separate_files,
                                sample=args.sample)
    print(json.dumps(counts, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
