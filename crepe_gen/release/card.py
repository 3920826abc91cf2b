"""The dataset card: Markdown plus PNG plots, written next to the benchmark.

The card states what is in the folder (rows per set, level, foil type and
split, counted by :mod:`crepe_gen.bench.reader`), whether the text-only
audit passed (its table, with chance), how the set was made (each stage's section of ``OUT/manifest.json``: config, seed,
versions, input hashes) and its known limits. Plots are drawn with
matplotlib's Agg backend; each is a function in :data:`PLOTS` that returns
None when it has no data.

Examples
--------
>>> sizes = {"productivity": {"atom": {4: 10, 5: 3}}, "systematicity": {}}
>>> print(sizes_markdown(sizes).splitlines()[2])
| atom | 10 | 3 | 13 |
"""

from __future__ import annotations

import collections
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from ..bench.format import PRODUCTIVITY, SYSTEMATICITY_FOILS
from ..bench.reader import read_rows, released_files
from ..core.io import atomic_open, read_manifest, write_text_atomic

__all__ = ["GENERAL_LIMITS", "CardConfig", "Card", "PLOTS", "dataset_sizes", "sizes_markdown", "crop_markdown", "plot_rows_per_level",
           "plot_baseline_margins", "plot_recall_vs_complexity", "save_figure", "card_markdown", "write_card"]

log = logging.getLogger(__name__)

GENERAL_LIMITS = (
    "Negatives are checked to be false against the Visual Genome scene graph of the image; "
    "VG annotations are incomplete, so a negative can still be true of the picture.",
    "Productivity captions come from templates or a small language model; they read less "
    "naturally than human captions and can carry text-only regularities (see the audit).",
    "Seen/unseen compound splits are only as good as the caption corpus they were counted on: "
    "the bundled stand-in corpus is small and is not the real CC-12M, YFCC-15M or LAION-400M "
    "captions, so splits built from it are for testing the pipeline, not for claims.",
    "Boxes are in the pixels of the VG image as annotated; some VG width/height fields disagree "
    "with the JPEG, and evaluation clamps boxes to the image.",
)


@dataclass(frozen=True)
class CardConfig:
    """Card file name, plot folder (both relative to the benchmark) and plot resolution."""

    title: str = "CREPE benchmark (regenerated with crepe_gen)"
    file_name: str = "README.md"
    plots_folder: str = "card"
    dpi: int = 110
    max_manifest_lines: int = 80


@dataclass(frozen=True)
class Card:
    """What :func:`write_card` wrote: the card, its plots and its text."""

    path: Path
    plots: tuple[Path, ...]
    text: str


# -- what is in the folder -------------------------------------------------------

def dataset_sizes(bench_dir) -> dict:
    """Rows per productivity foil type and level, and per systematicity split
    with how many rows have negatives of each type."""
    productivity: dict = collections.defaultdict(dict)
    systematicity: dict = {}
    for bench_file in released_files(bench_dir):
        rows = [row for _, row in read_rows(bench_file)]
        if bench_file.task == PRODUCTIVITY:
            productivity[bench_file.foils[0]][bench_file.level] = len(rows)
        else:
            columns = bench_file.negative_columns
            counts = {"rows": len(rows)}
            for foil in SYSTEMATICITY_FOILS:
                counts[foil] = sum(1 for row in rows if row[columns[foil]])
                counts[f"{foil}_negatives"] = sum(len(row[columns[foil]]) for row in rows)
            systematicity[bench_file.split] = counts
    return {"productivity": dict(sorted(productivity.items())), "systematicity": systematicity}


def _table(headers, rows) -> str:
    lines = ["| " + " | ".join(map(str, headers)) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines)


