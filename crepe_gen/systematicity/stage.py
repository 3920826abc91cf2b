"""The systematicity stage: seen/unseen compound splits per training set, with
HN-Atom, HN-Comp and combined hard negatives, in the released CREPE layout.

A Visual Genome region caption is kept when its atoms (objects, attributes,
relations) and compounds (attribute-object pairs, subject-relation-object
triples, from :mod:`crepe_gen.systematicity.extract`) can be grounded in the
image (:mod:`~crepe_gen.systematicity.grounding`): every object it names
matches a scene-graph object that overlaps the region box (or belongs to the
region's graph, when ``region_graphs.json`` is present) with some part in
the region's crop. The crop is the region box clipped to the image; regions
whose box lies mostly outside the image (``max_outside``), whose crop is tiny
(under ``min_crop_fraction`` of the image or a side under ``min_crop_side``
pixels) or whose caption is about the photo itself (``photo_phrases``: "in
the photo", "this image", ...) are dropped and counted in ``skipped``.

For each training set's counts (:mod:`~crepe_gen.systematicity.splits`, read
from the vocabulary file of :mod:`~crepe_gen.systematicity.counting`) a caption
goes to

* ``seen_compounds`` when every atom and every compound occurs at least ``k``
  times in that training set's captions;
* ``unseen_compounds`` when every atom does but at least one compound does not;
* ``unseen_atoms`` (optional) when at least one atom does not.

Negatives (:mod:`~crepe_gen.systematicity.negatives`) are edits of whole
tokens of the normalized caption (:mod:`~crepe_gen.systematicity.captions`;
lower case, no trailing period, single spaces; the positive is written the
same way):

* HN-Atom: one atom replaced by a seen atom of the same kind and sense or
  category (:mod:`crepe_gen.language.lexicon`) that occurs among the set's
  positives; all negatives of a row edit the same slot, and replacements are
  drawn with their likelihood in context under a bigram model of the other
  images' captions (:mod:`~crepe_gen.systematicity.bigrams`), the way the
  positive's own word was "drawn";
* HN-Comp: the caption's own atoms recombined into other compounds (two
  attributes swapped, an attribute moved to another object, subject and
  object of a relation swapped); none when no recombination is possible or
  false for the image, so the list length varies by row;
* combined: an HN-Comp edit followed by an HN-Atom edit.

Blind-bias controls: edits are of whole tokens; positive and negatives are
normalized alike; no negative equals its positive; the atoms negatives insert
are kept in step with the atoms they remove; and each row's negatives of each
list are picked from its candidates so that the positive's rank under a
text-only n-gram classifier (trained on other images, as ``crepe-gen audit``
does), its rank under the plausibility of its compounds in other images'
scene graphs (:mod:`~crepe_gen.systematicity.plausibility`, which also
weights the draw of replacements; a language model's sense of plausibility
then finds it at chance) and its being the shortest or longest candidate
are as often as chance (:mod:`~crepe_gen.systematicity.balancing`). Rows whose HN-Atom list cannot be
balanced are dropped; an HN-Comp or combined list that cannot be balanced is
left empty; both are counted.

Every negative is checked false for the image against its full scene graph
(:mod:`~crepe_gen.systematicity.facts`): at least one compound or object it
states and the positive does not is absent from the image.

:func:`run_systematicity` runs the stage as named steps: resolve the inputs
and what is already written (:func:`resolve_inputs`), ground the region
captions (:func:`ground`), split them per training set
(:func:`training_set`), make the rows
(:func:`~crepe_gen.systematicity.rows.make_rows`), balance them
(:func:`~crepe_gen.systematicity.balancing.balance_sets`) and write the files
and the manifest section (:func:`write_outputs`). Rows' full provenance
records wait in spool files next to the outputs
(:mod:`~crepe_gen.systematicity.spool`) while balancing works on what it reads
of them, so memory does not grow with them.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from ..bench.format import SYSTEMATICITY_COLUMNS, TRAINING_SETS, systematicity_stem, training_set_tag
from ..bench.writer import csv_text
from ..core.errors import ConfigError, InputError
from ..core.fingerprint import code_version, file_digest, fingerprint
from ..core.io import portable_path, read_manifest, remove_unproduced, update_manifest, versions, write_jsonl_atomic, write_text_atomic
from ..core.lock import output_lock
from ..language import lexicon
from ..vg.reader import VisualGenome
from . import counting
from .balancing import balance_sets
from .bigrams import BigramIndex
from .config import SystematicityConfig
from .counting import CorpusCounts, read_counts
from .grounding import Region, ground_regions
from .negatives import AtomPool
from .plausibility import CompoundPlausibility
from ..productivity.weights import graph_compounds
from .rows import TrainingSet, make_rows
from .spool import ProvenanceSpool
from .splits import assign_splits, positive_frequencies
from .vg_names import VGNames, vg_names

__all__ = ["Inputs", "STAGE_FORMAT", "STANDIN_PRESETS", "SystematicityConfig", "ground", "resolve_inputs",
           "run_fingerprint", "run_systematicity", "standin_vocabs", "training_set", "write_outputs"]

log = logging.getLogger(__name__)

#: Stand-in corpus presets (:mod:`crepe_gen.systematicity.counting`) by training-set name.
STANDIN_PRESETS = {tag: preset for preset, tag in TRAINING_SETS.items()}
#: Bump when the same inputs and configuration give other rows, so files
#: written by older code are not taken as done.
STAGE_FORMAT = 1


# -- step 1: inputs and resume ----------------------------------------------------------
@dataclass
class Inputs:
    """What one run reads, and which training sets are already written.

    ``tags`` maps every training-set name to its file tag, ``todo`` only those
    to (re)write; ``fingerprints`` are by tag; ``previous`` is the manifest
    section of the last run (empty when none).
    """

    vocabs: dict
    standin: bool
    tags: dict
    names: VGNames
    vg_hashes: dict
    vocab_hashes: dict
    fingerprints: dict
    previous: dict
    done: set

    @property
    def todo(self) -> dict:
        """``{name: tag}`` of the training sets to (re)write."""
        return {name: tag for name, tag in self.tags.items() if tag not in self.done}


def resolve_inputs(vg: VisualGenome, vocabs: dict, out_dir: Path, config: SystematicityConfig) -> Inputs:
    """Check the vocabulary files (building the stand-in ones when *vocabs* is
    empty), fingerprint each training set and find those already written."""
    standin = not vocabs
    if standin:
        vocabs = standin_vocabs(out_dir / "systematicity" / "standin_vocab", str(vg.root), config)
    tags = _tags(vocabs)
    names = vg_names(str(vg.root), lenient=vg.lenient)
    vg_hashes = vg.input_hashes()
    vocab_hashes = {name: file_digest(vocabs[name]) for name in tags}
    fingerprints = {tag: run_fingerprint(config, vg_hashes, vocab_hashes[name], names.digest, tag, vg.lenient)
                    for name, tag in tags.items()}
    previous = _previous_section(out_dir)
    done = {tag for tag in fingerprints if _finished(out_dir, previous, tag, fingerprints[tag], config)}
    stale = sorted(tag for tag in (previous.get("fingerprints") or {}) if tag in fingerprints and tag not in done)
    if stale:
        log.warning("rewriting %s: written from other inputs, configuration or code", ", ".join(stale))
    if done:
        log.info("already written with the same inputs and configuration: %s", ", ".join(sorted(done)))
    return Inputs(vocabs, standin, tags, names, vg_hashes, vocab_hashes, fingerprints, previous, done)


def _tags(vocabs: dict) -> dict[str, str]:
    """``{name: file tag}`` in name order; two names of one tag, or a missing
    file, are errors."""
    tags = {}
    for name in sorted(vocabs):
        tag = training_set_tag(name)
        if tag in tags.values():
            raise ConfigError(f"two vocabularies for training set {tag!r}")
        tags[name] = tag
    for name in tags:
        if not Path(vocabs[name]).is_file():
            raise InputError(vocabs[name], "vocabulary file not found")
    return tags


def run_fingerprint(config: SystematicityConfig, vg_hashes: dict, vocab_hash: str, names_digest: str,
                    tag: str, lenient: bool = False) -> str:
    """Digest (:func:`crepe_gen.core.fingerprint.fingerprint`) of everything one
    training set's files depend on: configuration (seed included), VG and
    vocabulary hashes, the reader's leniency, library and code versions."""
    return fingerprint(config, vg_hashes, vocab_hash, names_digest, tag, versions("lemminflect", "scikit-learn"),
                       code_version("systematicity", STAGE_FORMAT), lenient)


