"""The whole pipeline in one call: a registry of stages that resume.

Stages run in the order of :data:`STAGES`: productivity, vocab (caption
vocabularies of the training sets), systematicity, audit (text-only
baselines), eval (models named in the config, text-only by default), card
and export. After a stage finishes it writes a done-marker
``OUT/.build/STAGE.json`` holding a key (:func:`stage_key`: hash of the
stage's config, of its inputs' contents (VG files, caption corpora, earlier
stages' files), of the images present when the stage reads images, and of
the code version) and the SHA-256 of every file it wrote. On the next run
a stage whose key matches and whose outputs are all still there, unchanged,
is skipped; anything else reruns it. Stage outputs are written atomically,
so a killed build reruns only the stage it was in (and the vocab stage keeps
its counted shards). The build holds ``OUT`` for the whole run
(:func:`crepe_gen.core.lock.output_lock`): a second build into it is refused.

The build config is YAML (see ``configs/sample.yaml``, which spells out the
defaults): top-level ``out``, ``seed``, ``visual_genome``, ``images``,
``stages`` and one section per stage whose keys are the fields of that
stage's config dataclass. ``seed`` fills every stage config's ``seed`` unless
the section sets its own.

Examples
--------
>>> config = BuildConfig.from_dict({"seed": 3, "audit": {"classifier": False}})
>>> config.seed, config.stages[0], config.section("audit")
(3, 'productivity', {'classifier': False})
>>> stage_config(config, "audit", _audit_config_class()).seed
3
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .bench.format import TRAINING_SETS
from .core.config import check_field, config_from_mapping, read_yaml_mapping
from .core.errors import ConfigError, InputError
from .core.fingerprint import NOT_FINGERPRINTED, canonical_json, code_version, file_digest, file_listing, fingerprint
from .core.io import versions, write_json_atomic, write_text_atomic
from .core.lock import output_lock
from .vg.reader import VisualGenome

__all__ = ["DEFAULT_OUT", "DEFAULT_CORPORA", "DEFAULT_MODELS", "BuildConfig", "load_build_config",
           "stage_config", "BuildContext", "Stage", "VocabStageConfig", "EvalStageConfig", "STAGES",
           "stage_key", "rerun_reason", "verify_build", "BuildResult", "run_build"]

log = logging.getLogger(__name__)

DEFAULT_OUT = "crepe_out"
DEFAULT_CORPORA = tuple(TRAINING_SETS)
DEFAULT_MODELS = ("text:shortest", "text:no_negation")


@dataclass(frozen=True)
class BuildConfig:
    """Everything a build needs; stage sections stay plain dicts until their stage runs."""

    out: str = DEFAULT_OUT
    seed: int = 0
    visual_genome: str | None = None
    images: str | None = None
    stages: tuple[str, ...] = ("productivity", "vocab", "systematicity", "audit", "eval", "card", "export")
    sections: tuple[tuple[str, str], ...] = ()  # (stage, JSON of its section), hashable and ordered
    source: str = "defaults"

    @classmethod
    def from_dict(cls, data: dict, source: str = "defaults") -> "BuildConfig":
        """The build config of a mapping (a YAML file's, named by *source* in errors).

        Stage sections are checked to be mappings here and read into their
        stage's config dataclass (:func:`stage_config`) when the stage runs.
        """
        data = dict(data or {})
        unknown = sorted(set(data) - {"out", "seed", "visual_genome", "images", "stages"} - set(STAGES))
        if unknown:
            raise ConfigError(f"{source}: unknown keys {', '.join(unknown)} "
                              f"(stages: {', '.join(STAGES)})")
        for key in _TOP_LEVEL.keys() & data.keys():  # a wrong type fails here, not mid-build
            data[key] = check_field(key, _TOP_LEVEL[key], data[key], source)
        stages = tuple(data.pop("stages", cls.stages))
        bad = [stage for stage in stages if stage not in STAGES]
        if bad:
            raise ConfigError(f"{source}: unknown stages {', '.join(bad)} (choose from {', '.join(STAGES)})")
        sections = []
        for stage in STAGES:
            section = data.pop(stage, None) or {}
            if not isinstance(section, dict):
                raise ConfigError(f"{source}: section {stage!r} must be a mapping")
            sections.append((stage, json.dumps(section, sort_keys=True)))
        return cls(out=str(data.get("out", cls.out)), seed=int(data.get("seed", cls.seed)),
                   visual_genome=data.get("visual_genome"), images=data.get("images"),
                   stages=stages, sections=tuple(sections), source=source)

    def section(self, stage: str) -> dict:
        """The stage's section of the config file (``{}`` when it has none)."""
        return json.loads(dict(self.sections).get(stage, "{}"))


_TOP_LEVEL = {"out": str, "seed": int, "visual_genome": str | None, "images": str | None,
              "stages": tuple[str, ...]}


def load_build_config(path=None, *, out: str | None = None) -> BuildConfig:
    """The build config of a YAML file (None: the defaults), *out* overriding its ``out``."""
    if path is None:
        config = BuildConfig.from_dict({})
    else:
        data = read_yaml_mapping(path, what="build config")
        config = BuildConfig.from_dict(data, source=str(path))
    return dataclasses.replace(config, out=out) if out else config


def stage_config(config: BuildConfig, stage: str, cls, **fixed):
    """The *cls* dataclass from the stage's section, the build seed and *fixed* values."""
    names = {f.name for f in dataclasses.fields(cls)}
    values = {**config.section(stage), **{k: v for k, v in fixed.items() if k in names}}
    if "seed" in names:
        values.setdefault("seed", config.seed)
    return config_from_mapping(cls, values, f"{config.source}: section {stage!r}")


# -- stages ----------------------------------------------------------------------

@dataclass
class BuildContext:
    """What stages share during one build."""

    config: BuildConfig
    out: Path
    lenient: bool = False
    progress: bool = True
    _vg: VisualGenome | None = None

    @property
    def vg(self) -> VisualGenome:
        """The Visual Genome folder of the build, opened on first use."""
        if self._vg is None:
            self._vg = VisualGenome(self.config.visual_genome, lenient=self.lenient, progress=self.progress)
        return self._vg


@dataclass(frozen=True)
class Stage:
    """A pipeline step: ``run(ctx) -> summary``; ``inputs``/``outputs`` list files.

    ``reads_images``: the images present (``images`` of the build config) are
    part of the key; ``version``: bump when the same inputs give other outputs.
    """

    run: Callable[[BuildContext], dict]
    inputs: Callable[[BuildContext], list[Path]]
    outputs: Callable[[BuildContext], list[Path]]
    config: Callable[[BuildContext], object]
    reads_images: bool = False
    version: int = 1


def _files(*patterns) -> Callable[[BuildContext], list[Path]]:
    def found(ctx: BuildContext) -> list[Path]:
        return sorted({path for pattern in patterns for path in ctx.out.glob(pattern) if path.is_file()})
    return found


def _vg_inputs(ctx: BuildContext) -> list[Path]:
    return [ctx.vg.root / name for name in sorted(ctx.vg.input_hashes())]


def _productivity_config(ctx):
    from .productivity.stage import ProductivityConfig

    return stage_config(ctx.config, "productivity", ProductivityConfig)


def _run_productivity(ctx):
    from .productivity.stage import run_productivity

    return run_productivity(ctx.vg, ctx.out, _productivity_config(ctx), images_dir=ctx.config.images,
                            progress=ctx.progress)


@dataclass(frozen=True)
class VocabStageConfig:
    """Training sets to count: ``{preset: caption folder or None for the stand-in corpus}``."""

    corpora: dict = field(default_factory=lambda: {name: None for name in DEFAULT_CORPORA})
    extractor: str = "fast"
    executor: str = field(default="local", metadata=NOT_FINGERPRINTED)  # counts do not depend on it
    workers: int | None = field(default=None, metadata=NOT_FINGERPRINTED)


def _vocab_config(ctx):
    return stage_config(ctx.config, "vocab", VocabStageConfig)


def _vocab_paths(ctx) -> dict[str, Path]:
    return {name: ctx.out / "vocab" / f"{name}.parquet" for name in sorted(_vocab_config(ctx).corpora)}


def _corpus_inputs(ctx) -> list[Path]:
    """The caption files the vocab stage counts (the stand-in corpus's when none is given)."""
    from .systematicity.counting import standin_corpus_dir

    roots = [Path(path) if path else standin_corpus_dir() for path in _vocab_config(ctx).corpora.values()]
    files = {path for root in roots for path in ([root] if root.is_file() else root.rglob("*")) if path.is_file()}
    return sorted(files)


def _run_vocab(ctx):
    from .systematicity.counting import VocabConfig, build_vocab

    stage = _vocab_config(ctx)
    summaries = {}
    for name, out_path in _vocab_paths(ctx).items():
        captions = stage.corpora[name]
        config = VocabConfig(extractor=stage.extractor, executor=stage.executor, workers=stage.workers,
                             vg_root=ctx.config.visual_genome, progress=ctx.progress,
                             lenient=ctx.lenient)
        summaries[name] = build_vocab(name, [captions] if captions else [], out_path, config)
    return {name: {"captions": s["captions"], "stand_in": s["stand_in"], "entries": s["entries"]}
            for name, s in summaries.items()}


def _systematicity_config(ctx):
    from .systematicity.stage import SystematicityConfig

    return stage_config(ctx.config, "systematicity", SystematicityConfig, progress=ctx.progress)


def _run_systematicity(ctx):
    from .systematicity.stage import run_systematicity

    return run_systematicity(ctx.vg, _vocab_paths(ctx), ctx.out, _systematicity_config(ctx))


def _audit_config_class():
    from .evaluation.audit import AuditConfig

    return AuditConfig


def _audit_config(ctx):
    sources = ctx.vg.path("image_sources", required=False)  # a synthetic folder: group by source scene
    config = stage_config(ctx.config, "audit", _audit_config_class(), lenient=ctx.lenient, progress=ctx.progress)
    if sources is not None and config.image_groups is None:
        config = dataclasses.replace(config, image_groups=str(sources))
    return config


def _benchmark_dirs(ctx) -> list[Path]:
    return [ctx.out / name for name in ("productivity", "systematicity") if (ctx.out / name).is_dir()]


def _run_audit(ctx):
    from .evaluation.audit import audit_paths

    dirs = _benchmark_dirs(ctx)
    if not dirs:
        raise InputError(ctx.out, "nothing to audit: no productivity/ or systematicity/ folder")
    report = audit_paths(dirs, _audit_config(ctx))
    write_json_atomic(ctx.out / "audit" / "audit.json", report.to_dict(ctx.out / "audit", ctx.out))
    write_text_atomic(ctx.out / "audit" / "audit.txt", report.format_table() + "\n")
    return {"passed": report.passed}


@dataclass(frozen=True)
class EvalStageConfig:
    """Models evaluated by the build (``ADAPTER:NAME[:PRETRAINED]``) and the harness options."""

    models: tuple[str, ...] = DEFAULT_MODELS
    batch_size: int = 32
    n_bootstrap: int = 1000
    seed: int = 0
    device: str = "cpu"


def _eval_config(ctx):
    return stage_config(ctx.config, "eval", EvalStageConfig)


def _run_eval(ctx):
    from .evaluation.harness import EvalConfig, default_out, evaluate, write_results
    from .evaluation.models import load_adapter

    stage = _eval_config(ctx)
    config = EvalConfig(batch_size=stage.batch_size, n_bootstrap=stage.n_bootstrap, seed=stage.seed)
    summary = {}
    for spec in stage.models:
        adapter = load_adapter(spec, device=stage.device, seed=stage.seed)
        out = default_out(ctx.out, adapter.spec)
        results = evaluate(ctx.out, adapter, ctx.config.images, config, cache_dir=out.parent / ".eval_cache",
                           lenient=ctx.lenient, progress=ctx.progress)
        write_results(results, out)
        summary[spec] = {"items": results["items"], "ties": results["ties"]}
    return summary


def _read_audit(ctx) -> tuple[dict | None, str | None]:
    path = ctx.out / "audit" / "audit.json"
    if not path.exists():
        return None, None
    table = ctx.out / "audit" / "audit.txt"
    return (json.loads(path.read_text(encoding="utf-8")),
            table.read_text(encoding="utf-8").rstrip("\n") if table.exists() else None)


def _card_config(ctx):
    from .release.card import CardConfig

    return stage_config(ctx.config, "card", CardConfig)


def _run_card(ctx):
    from .release.card import write_card
    from .evaluation.harness import read_results

    audit, table = _read_audit(ctx)
    results = [read_results(path) for path in sorted((ctx.out / "eval").glob("*.json"))]
    card = write_card(ctx.out, _card_config(ctx), audit=audit, audit_table=table, results=results)
    return {"card": card.path.name, "plots": [p.name for p in card.plots]}


def _export_config(ctx):
    from .release.export import ExportConfig

    return stage_config(ctx.config, "export", ExportConfig)


def _run_export(ctx):
    from .release.export import export_hf

    card = ctx.out / _card_config(ctx).file_name
    assets = sorted((ctx.out / _card_config(ctx).plots_folder).glob("*.png"))
    return export_hf(ctx.out, _export_config(ctx), lenient=ctx.lenient,
                     card_text=card.read_text(encoding="utf-8") if card.exists() else "",
                     card_assets=assets)


_BENCH = ("productivity/**/*.csv", "systematicity/*.csv")

#: The pipeline, in order. Inputs of a stage are hashed into its key.
STAGES: dict[str, Stage] = {
    "productivity": Stage(_run_productivity, _vg_inputs, _files("productivity/**/*.csv", "productivity/**/*.jsonl"),
                          _productivity_config, reads_images=True),
    "vocab": Stage(_run_vocab, lambda ctx: _vg_inputs(ctx) + _corpus_inputs(ctx), _files("vocab/*.parquet"),
                   _vocab_config),
    "systematicity": Stage(_run_systematicity, lambda ctx: _vg_inputs(ctx) + _files("vocab/*.parquet")(ctx),
                           _files("systematicity/*.csv", "systematicity/*.jsonl"), _systematicity_config),
    "audit": Stage(_run_audit, _files(*_BENCH), _files("audit/*"), _audit_config),
    "eval": Stage(_run_eval, _files(*_BENCH), _files("eval/*.json", "eval/*.csv"), _eval_config, reads_images=True),
    "card": Stage(_run_card, _files(*_BENCH, "audit/*", "eval/*.json", "manifest.json"),
                  _files("README.md", "card/*.png"), _card_config),
    "export": Stage(_run_export, _files(*_BENCH, "README.md", "card/*.png"), _files("hf/**/*"),
                    _export_config),
}


# -- running -----------------------------------------------------------------------

def stage_key(ctx: BuildContext, name: str) -> str:
    """:func:`~crepe_gen.core.fingerprint.fingerprint` of the stage's name, config
    (its fingerprinted fields, seed included), Visual Genome/images folders,
    leniency, its inputs' contents, the images present (when it reads images)
    and the code version."""
    return _key_of(name, _key_parts(ctx, name))


def _key_of(name: str, parts: dict) -> str:
    return fingerprint(name, parts, length=64)


def _marker(ctx: BuildContext, name: str) -> Path:
    return ctx.out / ".build" / f"{name}.json"


def _output_hashes(ctx: BuildContext, name: str) -> dict[str, str]:
    return {path.relative_to(ctx.out).as_posix(): file_digest(path) for path in STAGES[name].outputs(ctx)}


def _key_parts(ctx: BuildContext, name: str) -> dict[str, str]:
    """What the stage key is made of, each part's own digest: so that a rerun
    can say which of them changed."""
    stage = STAGES[name]
    inputs = [[str(path.relative_to(ctx.out)) if path.is_relative_to(ctx.out) else path.name, file_digest(path)]
              for path in stage.inputs(ctx)]
    images = file_listing(ctx.config.images, "**/*.jpg") if stage.reads_images else None
    return {"configuration": fingerprint(stage.config(ctx), ctx.config.visual_genome, ctx.config.images, ctx.lenient),
            "inputs": fingerprint(inputs, images), "code": code_version(name, stage.version)}


def _read_marker(path: Path) -> dict | None:
    try:
        done = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return done if isinstance(done, dict) else None


def changed_outputs(out, outputs: dict) -> list[str]:
    """The recorded *outputs* (``{relative path: sha256}``) that are missing or differ."""
    out = Path(out)
    return [f"{relative} (missing)" if not (out / relative).is_file() else relative
            for relative, digest in sorted(outputs.items())
            if not (out / relative).is_file() or file_digest(out / relative) != digest]


def rerun_reason(ctx: BuildContext, name: str, parts: dict) -> str | None:
    """None when the stage's marker has the key of *parts* (:func:`_key_parts`)
    and every recorded output is unchanged; else why the stage runs: never
    run, which of its configuration, inputs and code changed, or which outputs
    were changed or removed."""
    done = _read_marker(_marker(ctx, name))
    if done is None:
        return "not run before" if not _marker(ctx, name).exists() else "its record is damaged"
    if done.get("key") != _key_of(name, parts):
        changed = [part for part, digest in parts.items() if done.get("parts", {}).get(part) != digest]
        return "its " + " and ".join(changed or ["configuration, inputs or code"]) + " changed"
    changed = changed_outputs(ctx.out, done.get("outputs", {}))
    return f"its outputs were changed: {', '.join(changed)}" if changed else None


def verify_build(out) -> tuple[int, list[str]]:
    """``(files checked, problems)`` of a build folder: every output each
    stage recorded in ``OUT/.build/`` against its recorded sha256 (a moved or
    copied folder verifies: paths are relative)."""
    markers = sorted((Path(out) / ".build").glob("*.json"))
    if not markers:
        raise InputError(Path(out) / ".build", "no build record to verify against (made by crepe-gen build)")
    checked, problems = 0, []
    for marker in markers:
        done = _read_marker(marker)
        if done is None:
            problems.append(f"{marker.relative_to(out).as_posix()} (damaged build record)")
            continue
        outputs = done.get("outputs", {})
        checked += len(outputs)
        problems += [f"{path} (stage {done.get('stage', marker.stem)})" for path in changed_outputs(out, outputs)]
    return checked, problems


@dataclass
class BuildResult:
    """What :func:`run_build` did: stages run and skipped, the audit verdict, stage summaries."""

    out: Path
    ran: list[str]
    skipped: list[str]
    audit_passed: bool | None
    summaries: dict
    seconds: dict = field(default_factory=dict)  # wall time of each stage that ran (not written anywhere)


def run_build(config: BuildConfig, *, lenient: bool = False, progress: bool = True,
              only: tuple[str, ...] = (), on_stage=None) -> BuildResult:
    """Run every stage of *config* (or the named *only* ones) into ``config.out``;
    ``on_stage(name, None)`` is called as a stage starts, ``on_stage(name,
    seconds)`` as it ends (the command line prints them)."""
    with output_lock(config.out):
        return _run_stages(BuildContext(config, Path(config.out), lenient=lenient, progress=progress), only,
                           on_stage)


def _run_stages(ctx: BuildContext, only: tuple[str, ...], on_stage=None) -> BuildResult:
    config = ctx.config
    ran, skipped, summaries, seconds = [], [], {}, {}
    for name in config.stages:
        if only and name not in only:
            continue
        parts = _key_parts(ctx, name)  # hashes the stage's inputs: once per stage
        reason = rerun_reason(ctx, name, parts)
        if reason is None:
            log.info("stage %s: up to date", name)
            skipped.append(name)
            continue
        if _marker(ctx, name).exists():
            log.warning("stage %s: %s; rerunning", name, reason)
        else:
            log.info("stage %s: running", name)
        if on_stage is not None:
            on_stage(name, None)
        started = time.monotonic()
        summaries[name] = STAGES[name].run(ctx)
        seconds[name] = time.monotonic() - started
        if on_stage is not None:
            on_stage(name, seconds[name])
        write_json_atomic(_marker(ctx, name), {
            "stage": name, "key": _key_of(name, parts), "parts": parts,
            "config": json.loads(canonical_json(STAGES[name].config(ctx))),
            "outputs": _output_hashes(ctx, name), "versions": versions()})
        ran.append(name)
    audit, _ = _read_audit(ctx)
    return BuildResult(ctx.out, ran, skipped, None if audit is None else bool(audit["passed"]), summaries, seconds)