def sizes_markdown(sizes: dict) -> str:
    """Markdown tables of :func:`dataset_sizes`."""
    parts = []
    productivity = sizes["productivity"]
    if productivity:
        levels = sorted({level for by_level in productivity.values() for level in by_level})
        rows = [[foil] + [by_level.get(level, 0) for level in levels] + [sum(by_level.values())]
                for foil, by_level in productivity.items()]
        parts.append(_table(["foil \\ n"] + levels + ["total"], rows))
    systematicity = sizes["systematicity"]
    if systematicity:
        rows = [[split, counts["rows"]] + [f"{counts[foil]} ({counts[f'{foil}_negatives']})"
                                           for foil in SYSTEMATICITY_FOILS]
                for split, counts in sorted(systematicity.items())]
        parts.append(_table(["split", "rows"] + [f"rows with {foil} (negatives)"
                                                 for foil in SYSTEMATICITY_FOILS], rows))
    return "\n\n".join(parts)


# -- plots -----------------------------------------------------------------------

def _figure(width=7.0, height=4.0):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def plot_rows_per_level(sizes: dict, audit: dict | None, results: list[dict]):
    """Grouped bars: productivity rows per complexity level and foil type."""
    productivity = sizes["productivity"]
    if not productivity:
        return None
    levels = sorted({level for by_level in productivity.values() for level in by_level})
    fig, ax = _figure()
    width = 0.8 / len(productivity)
    for i, (foil, by_level) in enumerate(productivity.items()):
        positions = [j + (i - (len(productivity) - 1) / 2) * width for j in range(len(levels))]
        ax.bar(positions, [by_level.get(level, 0) for level in levels], width, label=foil)
    ax.set_xticks(range(len(levels)), [str(level) for level in levels])
    ax.set_xlabel("complexity n (objects + attributes + relations)")
    ax.set_ylabel("rows")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Productivity rows per level and foil type")
    ax.legend(title="foil type", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


def _pooled_cells(audit: dict) -> list[dict]:
    """One audit cell per (set, foil): the pooled one, or the only level."""
    cells = collections.defaultdict(list)
    for cell in audit.get("cells", []):
        cells[(cell["kind"], cell["foil"])].append(cell)
    chosen = []
    for key in sorted(cells):
        pooled = [c for c in cells[key] if c["level"] == "all"]
        if pooled or len(cells[key]) == 1:
            chosen.append((pooled or cells[key])[0])
    return chosen


def plot_baseline_margins(sizes: dict, audit: dict | None, results: list[dict]):
    """Bars: each text-only baseline's Recall@1 minus chance, per set and foil type."""
    if not audit or not audit.get("cells"):
        return None
    cells = _pooled_cells(audit)
    baselines = [name for name in audit.get("baselines", [])
                 if any(cell["recall"].get(name) is not None for cell in cells)]
    fig, ax = _figure(8.0, 4.5)
    width = 0.8 / max(1, len(baselines))
    for i, name in enumerate(baselines):
        margins = [100 * ((cell["recall"].get(name) or 0.0) - cell["chance"]) for cell in cells]
        positions = [j + (i - (len(baselines) - 1) / 2) * width for j in range(len(cells))]
        ax.bar(positions, margins, width, label=name)
    threshold = 100 * audit.get("config", {}).get("margin", 0.05)
    ax.axhline(threshold, color="red", linestyle="--", linewidth=1, label=f"allowed margin ({threshold:g})")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(cells)), [f"{cell['kind'][:4]}\n{cell['foil']}" for cell in cells])
    ax.set_ylabel("Recall@1 minus chance (points)")
    ax.set_title("Text-only baselines: margin over chance (lower is better)")
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


