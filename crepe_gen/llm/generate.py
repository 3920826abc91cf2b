"""Fluent texts with validation: :class:`TextTask` (a text to make fluent and
what it must state), :class:`TextResult`, :class:`TextRun` (results and the
manifest counts) and :func:`generate_texts`.

A bad completion never reaches the benchmark: every completion is checked by
:func:`crepe_gen.llm.validate.check_text`; a failing one is asked again
(another seed, a warmer temperature) up to ``max_attempts`` times, then the
item keeps its template text, as it does when its request fails or the budget
is spent.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from dataclasses import dataclass, field

from ..core.fingerprint import fingerprint
from .cache import ResponseCache
from .client import LLMClient, Outcome, Request
from .config import LLMConfig
from .prompts import load_prompt
from .validate import Expectation, check_text

__all__ = ["TextResult", "TextRun", "TextTask", "agenerate_texts", "generate_texts"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextTask:
    """One text to make fluent.

    ``item_id``: a stable id (results come back sorted by it). ``prompt``: a
    prompt template name (:data:`~crepe_gen.llm.prompts.PROMPTS`). ``fields``: the template's fields
    (``facts``, ``draft``). ``fallback``: the template text kept when the LLM
    fails. ``expect``: what the text must state (:mod:`crepe_gen.llm.validate`).
    """

    item_id: str
    prompt: str
    fields: dict
    fallback: str
    expect: Expectation


@dataclass(frozen=True)
class TextResult:
    """The text chosen for a task and where it came from.

    ``source`` is ``"llm"`` or ``"template"``; ``reason`` says why a template
    text was kept (``validation``, ``request_failed``, ``budget``);
    ``failures`` lists the validation failures of each rejected completion.
    """

    item_id: str
    text: str
    source: str
    model: str
    prompt_hash: str
    attempts: int
    reason: str = ""
    failures: tuple[str, ...] = ()

    def provenance(self) -> dict:
        found = {"source": self.source, "model": self.model, "prompt_hash": self.prompt_hash,
                 "attempts": self.attempts}
        if self.reason:
            found["fallback_reason"] = self.reason
        return found


@dataclass
class TextRun:
    """Results by item id plus the counts recorded in the manifest."""

    results: dict[str, TextResult] = field(default_factory=dict)
    outcomes: collections.Counter = field(default_factory=collections.Counter)
    validation_failures: collections.Counter = field(default_factory=collections.Counter)
    request_errors: collections.Counter = field(default_factory=collections.Counter)
    requests: int = 0
    retries: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompts: dict = field(default_factory=dict)

    def manifest(self, config: LLMConfig) -> dict:
        return {"config": config.to_manifest(), "prompts": dict(sorted(self.prompts.items())),
                "outcomes": dict(sorted(self.outcomes.items())),
                "validation_failures": dict(sorted(self.validation_failures.items())),
                "request_errors": dict(sorted(self.request_errors.items())),
                "requests": self.requests, "retries": self.retries, "cache_hits": self.cache_hits,
                "tokens": {"prompt": self.prompt_tokens, "completion": self.completion_tokens}}


def _prompt_hash(prompt) -> str:
    return fingerprint(prompt, length=16)


def generate_texts(tasks, config: LLMConfig, object_words: frozenset[str], *, attribute_words=frozenset(),
                   canon=None, prompts_dir=None, client=None, progress: bool = False) -> TextRun:
    """Ask the LLM for every task, validate, retry, fall back.

    Attempts run in rounds (every pending task's attempt 0, then attempt 1 of
    those that failed validation, ...) so that the set of requests, and hence
    the output given the cache, does not depend on timing.

    Parameters
    ----------
    tasks : iterable of TextTask
        The texts to make fluent.
    config : LLMConfig
        Endpoint, sampling, retries, budget and cache file.
    object_words, attribute_words : frozenset of str
        Object names and attribute words a completion may not add
        (:func:`crepe_gen.llm.validate.check_text`).
    canon : Canonicalizer, optional
        Object-name aliases for validation.
    prompts_dir : path, optional
        Folder of prompt templates (default: the bundled ones).
    client : optional
        Replaces the ``openai`` client (tests).
    progress : bool
        Show progress bars.

    Returns
    -------
    TextRun
        A :class:`TextResult` per task (sorted by item id) and the manifest counts.
    """
    return asyncio.run(agenerate_texts(tasks, config, object_words, attribute_words=attribute_words,
                                       canon=canon, prompts_dir=prompts_dir, client=client, progress=progress))


async def agenerate_texts(tasks, config: LLMConfig, object_words, *, attribute_words=frozenset(),
                          canon=None, prompts_dir=None, client=None, progress: bool = False) -> TextRun:
    """:func:`generate_texts` inside a running event loop."""
    tasks = sorted(tasks, key=lambda t: (t.prompt, t.item_id))  # one template's requests together
    templates = {name: load_prompt(name, prompts_dir) for name in sorted({t.prompt for t in tasks})}
    run = TextRun(prompts={name: t.digest for name, t in templates.items()})
    rendered = {t.item_id: templates[t.prompt].render(config.endpoint, t.fields) for t in tasks}
    prompt_hashes = {item_id: _prompt_hash(prompt) for item_id, prompt in rendered.items()}
    failures: dict[str, list[str]] = {t.item_id: [] for t in tasks}
    cache = ResponseCache(config.cache_path) if config.cache_path else None
    try:
        async with LLMClient(config, cache, client=client) as llm:
            pending = tasks
            for attempt in range(config.max_attempts):
                if not pending:
                    break
                requests = {t.item_id: Request.make(config, rendered[t.item_id], templates[t.prompt].stop,
                                                    attempt) for t in pending}
                outcomes = await llm.run(list(requests.values()), progress=progress,
                                         description=f"LLM attempt {attempt + 1}")
                still_pending = []
                for task in pending:
                    outcome = outcomes[requests[task.item_id].key]
                    done = _judge(task, outcome, attempt, config, object_words, attribute_words, canon,
                                  prompt_hashes[task.item_id], failures[task.item_id], run)
                    if not done:
                        still_pending.append(task)
                pending = still_pending
            for task in pending:
                run.results[task.item_id] = TextResult(
                    task.item_id, task.fallback, "template", config.model, prompt_hashes[task.item_id],
                    config.max_attempts, "validation", tuple(failures[task.item_id]))
            run.requests = llm.spending.requests
            run.retries = llm.spending.retries
            run.cache_hits = llm.cache_hits
            run.prompt_tokens = llm.spending.prompt_tokens
            run.completion_tokens = llm.spending.completion_tokens
    finally:
        if cache is not None:
            cache.close()
    for result in run.results.values():
        run.outcomes["llm" if result.source == "llm" else f"template_{result.reason}"] += 1
    run.results = dict(sorted(run.results.items()))
    log.info("LLM texts: %s; %d requests, %d cached", dict(run.outcomes), run.requests, run.cache_hits)
    return run


def _judge(task: TextTask, outcome: Outcome, attempt: int, config: LLMConfig, object_words, attribute_words,
           canon, prompt_hash: str, failures: list[str], run: TextRun) -> bool:
    """Record the result of *task* if this outcome settles it; False: ask again."""
    if outcome.status in ("failed", "budget"):
        reason = "request_failed" if outcome.status == "failed" else "budget"
        if outcome.error:
            run.request_errors[outcome.error] += 1
        run.results[task.item_id] = TextResult(task.item_id, task.fallback, "template", config.model,
                                               prompt_hash, attempt + 1, reason, tuple(failures))
        return True
    text = _clean(outcome.reply.text)
    problems = check_text(text, task.expect, object_words, attribute_words=attribute_words, canon=canon,
                          finish_reason=outcome.reply.finish_reason)
    if problems:
        failures.append(problems[0])
        run.validation_failures[problems[0].split(":")[0]] += 1
        return False
    run.results[task.item_id] = TextResult(task.item_id, text, "llm", config.model, prompt_hash,
                                           attempt + 1, "", tuple(failures))
    return True


def _clean(text: str) -> str:
    """The first line of a completion, stripped of quotes and spaces."""
    text = (text or "").strip().split("\n", 1)[0].strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text

