"""Read a Visual Genome folder as released (v1.2 files; v1.4 objects/relationships).

Every reader streams (see :mod:`crepe_gen.jsonstream`) and reports bad records
through one :class:`~crepe_gen.errors.Problems` policy. With no folder given,
the 100-image sample bundled with the package is read.

Examples
--------
>>> vg = VisualGenome()                     # the bundled sample
>>> graphs = list(vg.scene_graphs())
>>> len(graphs), graphs[0].graph["image_id"], graphs[0].graph["folder"]
(100, 1, 'VG_100K_2')
>>> sum(len(regions) for _, regions in vg.region_descriptions())
7278
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterator

import networkx as nx
from tqdm import tqdm

from .errors import InputError, Problems
from .jsonstream import iter_json_array
from .names import Canonicalizer
from .scene_graph import build_graph

log = logging.getLogger(__name__)

#: The files a VG folder may hold, by role.
FILES = {
    "image_data": "image_data.json",
    "scene_graphs": "scene_graphs.json",
    "region_descriptions": "region_descriptions.json",
    "region_graphs": "region_graphs.json",
    "objects": "objects.json",
    "attributes": "attributes.json",
    "relationships": "relationships.json",
    "synsets": "synsets.json",
    "object_synsets": "object_synsets.json",
    "attribute_synsets": "attribute_synsets.json",
    "relationship_synsets": "relationship_synsets.json",
    "object_alias": "object_alias.txt",
    "relationship_alias": "relationship_alias.txt",
}
IMAGE_FOLDERS = ("VG_100K", "VG_100K_2")


def bundled_sample() -> Path:
    """The folder of the real 100-image VG sample shipped in the package."""
    return Path(str(resources.files("crepe_gen") / "data" / "visual_genome_sample"))


def file_digest(path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in blocks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class VisualGenome:
    """A Visual Genome folder; ``root=None`` means the bundled sample."""

    root: Path | None = None
    lenient: bool = False
    progress: bool = False
    problems: Problems = field(init=False)
    canon: Canonicalizer = field(init=False)

    def __post_init__(self):
        self.root = Path(self.root) if self.root is not None else bundled_sample()
        if not self.root.is_dir():
            raise InputError(self.root, "Visual Genome folder not found")
        self.problems = Problems(lenient=self.lenient)
        self.canon = Canonicalizer.from_files(self.path("object_alias", required=False),
                                              self.path("relationship_alias", required=False))

    def path(self, role: str, *, required: bool = True) -> Path | None:
        """Path of the file with *role* (a key of :data:`FILES`)."""
        path = self.root / FILES[role]
        if path.exists():
            return path
        if required:
            raise InputError(path, "file not found")
        return None

    def input_hashes(self) -> dict[str, str]:
        """``{file name: sha256}`` of every VG file present, for manifests."""
        return {name: file_digest(self.root / name) for name in FILES.values()
                if (self.root / name).exists()}

    # -- records -------------------------------------------------------------
    def records(self, role: str) -> Iterator[tuple[int, dict]]:
        """``(index, record)`` of a per-image file, each checked to be an object."""
        path = self.path(role)
        for index, record in iter_json_array(path, problems=self.problems):
            if not isinstance(record, dict):
                self.problems.report(InputError(
                    path, f"record is {type(record).__name__}, expected an object", index=index))
                continue
            yield index, record

    def images(self) -> dict[int, dict]:
        """``{image_id: image_data entry}`` (v1.0's ``id`` accepted); empty if absent."""
        if self.path("image_data", required=False) is None:
            return {}
        images = {}
        for index, record in self.records("image_data"):
            image_id = record.get("image_id", record.get("id"))
            if not isinstance(image_id, int):
                self.problems.report(InputError(self.path("image_data"), "record has no integer image_id",
                                                index=index))
                continue
            images[image_id] = record
        return images

    def scene_graphs(self) -> Iterator[nx.MultiDiGraph]:
        """One graph per image, from scene_graphs.json, or else from the
        separate objects/attributes/relationships files."""
        images = self.images()
        if self.path("scene_graphs", required=False) is None:
            yield from self._graphs_from_parts(images)
            return
        path = self.path("scene_graphs")
        records = self.records("scene_graphs")
        if self.progress:
            records = tqdm(records, desc="scene graphs", unit=" images", total=len(images) or None)
        for index, record in records:
            image = images.get(record.get("image_id"))
            try:
                yield build_graph(record, canon=self.canon, problems=self.problems, path=path.name,
                                  index=index, image=image)
            except InputError as error:
                self.problems.report(error)

    def _graphs_from_parts(self, images) -> Iterator[nx.MultiDiGraph]:
        objects = self.records("objects")
        attributes = (self.records("attributes") if self.path("attributes", required=False)
                      else iter(()))
        relationships = (self.records("relationships") if self.path("relationships", required=False)
                         else iter(()))
        attribute_records = {}
        relationship_records = {}
        for index, record in objects:
            image_id = record.get("image_id", record.get("id"))
            attribute_records.update(_take_until(attributes, image_id))
            relationship_records.update(_take_until(relationships, image_id))
            merged = merge_parts(record, attribute_records.pop(image_id, None),
                                 relationship_records.pop(image_id, None))
            try:
                yield build_graph(merged, canon=self.canon, problems=self.problems,
                                  path=FILES["objects"], index=index, image=images.get(image_id))
            except InputError as error:
                self.problems.report(error)

    def region_descriptions(self) -> Iterator[tuple[int, list[dict]]]:
        """``(image_id, regions)``; each region has ``region_id, phrase, x, y,
        width, height``; regions with no phrase or box are bad records."""
        path = self.path("region_descriptions")
        for index, record in self.records("region_descriptions"):
            image_id = record.get("id", record.get("image_id"))
            regions = []
            for region in record.get("regions") or []:
                what = f"region {region.get('region_id')}" if isinstance(region, dict) else None
                if not isinstance(region, dict) or not isinstance(region.get("phrase"), str):
                    self.problems.report(InputError(path.name, "region has no phrase", index=index,
                                                    image_id=image_id, record=what))
                    continue
                if not all(isinstance(region.get(k), (int, float)) for k in ("x", "y", "width", "height")):
                    self.problems.report(InputError(path.name, "region has no box", index=index,
                                                    image_id=image_id, record=what))
                    continue
                regions.append(region)
            yield image_id, regions

    def region_graphs(self) -> Iterator[tuple[int, int, nx.MultiDiGraph]]:
        """``(image_id, region_id, graph)`` for every region of region_graphs.json."""
        path = self.path("region_graphs")
        for index, record in self.records("region_graphs"):
            image_id = record.get("image_id", record.get("id"))
            for region in record.get("regions") or []:
                rels = [r for r in region.get("relationships") or [] if isinstance(r, dict)]
                graph = build_graph({"image_id": image_id, "objects": region.get("objects") or [],
                                     "relationships": rels},
                                    canon=self.canon, problems=self.problems, path=path.name, index=index)
                graph.graph.update(region_id=region.get("region_id"), phrase=region.get("phrase"),
                                   box=tuple(region.get(k) for k in ("x", "y", "width", "height")))
                yield image_id, region.get("region_id"), graph

    # -- small files -----------------------------------------------------------
    def synsets(self) -> dict[str, str]:
        """``{synset name: definition}`` from synsets.json."""
        path = self.path("synsets")
        definitions = {}
        for index, record in self.records("synsets"):
            name = record.get("synset_name")
            if not isinstance(name, str):
                self.problems.report(InputError(path.name, "synset has no synset_name", index=index))
                continue
            definitions[name] = record.get("synset_definition", "")
        return definitions

    def synset_map(self, role: str) -> dict[str, str]:
        """``{raw string: synset}`` of ``object_synsets``, ``attribute_synsets``
        or ``relationship_synsets``."""
        path = self.path(role)
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError as error:
            raise InputError(path, f"bytes that are not UTF-8 ({error.reason})") from None
        except json.JSONDecodeError as error:
            raise InputError(path, f"malformed JSON: {error.msg} (line {error.lineno})") from None
        if not isinstance(data, dict):
            raise InputError(path, f"top-level JSON value is {type(data).__name__}, expected an object")
        return {k: v for k, v in data.items() if isinstance(v, str)}


def merge_parts(objects_record: dict, attributes_record: dict | None,
                relationships_record: dict | None) -> dict:
    """One scene_graphs-shaped record from the per-image records of
    objects.json, attributes.json and relationships.json (v1.2 or v1.4)."""
    image_id = objects_record.get("image_id", objects_record.get("id"))
    objects = {o.get("object_id"): dict(o) for o in objects_record.get("objects") or []
               if isinstance(o, dict)}
    for obj in (attributes_record or {}).get("attributes") or []:
        if isinstance(obj, dict) and obj.get("object_id") in objects and obj.get("attributes"):
            objects[obj["object_id"]]["attributes"] = obj["attributes"]
    relationships = []
    for rel in (relationships_record or {}).get("relationships") or []:
        if not isinstance(rel, dict):
            continue
        for end in ("subject", "object"):
            ref = rel.get(end)
            if isinstance(ref, dict) and ref.get("object_id") not in objects:
                objects[ref.get("object_id")] = dict(ref)  # v1.2 puts some objects only here
        relationships.append({
            "relationship_id": rel.get("relationship_id"), "predicate": rel.get("predicate"),
            "synsets": rel.get("synsets") or [],
            "subject_id": (rel.get("subject") or {}).get("object_id", rel.get("subject_id")),
            "object_id": (rel.get("object") or {}).get("object_id", rel.get("object_id"))})
    return {"image_id": image_id, "objects": list(objects.values()), "relationships": relationships}


def _take_until(records, image_id) -> dict:
    """Read ``(index, record)`` pairs up to the one for *image_id* (files share
    one image order); returns ``{image_id: record}`` for what was read."""
    found = {}
    for _, record in records:
        record_id = record.get("image_id", record.get("id"))
        found[record_id] = record
        if record_id == image_id:
            break
    return found


def image_path(images_dir, image_id: int, folder: str | None = None) -> Path | None:
    """Path of ``{image_id}.jpg`` under *images_dir* (in ``VG_100K/`` or
    ``VG_100K_2/``, or directly in it), or None when absent."""
    images_dir = Path(images_dir)
    folders = [folder] if folder else []
    folders += [f for f in IMAGE_FOLDERS if f != folder] + [""]
    for name in folders:
        candidate = images_dir / name / f"{image_id}.jpg"
        if candidate.exists():
            return candidate
    return None