def plot_recall_vs_complexity(sizes: dict, audit: dict | None, results: list[dict]):
    """Recall@1 (95% CI bars) against complexity, one panel per foil type, one
    line per evaluated model, with chance dashed."""
    groups = [(result["model"], group) for result in results for group in result["groups"]
              if group["grouping"] == "level" and group["task"] == "productivity"]
    if not groups:
        return None
    import matplotlib.pyplot as plt

    foils = sorted({group["foil"] for _, group in groups})
    _figure()  # selects the Agg backend
    fig, axes = plt.subplots(1, len(foils), figsize=(4.2 * len(foils), 3.8), squeeze=False, sharey=True)
    for ax, foil in zip(axes[0], foils):
        chance = {}
        for model in sorted({model for model, _ in groups}):
            points = sorted((g["level"], g) for m, g in groups if m == model and g["foil"] == foil)
            if not points:
                continue
            levels = [level for level, _ in points]
            values = [g["recall@1"]["value"] for _, g in points]
            errors = [[v - g["recall@1"]["ci_low"] for v, (_, g) in zip(values, points)],
                      [g["recall@1"]["ci_high"] - v for v, (_, g) in zip(values, points)]]
            ax.errorbar(levels, values, yerr=errors, marker="o", capsize=3, label=model)
            chance.update({level: g["chance_recall@1"] for level, g in points})
        ax.plot(sorted(chance), [chance[level] for level in sorted(chance)], "k--", linewidth=1, label="chance")
        ax.set_title(f"foil: {foil}")
        ax.set_xlabel("complexity n")
        ax.set_xticks(sorted(chance))
        ax.set_ylim(0, 1.02)
    axes[0][0].set_ylabel("Recall@1")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle("Productivity: Recall@1 against complexity")
    fig.tight_layout()
    return fig


#: Plots by file stem; each takes (sizes, audit dict or None, eval results).
PLOTS: dict[str, Callable] = {
    "rows_per_level": plot_rows_per_level,
    "baseline_margins": plot_baseline_margins,
    "recall_vs_complexity": plot_recall_vs_complexity,
}


def save_figure(fig, path: Path, dpi: int) -> None:
    """Save *fig* as a PNG at *path* (atomically, no metadata) and close it."""
    import matplotlib.pyplot as plt

    # No timestamp or version text in the PNG: same data, same bytes.
    with atomic_open(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)


# -- the card ----------------------------------------------------------------------

def _manifest_markdown(manifest: dict, max_lines: int) -> str:
    parts = []
    for section in sorted(manifest):
        lines = yaml.safe_dump(manifest[section], sort_keys=True, allow_unicode=True,
                               default_flow_style=False).splitlines()
        if len(lines) > max_lines:
            lines = lines[:max_lines] + [f"# ... {len(lines) - max_lines} more lines in manifest.json"]
        parts.append(f"### {section}\n\n```yaml\n" + "\n".join(lines) + "\n```")
    return "\n\n".join(parts) if parts else "No `manifest.json` was found next to the CSVs."


def _results_markdown(results: list[dict]) -> str:
    rows = []
    for result in results:
        for group in result["groups"]:
            if group["grouping"] in {"foil", "split"}:
                r1, r3 = group["recall@1"], group["recall@3"] if "recall@3" in group else None
                rows.append([result["model"], group["task"], group["foil"] or group["split"], group["items"],
                             f"{r1['value']:.3f} [{r1['ci_low']:.3f}, {r1['ci_high']:.3f}]",
                             "-" if r3 is None else f"{r3['value']:.3f}",
                             f"{group['mean_rank']['value']:.2f}", group["ties"],
                             f"{group['chance_recall@1']:.3f}"])
    return _table(["model", "set", "foil / split", "items", "R@1 [95% CI]", "R@3", "mean rank", "ties",
                   "chance R@1"], rows)


