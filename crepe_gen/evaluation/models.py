"""Model adapters for evaluation: one small interface, a registry keyed by name.

An adapter scores each item's candidate captions against the item's image
crop; higher is better. ``needs_images`` tells the harness whether to load
images at all (text-only baselines do not). Adapters are built from a model
spec ``ADAPTER:NAME[:PRETRAINED]`` by :func:`load_adapter`:

* ``open_clip:ViT-B-32:laion2b_s34b_b79k`` -- an open_clip model with a
  pretrained tag or a local checkpoint file; without ``PRETRAINED`` (or with
  ``none``) the weights are random (seeded), which only tests the plumbing.
* ``text:shortest``, ``text:no_negation``, ``text:lowercase``,
  ``text:constant`` -- text-only rules that never look at the image; they
  show how much of a benchmark is solvable without vision (``shortest`` and
  ``no_negation`` are the rules of :mod:`crepe_gen.evaluation.text_rules`,
  shared with the audit).
* ``text:lm:LM_SPEC`` -- a pretrained language model's log-likelihood of each
  caption (the audit's LM attacker, :mod:`crepe_gen.textonly.language_model`;
  ``LM_SPEC`` is ``gemma3-270m``, a GGUF file or ``URL,MODEL``): the most
  plausible caption wins, without looking at the image.

Examples
--------
>>> adapter = load_adapter("text:shortest")
>>> adapter.needs_images
False
>>> adapter.score(None, [["a dog", "a big dog", "a dog on a mat"]])[0].tolist()
[-5.0, -9.0, -14.0]
>>> sorted(ADAPTERS)
['open_clip', 'text']
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from ..core.errors import ConfigError
from ..bench.reader import Item
from .baselines import BASELINES, ROW_RULES

__all__ = ["Adapter", "TEXT_RULES", "TextRuleAdapter", "LanguageModelAdapter", "OpenClipAdapter", "CHECKPOINT_SUFFIXES", "ADAPTERS",
           "parse_model_spec", "load_adapter"]

log = logging.getLogger(__name__)


class Adapter(Protocol):
    """What the evaluation harness needs from a model."""

    spec: str
    needs_images: bool

    def score(self, images: Sequence | None, candidates: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Scores of each item's candidates (one float array per item)."""


# -- text-only baselines ------------------------------------------------------

def _constant(items, config) -> list[list[float]]:
    """Every candidate alike: a control that scores chance exactly (ties split)."""
    return [[0.0] * len(item.candidates) for item in items]


#: Text-only rules by name: the audit's baselines that read one row alone
#: (:data:`~crepe_gen.evaluation.baselines.ROW_RULES`), scored exactly as the
#: audit scores them, and the constant control.
TEXT_RULES: dict[str, Callable] = {**{name: BASELINES[name] for name in ROW_RULES}, "constant": _constant}


@dataclass(frozen=True)
class TextRuleAdapter:
    """A text-only baseline: scores each caption alone, ignoring the image.

    >>> TextRuleAdapter("no_negation").score(None, [["a cat", "not a cat"]])[0].tolist()
    [1.0, 0.0]
    """

    rule: str

    needs_images = False

    def __post_init__(self):
        if self.rule not in TEXT_RULES:
            raise ConfigError(f"unknown text rule {self.rule!r}; choose from {', '.join(sorted(TEXT_RULES))}")

    @property
    def spec(self) -> str:
        return f"text:{self.rule}"

    def score(self, images, candidates):
        rows = [Item("text", "text", None, 0, texts[0], tuple(texts[1:])) for texts in candidates]
        return [np.array(scores, dtype=np.float64) for scores in TEXT_RULES[self.rule](rows, None)]


@dataclass
class LanguageModelAdapter:
    """A pretrained language model's total log-likelihood of each caption (no image)."""

    lm_spec: str

    needs_images = False

    def __post_init__(self):
        self._scorer = None

    @property
    def spec(self) -> str:
        return f"text:lm:{self.lm_spec}"

    def score(self, images, candidates):
        from ..textonly.language_model import load_scorer

        if self._scorer is None:
            self._scorer = load_scorer(self.lm_spec)
        return [np.array([s.total for s in self._scorer.score(list(texts))], dtype=np.float64)
                for texts in candidates]


def _text_adapter(name: str, pretrained: str | None, **options) -> TextRuleAdapter | LanguageModelAdapter:
    if name == "lm":
        if not pretrained:
            raise ConfigError("text:lm needs a language model: text:lm:gemma3-270m, text:lm:FILE.gguf "
                              "or text:lm:URL,MODEL")
        return LanguageModelAdapter(pretrained)
    if pretrained:
        raise ConfigError(f"text:{name} takes no pretrained weights (got {pretrained!r})")
    return TextRuleAdapter(name)


# -- open_clip ------------------------------------------------------------------

CHECKPOINT_SUFFIXES = {".pt", ".pth", ".bin", ".safetensors"}


