"""The dry run: what an LLM pass would spend (:class:`Estimate`,
:func:`estimate`), counted from the prompts and the cache without sending
anything."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .cache import ResponseCache
from .client import Request
from .config import LLMConfig
from .prompts import load_prompt

__all__ = ["Estimate", "estimate"]


@dataclass(frozen=True)
class Estimate:
    """What a run would spend: first-attempt requests not in the cache, their
    tokens (prompt estimated at 4 characters a token, plus ``max_tokens``), and
    the worst case if every completion failed validation."""

    tasks: int
    cached: int
    requests: int
    tokens: int
    worst_case_requests: int
    worst_case_tokens: int

    def format(self) -> str:
        return (f"{self.tasks} texts: {self.cached} answered by the cache; "
                f"{self.requests} requests, about {self.tokens:,} tokens "
                f"(at most {self.worst_case_requests} requests, about {self.worst_case_tokens:,} "
                f"tokens if every completion is rejected)")


def estimate(tasks, config: LLMConfig, *, prompts_dir=None) -> Estimate:
    """Count requests and tokens without sending anything.

    >>> from crepe_gen.llm.generate import TextTask
    >>> from crepe_gen.llm.validate import Expectation
    >>> from crepe_gen.vg.scene import Scene
    >>> scene = Scene.build({1: "car"}, [(1, "red")])
    >>> task = TextTask("0", "caption", {"facts": "red car", "draft": "red car."}, "red car.",
    ...                 Expectation(scene))
    >>> e = estimate([task], LLMConfig(base_url="http://h/v1", model="m", max_attempts=3))
    >>> e.requests, e.worst_case_requests, e.tokens > 64
    (1, 3, True)
    """
    tasks = list(tasks)
    templates = {name: load_prompt(name, prompts_dir) for name in sorted({t.prompt for t in tasks})}
    requests = {}
    for task in tasks:
        template = templates[task.prompt]
        request = Request.make(config, template.render(config.endpoint, task.fields), template.stop)
        requests[request.key] = request
    cached = 0
    if config.cache_path and Path(config.cache_path).exists():
        with ResponseCache(config.cache_path) as cache:
            cached = len(cache.get_many(requests))
    tokens_each = {k: r.estimated_tokens() for k, r in requests.items()}
    total_tokens = sum(tokens_each.values())
    new = len(requests) - cached
    new_tokens = round(total_tokens * new / len(requests)) if requests else 0
    return Estimate(tasks=len(tasks), cached=cached, requests=new, tokens=new_tokens,
                    worst_case_requests=new + len(requests) * (config.max_attempts - 1),
                    worst_case_tokens=new_tokens + total_tokens * (config.max_attempts - 1))