def crop_markdown(manifest: dict) -> str:
    """The crop rule, its thresholds and the rows it dropped, from the manifest.

    >>> print(crop_markdown({"productivity": {"config": {"foils": {"min_overlap": 0.5}},
    ...                                       "skipped": {"no valid negate foils": 3}}}))
    An object counts as visible when at least 50% of its box lies inside the row's box (the crop the model sees); a negative is kept only if it is false for the crop whichever way partly visible objects are read.
    <BLANKLINE>
    - productivity, no valid negate foils: 3
    """
    productivity = manifest.get("productivity") or {}
    systematicity = manifest.get("systematicity") or {}
    visible = ((productivity.get("config") or {}).get("foils") or {}).get("min_overlap")
    if visible is None:
        return ""
    lines = [f"An object counts as visible when at least {100 * visible:g}% of its box lies inside the "
             "row's box (the crop the model sees); a negative is kept only if it is false for the crop "
             "whichever way partly visible objects are read."]
    config = systematicity.get("config") or {}
    if "min_crop_fraction" in config:
        lines.append(f"Systematicity regions are dropped when their crop covers under "
                     f"{100 * config['min_crop_fraction']:g}% of the image or has a side under "
                     f"{config.get('min_crop_side', 0):g} px, when their box lies mostly outside the image, "
                     "or when the caption is about the photo rather than its content.")
    drops = [f"- {stage}, {reason}: {count}"
             for stage, section in (("productivity", productivity), ("systematicity", systematicity))
             for reason, count in sorted((section.get("skipped") or {}).items())]
    return "\n".join([" ".join(lines), ""] + drops)


def _limits(sizes: dict, audit: dict | None) -> list[str]:
    limits = list(GENERAL_LIMITS)
    for foil, by_level in sizes["productivity"].items():
        thin = [f"n={level}: {rows}" for level, rows in sorted(by_level.items()) if rows < 20]
        if thin:
            limits.append(f"Few productivity {foil} rows at some levels ({', '.join(thin)}); "
                          f"their recalls have wide intervals.")
    for split, counts in sorted(sizes["systematicity"].items()):
        missing = [foil for foil in SYSTEMATICITY_FOILS if counts["rows"] and not counts[foil]]
        if missing:
            limits.append(f"{split}: no rows with {', '.join(missing)} negatives.")
    if audit is None:
        limits.append("No text-only audit was run on this folder.")
    elif not audit.get("passed", False):
        attackers = [c for section in ("language_model", "judge") for c in (audit.get(section) or {}).get("cells", [])]
        failing = collections.Counter(f"{c['kind']} {c['foil']}" for c in audit.get("cells", []) + attackers
                                      if c.get("verdict") == "FAIL")
        limits.append("The text-only audit FAILED: text-only rules beat chance (or a negative equals "
                      "its positive) in " + ", ".join(f"{name} ({n} cells)" for name, n in sorted(failing.items()))
                      + ". Scores on those cells do not need the image; see the audit table.")
    return limits