def _previous_section(out_dir: Path) -> dict:
    section = read_manifest(out_dir).get("systematicity")
    return section if isinstance(section, dict) else {}


def _finished(out_dir: Path, previous: dict, tag: str, fingerprint: str, config: SystematicityConfig) -> bool:
    """Whether *tag*'s files were written by a finished run with the same fingerprint."""
    if (previous.get("fingerprints") or {}).get(tag) != fingerprint or tag not in previous.get("counts", {}):
        return False
    folder = out_dir / "systematicity"
    return all((folder / f"{systematicity_stem(split, tag)}{suffix}").exists()
               for split in config.splits() for suffix in (".csv", ".jsonl"))


def standin_vocabs(folder, vg_root, config: SystematicityConfig) -> dict[str, Path]:
    """Vocabularies of the stand-in corpus shipped with the package (not real
    training sets), built into *folder*; ``{name: parquet path}``."""
    paths = {}
    for name, preset in STANDIN_PRESETS.items():
        path = Path(folder) / f"standin_{name}.parquet"
        counting.build_vocab(preset, None, path, counting.VocabConfig(vg_root=vg_root, progress=config.progress))
        paths[name] = path
    return paths


def _names_digest_of(path) -> str | None:
    """The VG names digest a vocabulary file was counted with, if recorded."""
    try:
        summary = json.loads(counting.manifest_path(path).read_text(encoding="utf-8"))
        return summary["vg_vocabulary"]["digest"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _read_counts(inputs: Inputs) -> dict[str, CorpusCounts]:
    """The counts of every training set to write, warning when one was
    counted with other VG names than this run's."""
    counts = {name: read_counts(inputs.vocabs[name]) for name in inputs.todo}
    for name in inputs.todo:
        digest = _names_digest_of(inputs.vocabs[name])
        if digest not in (None, inputs.names.digest):
            log.warning("%s was counted with another Visual Genome vocabulary (%s, here %s): "
                        "compounds may not compare", inputs.vocabs[name], digest, inputs.names.digest)
    return counts


# -- step 2: grounding --------------------------------------------------------------------
def ground(vg: VisualGenome, names: VGNames, config: SystematicityConfig, skipped: collections.Counter,
           bigrams: BigramIndex) -> tuple[list[Region], lexicon.Lexicon, CompoundPlausibility]:
    """The grounded region captions, the lexicon of replacement atoms and the
    image counts of compounds, in one pass over the scene graphs (every graph
    also goes into the lexicon and the counts)."""
    tally = lexicon.AtomTally(vg.canon.alias_groups)  # the folder's alias lines, for the synonym test
    compounds = collections.Counter()

    def tallied(graphs):
        for graph in graphs:
            tally.add(graph)
            compounds.update(graph_compounds(graph))
            yield graph

    regions = ground_regions(vg, names, config, skipped, bigrams, graphs=tallied(vg.scene_graphs()))
    return regions, tally.lexicon(lexicon.LexiconConfig()), CompoundPlausibility(dict(compounds))


# -- step 3: splits -----------------------------------------------------------------------
def training_set(name: str, tag: str, regions: list[Region], counts: CorpusCounts, lex: lexicon.Lexicon,
                 config: SystematicityConfig) -> TrainingSet:
    """One training set's split membership and replacement pool, with empty rows."""
    skipped = collections.Counter()
    by_split = assign_splits(regions, counts, config, skipped)
    positives = [region for split in by_split.values() for region in split]
    pool = AtomPool(lex, positive_frequencies(positives), counts, config.min_count)
    membership = {(r.image_id, r.region_id): split for split, rs in by_split.items() for r in rs}
    return TrainingSet(name, tag, pool, membership, skipped,
                       {split: [] for split in by_split}, {split: [] for split in by_split})


# -- step 6: files and manifest --------------------------------------------------------------
def write_outputs(vg: VisualGenome, inputs: Inputs, sets: list[TrainingSet], regions: list[Region],
                  skipped: collections.Counter, out_dir: Path, config: SystematicityConfig) -> dict:
    """Write every new training set's files and the ``systematicity`` manifest
    section (sets already written keep their previous entries)."""
    previous = inputs.previous
    section = {"config": dataclasses.asdict(config), "seed": config.seed,
               "inputs": {"visual_genome": str(vg.root), "hashes": inputs.vg_hashes},
               "vocabularies": {}, "counts": {}, "skipped": dict(sorted(skipped.items())),
               "fingerprints": dict(sorted(inputs.fingerprints.items())),
               "standin_corpus": inputs.standin,
               "versions": versions("networkx", "lemminflect", "pyarrow", "scikit-learn"),
               "extraction_vocabulary": inputs.names.digest,
               "grounded_regions": len(regions) if inputs.todo else previous.get("grounded_regions"),
               "files": []}
    for tag in sorted(inputs.done):
        for key in ("vocabularies", "counts"):
            section[key][tag] = previous[key][tag]
        section["skipped_" + tag] = previous.get("skipped_" + tag, {})
        section["files"] += [f"systematicity/{systematicity_stem(split, tag)}.csv" for split in config.splits()]
    for state in sets:
        _write_training_set(out_dir / "systematicity", inputs, state, section)
    section["files"].sort()
    produced = [out_dir / name for csv in section["files"] for name in (csv, csv.removesuffix(".csv") + ".jsonl")]
    remove_unproduced(out_dir / "systematicity", produced, ["syst_vg_hard_negs_*.csv", "syst_vg_hard_negs_*.jsonl"])
    update_manifest(out_dir, "systematicity", section)
    return section


def _write_training_set(folder: Path, inputs: Inputs, state: TrainingSet, section: dict) -> None:
    name, tag = state.name, state.tag
    out_dir = folder.parent
    section["vocabularies"][tag] = {"name": name, "path": portable_path(inputs.vocabs[name], out_dir, out_dir),
                                    "sha256": inputs.vocab_hashes[name], "standin": inputs.standin,
                                    "vg_vocabulary": _names_digest_of(inputs.vocabs[name])}
    section["counts"][tag] = {split: len(rows) for split, rows in state.rows.items()}
    section["skipped_" + tag] = dict(sorted(state.skipped.items()))
    for split, rows in state.rows.items():
        stem = systematicity_stem(split, tag)
        write_text_atomic(folder / f"{stem}.csv", csv_text(list(SYSTEMATICITY_COLUMNS), rows))
        write_jsonl_atomic(folder / f"{stem}.jsonl", state.records(split))
        section["files"].append(f"systematicity/{stem}.csv")
        log.info("%s: %d rows", stem, len(rows))


# -- the stage ------------------------------------------------------------------------------
def run_systematicity(vg: VisualGenome, vocabs: dict, out_dir, config: SystematicityConfig) -> dict:
    """Write the systematicity set of every training set in *vocabs* under ``out_dir``.

    Parameters
    ----------
    vg : VisualGenome
        The Visual Genome folder (region descriptions and scene graphs).
    vocabs : dict
        ``{training-set name: vocabulary parquet path}``; ``cc12m``, ``yfcc``
        and ``laion`` give the released file names. Empty: vocabularies of the
        stand-in corpus shipped with the package, built into ``out_dir``.
    out_dir : path
        The benchmark folder; files go to ``out_dir/systematicity/``.
    config : SystematicityConfig

    Returns
    -------
    dict
        The ``systematicity`` section written to ``out_dir/manifest.json``.
    """
    out_dir = Path(out_dir)
    with output_lock(out_dir):
        return _run(vg, vocabs, out_dir, config)


def _run(vg: VisualGenome, vocabs: dict, out_dir: Path, config: SystematicityConfig) -> dict:
    with contextlib.ExitStack() as spools:
        return _run_steps(vg, vocabs, out_dir, config, spools)


def _run_steps(vg: VisualGenome, vocabs: dict, out_dir: Path, config: SystematicityConfig,
               spools: contextlib.ExitStack) -> dict:
    inputs = resolve_inputs(vg, vocabs, out_dir, config)
    todo = inputs.todo
    counts = _read_counts(inputs)
    skipped = collections.Counter(inputs.previous.get("skipped", {}) if not todo else {})
    bigrams = BigramIndex()
    regions, lex, plausibility = ground(vg, inputs.names, config, skipped, bigrams) if todo else ([], None, None)
    log.info("%d grounded region captions", len(regions))
    sets = [training_set(name, tag, regions, counts[name], lex, config) for name, tag in todo.items()]
    for state in sets:  # full provenance records wait on disk until written
        state.spool = spools.enter_context(ProvenanceSpool(out_dir / "systematicity", f"provenance_{state.tag}"))
    make_rows(vg, regions, sets, bigrams, inputs.names.surfaces, config, plausibility)
    balance_sets(sets, config)
    return write_outputs(vg, inputs, sets, regions, skipped, out_dir, config)