@dataclass
class OpenClipAdapter:
    """An open_clip model; cosine similarity of image and text embeddings.

    ``pretrained`` is an open_clip tag, a local checkpoint file, or None for
    random weights drawn from ``torch.manual_seed(seed)``.
    """

    model_name: str
    pretrained: str | None = None
    device: str = "cpu"
    seed: int = 0

    needs_images = True

    def __post_init__(self):
        if self.pretrained is not None and Path(self.pretrained).suffix in CHECKPOINT_SUFFIXES \
                and not Path(self.pretrained).exists():
            raise ConfigError(f"checkpoint file not found: {self.pretrained}")
        names = _open_clip_models()
        if self.model_name not in names:
            raise ConfigError(f"unknown open_clip model {self.model_name!r} ({len(names)} known; "
                              f"crepe-gen eval --list-models prints them)")
        if self.pretrained is not None and not Path(self.pretrained).exists():
            import open_clip

            tags = open_clip.list_pretrained_tags_by_model(self.model_name)
            if self.pretrained not in tags:
                raise ConfigError(f"open_clip:{self.model_name}: no pretrained weights {self.pretrained!r} "
                                  f"and no such checkpoint file (tags: {', '.join(tags) or 'none'})")
        self._model = None

    def _load(self) -> None:
        # Loaded on first use, so bad input (a missing image) fails before the slow part.
        import open_clip
        import torch

        torch.manual_seed(self.seed)
        if self.pretrained is None:
            log.warning("open_clip %s with random weights: scores mean nothing", self.model_name)
        model, _, preprocess = open_clip.create_model_and_transforms(
            self.model_name, pretrained=self.pretrained, device=self.device)
        model.eval()
        self._model = model
        self._preprocess = preprocess
        self._tokenizer = open_clip.get_tokenizer(self.model_name)
        self._torch = torch

    @property
    def spec(self) -> str:
        return f"open_clip:{self.model_name}" + (f":{self.pretrained}" if self.pretrained else "")

    def score(self, images, candidates):
        if self._model is None:
            self._load()
        torch = self._torch
        texts = [text for group in candidates for text in group]
        with torch.no_grad():
            pixels = torch.stack([self._preprocess(image) for image in images]).to(self.device)
            image_features = self._model.encode_image(pixels).float()
            text_features = self._model.encode_text(self._tokenizer(texts).to(self.device)).float()
        image_features = torch.nn.functional.normalize(image_features, dim=-1).cpu().numpy()
        text_features = torch.nn.functional.normalize(text_features, dim=-1).cpu().numpy()
        scores, start = [], 0
        for image_feature, group in zip(image_features, candidates):
            block = text_features[start:start + len(group)]
            scores.append((block @ image_feature).astype(np.float64))
            start += len(group)
        return scores


def _open_clip_adapter(name: str, pretrained: str | None, *, device: str = "cpu", seed: int = 0,
                       **options) -> OpenClipAdapter:
    return OpenClipAdapter(name, pretrained, device=device, seed=seed)


#: Adapter factories by the ``ADAPTER`` part of a model spec.
ADAPTERS: dict[str, Callable[..., Adapter]] = {
    "open_clip": _open_clip_adapter,
    "text": _text_adapter,
}


def _open_clip_models() -> list[str]:
    try:
        import open_clip
    except ImportError:
        raise ConfigError("open_clip models need the eval extra (pip install 'crepe-gen[eval]')") from None
    return open_clip.list_models()


def known_models() -> dict[str, list[str]]:
    """``{adapter: names}`` that ``ADAPTER:NAME`` accepts (open_clip only when installed)."""
    found = {"text": sorted(TEXT_RULES) + ["lm:gemma3-270m", "lm:FILE.gguf", "lm:URL,MODEL"]}
    try:
        found["open_clip"] = _open_clip_models()
    except ConfigError:
        found["open_clip"] = ["(open_clip is not installed: pip install 'crepe-gen[eval]')"]
    return found


def parse_model_spec(spec: str) -> tuple[str, str, str | None]:
    """Split ``ADAPTER:NAME[:PRETRAINED]``; ``PRETRAINED`` may hold colons.

    >>> parse_model_spec("open_clip:RN50")
    ('open_clip', 'RN50', None)
    >>> parse_model_spec("open_clip:ViT-B-32:C:/ckpt.pt")
    ('open_clip', 'ViT-B-32', 'C:/ckpt.pt')
    """
    parts = spec.split(":", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ConfigError(f"model spec {spec!r} is not ADAPTER:NAME[:PRETRAINED]")
    adapter, name = parts[0], parts[1]
    pretrained = parts[2] if len(parts) == 3 and parts[2].lower() not in {"", "none"} else None
    if adapter not in ADAPTERS:
        raise ConfigError(f"unknown model adapter {adapter!r}; choose from {', '.join(sorted(ADAPTERS))}")
    return adapter, name, pretrained


def load_adapter(spec: str, **options) -> Adapter:
    """The adapter for a model spec; ``options`` (``device``, ``seed``) go to its factory."""
    adapter, name, pretrained = parse_model_spec(spec)
    return ADAPTERS[adapter](name, pretrained, **options)
