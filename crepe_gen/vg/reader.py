"""Read a Visual Genome folder as released (v1.2 files; v1.4 objects/relationships).

Every reader streams (see :mod:`crepe_gen.core.jsonstream`) and reports bad records
through one :class:`~crepe_gen.core.errors.Problems` policy. With no folder given,
the 100-image sample bundled with the package is read.

Image files are optional. With ``images_dir`` (a folder laid out as
``VG_100K/`` and ``VG_100K_2/``, or holding the JPEGs directly), each graph's
``image_path`` names its JPEG when found. When the JPEG's real size differs
from image_data.json's ``width``/``height`` (it does for some VG images), the
JPEG wins: boxes of objects and regions are scaled by the ratio, and the graph
records ``scale`` (x, y) and ``annotated_size`` (image_data.json's size).
Without images, ``image_path`` is None and ``scale`` is ``(1.0, 1.0)``.

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

import json
import logging
import os
import stat
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterator

import networkx as nx
from PIL import Image
from tqdm import tqdm

from ..core.errors import InputError, Problems
from ..core.fingerprint import file_digest
from ..core.jsonstream import iter_json_array
from ..language.names import Canonicalizer
from .geometry import BOX_FIELDS, box_fault
from .graph import build_graph, image_folder

__all__ = ["FILES", "IMAGE_FOLDERS", "bundled_sample", "read_image_groups", "VisualGenome", "merge_parts", "READ_AHEAD",
           "image_path"]

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
    "image_sources": "image_sources.json",
}
IMAGE_FOLDERS = ("VG_100K", "VG_100K_2")


def bundled_sample() -> Path:
    """The folder of the real 100-image VG sample shipped in the package."""
    return Path(str(resources.files("crepe_gen") / "data" / "visual_genome_sample"))


def read_image_groups(path) -> dict[int, int]:
    """``{image_id: group}`` from a JSON object of integers (``{"12": 3, ...}``).

    >>> import json, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "image_sources.json"
    >>> _ = path.write_text(json.dumps({"101": 1, "102": 1}))
    >>> read_image_groups(path)
    {101: 1, 102: 1}
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InputError(path, f"unreadable image groups ({error})") from None
    if not isinstance(data, dict):
        raise InputError(path, "expected a JSON object {image_id: group}")
    groups = {}
    for key, value in data.items():
        if not (str(key).lstrip("-").isdigit() and isinstance(value, int) and not isinstance(value, bool)):
            raise InputError(path, f"image {key!r}: group {value!r} is not an integer")
        groups[int(key)] = value
    return groups