def card_markdown(config: CardConfig, sizes: dict, audit: dict | None, audit_table: str | None,
                  manifest: dict, results: list[dict], plots: dict[str, str]) -> str:
    """The card's Markdown text (pure: everything it shows is passed in)."""
    total_prod = sum(sum(by_level.values()) for by_level in sizes["productivity"].values())
    total_syst = sum(counts["rows"] for counts in sizes["systematicity"].values())
    status = ("not run" if audit is None else "PASSED" if audit.get("passed") else "FAILED")
    out = [f"# {config.title}", "",
           "Image-text compositionality benchmark in the layout of CREPE (Ma et al., CVPR 2023), "
           "regenerated from Visual Genome scene graphs by crepe_gen. Each row pairs an image "
           "region (box `x, y, width, height`) with its true caption and hard-negative captions.", "",
           f"- productivity rows: {total_prod}", f"- systematicity rows: {total_syst}",
           f"- text-only audit: **{status}**", "",
           "## Sizes", "", sizes_markdown(sizes) or "No rows.", ""]
    if "rows_per_level" in plots:
        out += [f"![rows per level and foil type]({plots['rows_per_level']})", ""]
    out += ["## Text-only audit", ""]
    if audit_table:
        out += ["Recall@1 of rules that never look at the image; chance is the expected Recall@1 of a "
                "random pick (1 / candidates). A benchmark is only as good as its margin over these.", "",
                "```text", audit_table, "```", ""]
    else:
        out += ["The audit was not run.", ""]
    if "baseline_margins" in plots:
        out += [f"![text-only baseline margins]({plots['baseline_margins']})", ""]
    if results:
        out += ["## Evaluation results", "", _results_markdown(results), ""]
        if any(r["model"].startswith("open_clip") and ":" not in r["model"].split(":", 1)[1]
               for r in results):
            out += ["Models listed without a pretrained tag had random weights: their numbers only "
                    "show that the pipeline runs.", ""]
        if "recall_vs_complexity" in plots:
            out += [f"![Recall@1 against complexity]({plots['recall_vs_complexity']})", ""]
    crop = crop_markdown(manifest)
    if crop:
        out += ["## Validity at the crop", "", crop, ""]
    out += ["## How it was made", "",
            "Each stage records its config, seed, library versions and the SHA-256 of its inputs in "
            "`manifest.json`; the same inputs and seed give byte-identical files.", "",
            _manifest_markdown(manifest, config.max_manifest_lines), "",
            "## Files", "",
            "- `productivity/{atom,negate,swap}/prod_vg_hard_negs_{type}_complexity_{n}.csv`",
            "- `systematicity/syst_vg_hard_negs_{seen,unseen}_compounds_in_{corpus}.csv`",
            "- lists of negatives are Python literals (read them with `ast.literal_eval`); "
            "`hf/` holds the same rows as parquet for `datasets.load_dataset`.", "",
            "## Known limits", ""]
    out += [f"- {limit}" for limit in _limits(sizes, audit)]
    out += ["", "## Licence", "",
            "Visual Genome annotations are CC BY 4.0; images are not redistributed here "
            "(look them up as `{image_id}.jpg` in `VG_100K/` or `VG_100K_2/`).", "",
            "## Citation", "", "Cite CREPE, whose benchmark this regenerates, and Visual Genome, its source:", "",
            "```bibtex", CITATIONS, "```", ""]
    return "\n".join(out)


#: CREPE's and Visual Genome's BibTeX entries.
CITATIONS = """@inproceedings{ma2023crepe,
  title     = {{CREPE}: Can Vision-Language Foundation Models Reason Compositionally?},
  author    = {Ma, Zixian and Hong, Jerry and Gul, Mustafa Omer and Gandhi, Mona and Gao, Irena and Krishna, Ranjay},
  booktitle = {Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
  pages     = {10910--10921},
  year      = {2023}
}
@article{krishna2017visual,
  title   = {Visual {Genome}: Connecting Language and Vision Using Crowdsourced Dense Image Annotations},
  author  = {Krishna, Ranjay and Zhu, Yuke and Groth, Oliver and Johnson, Justin and Hata, Kenji and Kravitz, Joshua
             and Chen, Stephanie and Kalantidis, Yannis and Li, Li-Jia and Shamma, David A. and Bernstein, Michael S.
             and Fei-Fei, Li},
  journal = {International Journal of Computer Vision},
  volume  = {123},
  number  = {1},
  pages   = {32--73},
  year    = {2017}
}"""


def write_card(bench_dir, config: CardConfig = CardConfig(), *, audit: dict | None = None,
               audit_table: str | None = None, results: list[dict] = ()) -> Card:
    """Write the card and its plots into *bench_dir*; returns what was written."""
    bench_dir = Path(bench_dir)
    sizes = dataset_sizes(bench_dir)
    manifest = read_manifest(bench_dir)
    plots, written = {}, []
    for name, plot in PLOTS.items():
        fig = plot(sizes, audit, list(results))
        if fig is None:
            continue
        relative = f"{config.plots_folder}/{name}.png"
        save_figure(fig, bench_dir / relative, config.dpi)
        plots[name] = relative
        written.append(bench_dir / relative)
    text = card_markdown(config, sizes, audit, audit_table, manifest, list(results), plots)
    path = bench_dir / config.file_name
    write_text_atomic(path, text)
    log.info("wrote the card %s with %d plots", path, len(written))
    return Card(path, tuple(written), text)