@dataclass
class VisualGenome:
    """A Visual Genome folder; ``root=None`` means the bundled sample."""

    root: Path | None = None
    lenient: bool = False
    progress: bool = False
    images_dir: Path | None = None
    problems: Problems = field(init=False)
    canon: Canonicalizer = field(init=False)

    def __post_init__(self):
        self.root = Path(self.root) if self.root is not None else bundled_sample()
        if not self.root.is_dir():
            raise InputError(self.root, "Visual Genome folder not found")
        if self.images_dir is not None:
            self.images_dir = Path(self.images_dir)
            if not self.images_dir.is_dir():
                raise InputError(self.images_dir, "images folder not found")
        self.problems = Problems(lenient=self.lenient)
        self._image_files: dict[int, tuple] = {}
        self.canon = Canonicalizer.from_files(self.path("object_alias", required=False),
                                              self.path("relationship_alias", required=False))

    def path(self, role: str, *, required: bool = True) -> Path | None:
        """Path of the file with *role* (a key of :data:`FILES`); None when it is
        absent and not *required*. A name that is there but cannot be a file
        (a folder, a symbolic link that loops or leads nowhere, a path that cannot
        be looked at) is an error, never an absent file: some files stand in for
        others when absent."""
        path = self.root / FILES[role]
        try:
            is_folder = stat.S_ISDIR(path.stat().st_mode)
        except FileNotFoundError:
            if path.is_symlink():
                raise InputError(path, f"cannot open: No such file or directory "
                                       f"(a symbolic link to {os.readlink(path)})") from None
            if required:
                raise InputError(path, "file not found") from None
            return None
        except OSError as error:
            raise InputError(path, f"cannot open: {error.strerror}") from None
        if is_folder:
            raise InputError(path, "is a folder, expected a file")
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or a device would block or never end
            raise InputError(path, "is not a regular file")
        return path

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

    def image_sources(self) -> dict[int, int]:
        """``{image_id: source image id}`` of a folder whose images are copies of
        others (``image_sources.json``, written by ``scripts/make_synthetic_vg.py``);
        empty when the file is absent. Learned attackers and fitted balancing
        group by source scene with it, so copies of one scene never sit on both
        sides of a fold."""
        path = self.path("image_sources", required=False)
        if path is None:
            return {}
        return read_image_groups(path)

    def images(self) -> dict[int, dict]:
        """``{image_id: image_data entry}`` (v1.0's ``id`` accepted); empty if absent."""
        if self.path("image_data", required=False) is None:
            return {}
        images, first, path = {}, {}, self.path("image_data")
        for index, record in self.records("image_data"):
            image_id = record.get("image_id", record.get("id"))
            if not isinstance(image_id, int):
                self.problems.report(InputError(path, "record has no integer image_id", index=index))
                continue
            size = next((f"{key} {record[key]!r}" for key in ("width", "height") if record.get(key) is not None
                         and not (type(record[key]) in (int, float) and 0 < record[key] < float("inf"))), None)
            if size is not None:
                self.problems.report(InputError(path, "image size is not a positive number", index=index,
                                                image_id=image_id, record=size))
                continue
            if image_id in first:
                self.problems.report(InputError(path, "image id appears twice", index=index, image_id=image_id,
                                                record=f"the id of image #{first[image_id]}"))
                continue
            images[image_id], first[image_id] = record, index
        return images

    def scene_graphs(self) -> Iterator[nx.MultiDiGraph]:
        """One graph per image, from scene_graphs.json, or else from the
        separate objects/attributes/relationships files."""
        images = self.images()
        if self.path("scene_graphs", required=False) is None:
            if self.path("objects", required=False) is None:
                raise InputError(self.root / FILES["scene_graphs"],
                                 "file not found (nor objects.json to build graphs from)")
            yield from self._unique(self.path("objects"), self._graphs_from_parts(images))
            return
        path = self.path("scene_graphs")
        records = self.records("scene_graphs")
        if self.progress:
            records = tqdm(records, desc="scene graphs", unit=" images", total=len(images) or None,
                           disable=None)  # no bars when stderr is not a terminal
        yield from self._unique(path, ((index, self._graph(record, path, index, images)) for index, record in records))
        self._log_missing_images()

    def _unique(self, path: Path, graphs) -> Iterator[nx.MultiDiGraph]:
        """The good graphs of *graphs* (``(record index, graph or None)``),
        each image once: a second record of one image is an error (lenient:
        skipped and counted), and a file with no image at all is one too,
        since every stage would write empty sets from it."""
        first: dict[int, int] = {}  # image id: index of its record
        for index, graph in graphs:
            if graph is None:
                continue
            image_id = graph.graph["image_id"]
            if image_id in first:
                self.problems.report(InputError(path, "image id appears twice", index=index, image_id=image_id,
                                                record=f"the id of image #{first[image_id]}"))
                continue
            first[image_id] = index
            yield graph
        if not first:
            raise InputError(path, "no usable image record" + (f" ({self.problems.summary()})"
                                                               if self.problems.total else " (an empty array)"))

    def _graph(self, record: dict, path: Path, index: int, images: dict) -> nx.MultiDiGraph | None:
        """The graph of one record with its image attached; None when it is bad (lenient)."""
        image_id = record.get("image_id", record.get("id"))
        image = images.get(image_id) if type(image_id) is int else None
        try:
            graph = build_graph(record, canon=self.canon, problems=self.problems, path=path,
                                index=index, image=image)
            self._attach_image(graph, path, index)
        except InputError as error:
            self.problems.report(error)
            return None
        return graph

    def _graphs_from_parts(self, images) -> Iterator[tuple[int, nx.MultiDiGraph | None]]:
        path = self.path("objects")
        objects = self.records("objects")
        attributes = (self.records("attributes") if self.path("attributes", required=False)
                      else iter(()))
        relationships = (self.records("relationships") if self.path("relationships", required=False)
                         else iter(()))
        if self.progress:
            objects = tqdm(objects, desc="scene graphs", unit=" images", total=len(images) or None,
                           disable=None)
        attribute_records: dict[int, dict] = {}  # read ahead, by image id
        relationship_records: dict[int, dict] = {}
        for index, record in objects:
            image_id = record.get("image_id", record.get("id"))
            if type(image_id) is not int:
                self.problems.report(InputError(path, "record has no integer image_id", index=index))
                continue
            merged = merge_parts(record, _take(attributes, image_id, attribute_records),
                                 _take(relationships, image_id, relationship_records))
            yield index, self._graph(merged, path, index, images)
        self._log_missing_images()

    # -- image files -----------------------------------------------------------
    def image_file(self, image_id: int, folder: str | None = None,
                   annotated_size: tuple | None = None) -> tuple[Path | None, tuple[float, float]]:
        """``(path of the JPEG or None, (x scale, y scale))`` of an image.

        *folder* (``VG_100K`` or ``VG_100K_2``) is looked in first;
        *annotated_size* is image_data.json's ``(width, height)``. The scale
        turns annotated coordinates into the JPEG's; it is ``(1.0, 1.0)``
        without ``images_dir``, when the JPEG is missing, or when the sizes
        agree. Only the JPEG header is read. Memoized per image.
        """
        if self.images_dir is None:
            return None, (1.0, 1.0)
        try:
            return self._image_files[image_id]
        except KeyError:
            pass
        path = image_path(self.images_dir, image_id, folder)
        scale = (1.0, 1.0)
        if path is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                    with Image.open(path) as jpeg:
                        size = jpeg.size
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
                raise InputError(path, f"cannot read image: {error}", image_id=image_id) from None
            width, height = annotated_size or (None, None)
            if (isinstance(width, (int, float)) and isinstance(height, (int, float))
                    and width > 0 and height > 0 and (width, height) != size):
                scale = (size[0] / width, size[1] / height)
        found = self._image_files[image_id] = (path, scale)
        return found

    def _attach_image(self, graph: nx.MultiDiGraph, path, index) -> None:
        attrs = graph.graph
        attrs["image_path"], attrs["scale"] = None, (1.0, 1.0)
        if self.images_dir is None:
            return
        image_file, scale = self.image_file(attrs["image_id"], attrs["folder"],
                                            (attrs["width"], attrs["height"]))
        attrs["image_path"] = str(image_file) if image_file else None
        if scale != (1.0, 1.0):
            attrs["annotated_size"] = (attrs["width"], attrs["height"])
            attrs["scale"] = scale
            attrs["width"] = round(attrs["width"] * scale[0])
            attrs["height"] = round(attrs["height"] * scale[1])
            sx, sy = scale
            for node in graph._node.values():
                node["x"], node["w"] = node["x"] * sx, node["w"] * sx
                node["y"], node["h"] = node["y"] * sy, node["h"] * sy

    def _log_missing_images(self) -> None:
        if self.images_dir is None:
            return
        missing = sum(1 for found, _ in self._image_files.values() if found is None)
        if missing:
            log.warning("%d of %d images not found under %s", missing, len(self._image_files),
                        self.images_dir)

    def region_descriptions(self) -> Iterator[tuple[int, list[dict]]]:
        """``(image_id, regions)``; each region has ``region_id, phrase, x, y,
        width, height``; regions with no phrase or box, or a box that is no box
        (:func:`~crepe_gen.vg.geometry.box_fault`), are bad records. With
        ``images_dir``, boxes are scaled to the JPEG's size (see the module)."""
        path = self.path("region_descriptions")
        images = self.images() if self.images_dir is not None else {}
        for index, record in self.records("region_descriptions"):
            image_id = record.get("id", record.get("image_id"))
            if type(image_id) is not int:
                self.problems.report(InputError(path, "record has no integer id", index=index))
                continue

            def bad(reason, what=None):
                self.problems.report(InputError(path, reason, index=index, image_id=image_id,
                                                record=what))

            raw_regions = record.get("regions")
            if type(raw_regions) is not list:
                bad(f"'regions' is {type(raw_regions).__name__}, expected a list")
                continue
            image = images.get(image_id) or {}
            try:
                _, (sx, sy) = self.image_file(image_id, image_folder(image.get("url")),
                                              (image.get("width"), image.get("height")))
            except InputError as error:
                self.problems.report(error)
                continue
            regions = []
            for region in raw_regions:
                if type(region) is not dict:
                    bad("region is not a JSON object")
                    continue
                what = f"region {region.get('region_id')}"
                if not isinstance(region.get("phrase"), str):
                    bad("region has no phrase", what)
                    continue
                box = tuple(region.get(k) for k in BOX_FIELDS)
                if not all(isinstance(v, (int, float)) for v in box):
                    bad("region has no box", what)
                    continue
                fault = box_fault(box)
                if fault is not None:
                    bad(fault[1], f"{what} ({BOX_FIELDS[fault[0]]} {box[fault[0]]})")
                    continue
                if (sx, sy) != (1.0, 1.0):
                    region = dict(region, x=region["x"] * sx, y=region["y"] * sy,
                                  width=region["width"] * sx, height=region["height"] * sy)
                regions.append(region)
            yield image_id, regions

    def region_graphs(self) -> Iterator[tuple[int, int, nx.MultiDiGraph]]:
        """``(image_id, region_id, graph)`` for every region of region_graphs.json;
        the region's ``phrase`` and ``box`` are graph attributes."""
        path = self.path("region_graphs")
        images = self.images()
        for index, record in self.records("region_graphs"):
            image_id = record.get("image_id", record.get("id"))
            regions = record.get("regions")
            if type(regions) is not list:
                self.problems.report(InputError(path, f"'regions' is {type(regions).__name__}, "
                                                "expected a list", index=index, image_id=image_id))
                continue
            for region in regions:
                if type(region) is not dict:
                    self.problems.report(InputError(path, "region is not a JSON object",
                                                    index=index, image_id=image_id))
                    continue
                rels = region.get("relationships")
                rels = [r for r in rels if isinstance(r, dict)] if type(rels) is list else []
                graph = self._graph({"image_id": image_id, "objects": region.get("objects") or [],
                                     "relationships": rels}, path, index, images)
                if graph is None:
                    continue
                sx, sy = graph.graph["scale"]
                box = tuple(region.get(k) for k in ("x", "y", "width", "height"))
                if (sx, sy) != (1.0, 1.0) and all(isinstance(v, (int, float)) for v in box):
                    box = (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)
                graph.graph.update(region_id=region.get("region_id"), phrase=region.get("phrase"),
                                   box=box)
                yield image_id, region.get("region_id"), graph

    # -- small files -----------------------------------------------------------
    def synsets(self) -> dict[str, str]:
        """``{synset name: definition}`` from synsets.json."""
        path = self.path("synsets")
        definitions = {}
        for index, record in self.records("synsets"):
            name = record.get("synset_name")
            if not isinstance(name, str):
                self.problems.report(InputError(path, "synset has no synset_name", index=index))
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


#: How many records of attributes.json or relationships.json may be read
#: ahead while looking for an image that file does not have.
READ_AHEAD = 1000


def _take(records, image_id: int, ahead: dict, limit: int = READ_AHEAD) -> dict | None:
    """The record for *image_id* from *records* (``(index, record)`` pairs of a
    file in the same image order as objects.json), or None when that file has
    none. Records read past are kept in *ahead* for the next images, at most
    *limit* of them, so a file missing some images costs bounded memory.

    >>> records = iter([(0, {"image_id": 1}), (1, {"image_id": 3}), (2, {"image_id": 4})])
    >>> ahead = {}
    >>> [_take(records, i, ahead) for i in (1, 2, 3, 4)]
    [{'image_id': 1}, None, {'image_id': 3}, {'image_id': 4}]
    """
    if image_id in ahead:
        return ahead.pop(image_id)
    while len(ahead) < limit:
        try:
            _, record = next(records)
        except StopIteration:
            return None
        record_id = record.get("image_id", record.get("id"))
        if record_id == image_id:
            return record
        if type(record_id) is int:
            ahead[record_id] = record
    log.warning("image %s: not within the next %d records of a file read alongside objects.json "
                "(are the files in the same image order?)", image_id, limit)
    return None


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
