"""Fluent captions and negatives from any OpenAI-compatible LLM endpoint.

CREPE turned its larger subgraphs into captions with GPT-3. This module sends
few-shot prompts (``templates/prompts/*.yaml``) to a completions or chat
endpoint (OpenAI, vLLM, a llama.cpp server) through the ``openai`` package and
never lets a bad completion into the benchmark:

* requests run concurrently, at most ``max_concurrency`` at a time; 429, 5xx,
  timeouts and dropped connections are retried with exponential backoff and
  seeded jitter, honouring ``Retry-After``; a request that still fails is
  recorded for its item, which falls back to its template text;
* every response is committed to a SQLite cache (:mod:`crepe_gen.llm.cache`)
  the moment it arrives, so a rerun makes no request twice and a killed run
  resumes where it stopped;
* every completion is checked by :mod:`crepe_gen.llm.validate`; a failing one
  is asked again (another seed, a warmer temperature) up to ``max_attempts``
  times, then the item keeps its template text;
* a budget (requests and/or tokens) stops spending; :func:`estimate` says what
  a run would spend without spending anything.

The API key is read from the environment variable named by
``LLMConfig.api_key_env`` when the client is made, and is never stored in the
config, the cache, the manifest or a log.

Examples
--------
>>> config = LLMConfig(base_url="http://127.0.0.1:8000/v1", model="gemma-3-270m")
>>> config.endpoint, config.max_concurrency
('completions', 8)
>>> prompt = load_prompt("caption")
>>> text = prompt.render("completions", {"facts": "red car", "draft": "red car."})
>>> text.endswith("Facts: red car\\nDraft: red car.\\nCaption:")
True
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import email.utils
import hashlib
import logging
import math
import os
import random
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from ..core.errors import ConfigError
from ..core.config import read_yaml_mapping
from .cache import ResponseCache, canonical_json, request_key
from .validate import Expectation, Scene, check_text, object_words

log = logging.getLogger(__name__)

#: Sent when the key variable is unset: local servers (llama.cpp, vLLM) ignore it.
_NO_KEY = "unused"
#: A Retry-After longer than this is cut to it (a misconfigured server should not stall a run).
_MAX_RETRY_AFTER = 300.0
#: Rough characters per token, for budgets and dry-run estimates.
CHARS_PER_TOKEN = 4


# ----------------------------------------------------------------------------- config


@dataclass(frozen=True)
class LLMConfig:
    """Everything that decides which requests are made and how.

    ``max_retries``: retries of one request after 429/5xx/timeout/connection
    errors. ``max_attempts``: completions asked per item before it falls back
    to its template text (attempt ``k`` uses seed ``seed + k`` and, after the
    first, ``retry_temperature``). ``max_requests`` and ``max_total_tokens``
    (prompt plus completion) bound the spending; ``None`` is unbounded.
    """

    base_url: str
    model: str
    endpoint: str = "completions"
    temperature: float = 0.0
    retry_temperature: float = 0.7
    max_tokens: int = 64
    max_concurrency: int = 8
    max_retries: int = 5
    max_attempts: int = 3
    timeout: float = 60.0
    max_requests: int | None = None
    max_total_tokens: int | None = None
    api_key_env: str = "OPENAI_API_KEY"
    cache_path: str | None = None
    seed: int = 0
    backoff_base: float = 0.5
    backoff_max: float = 30.0

    def __post_init__(self):
        if self.endpoint not in ENDPOINTS:
            raise ConfigError(f"llm endpoint {self.endpoint!r}: expected one of {sorted(ENDPOINTS)}")
        if not self.base_url or not self.model:
            raise ConfigError("llm: base_url and model are required")
        for name in ("max_tokens", "max_concurrency", "max_attempts"):
            if getattr(self, name) < 1:
                raise ConfigError(f"llm {name} must be at least 1, got {getattr(self, name)}")
        for name in ("max_retries", "timeout", "backoff_base", "backoff_max", "temperature"):
            if getattr(self, name) < 0:
                raise ConfigError(f"llm {name} must not be negative, got {getattr(self, name)}")

    @classmethod
    def from_mapping(cls, data: dict, source: str = "llm config") -> "LLMConfig":
        """From a dict (a YAML file's ``llm`` section); unknown keys are errors.

        >>> LLMConfig.from_mapping({"base_url": "http://h/v1", "model": "m", "timeout": 5}).timeout
        5
        """
        if "api_key" in data:  # the message must not echo the value
            raise ConfigError(f"{source}: put the key in an environment variable named by api_key_env")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{source}: unknown llm option(s) {unknown}; known: {sorted(known)}")
        try:
            return cls(**data)
        except TypeError as error:
            raise ConfigError(f"{source}: {error}") from None

    @classmethod
    def from_yaml(cls, path, **overrides) -> "LLMConfig":
        """Read a YAML file (top level or its ``llm`` section); *overrides* that
        are not None win (CLI flags)."""
        data = read_yaml_mapping(path, what="llm config")
        data = dict(data.get("llm", data))
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_mapping(data, str(path))

    def api_key(self) -> str:
        return os.environ.get(self.api_key_env) or _NO_KEY

    def to_manifest(self) -> dict:
        """The config as recorded in manifests (it never holds the key itself)."""
        return dataclasses.asdict(self)


# ----------------------------------------------------------------------------- prompts


@dataclass(frozen=True)
class PromptTemplate:
    """A few-shot prompt: a completions form and a chat form over the same examples."""

    name: str
    completion: dict
    chat: dict
    examples: tuple
    stop: tuple[str, ...]
    digest: str

    @classmethod
    def from_yaml_text(cls, text: str, source: str) -> "PromptTemplate":
        try:
            data = yaml.safe_load(text)
            template = cls(name=data["name"], completion=dict(data["completion"]),
                           chat=dict(data["chat"]), examples=tuple(dict(e) for e in data["examples"]),
                           stop=tuple(data.get("stop", ("\n",))),
                           digest=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16])
            for example in template.examples:  # fail at load time, not mid-run
                template.completion["example"].format(**example)
        except (yaml.YAMLError, KeyError, TypeError, AttributeError, IndexError) as error:
            raise ConfigError(f"{source}: bad prompt template ({type(error).__name__}: {error})") from None
        return template

    def render(self, endpoint: str, fields: dict):
        """The prompt for *endpoint*: a string (completions) or a message list (chat)."""
        return ENDPOINTS[endpoint].render(self, fields)


PROMPTS = ("caption", "negative_atom", "negative_swap", "negative_negate")


def load_prompt(name: str, prompts_dir=None) -> PromptTemplate:
    """Load ``NAME.yaml`` from *prompts_dir* or the bundled ``templates/prompts``."""
    if prompts_dir is None:
        path = resources.files("crepe_gen") / "templates" / "prompts" / f"{name}.yaml"
    else:
        path = Path(prompts_dir) / f"{name}.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: prompt template not found") from None
    return PromptTemplate.from_yaml_text(text, str(path))


# ----------------------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class Reply:
    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class CompletionsEndpoint:
    """``/v1/completions``: few-shot text that a base model continues."""

    @staticmethod
    def render(template: PromptTemplate, fields: dict) -> str:
        shots = "".join(template.completion["example"].format(**e) for e in template.examples)
        return template.completion["header"].strip() + "\n\n" + shots + template.completion["query"].format(**fields)

    @staticmethod
    async def call(client, body: dict, timeout: float) -> Reply:
        response = await _post(client, "/completions", body, timeout)
        choice = (response.get("choices") or [{}])[0]
        return _reply(choice.get("text"), choice, response)


class ChatEndpoint:
    """``/v1/chat/completions``: the examples become earlier turns of the chat."""

    @staticmethod
    def render(template: PromptTemplate, fields: dict) -> list[dict]:
        messages = [{"role": "system", "content": template.chat["system"].strip()}]
        for example in template.examples:
            messages.append({"role": "user", "content": template.chat["user"].format(**example)})
            messages.append({"role": "assistant", "content": example["output"]})
        messages.append({"role": "user", "content": template.chat["user"].format(**fields)})
        return messages

    @staticmethod
    async def call(client, body: dict, timeout: float) -> Reply:
        body = dict(body)
        body["messages"] = body.pop("prompt")
        response = await _post(client, "/chat/completions", body, timeout)
        choice = (response.get("choices") or [{}])[0]
        return _reply((choice.get("message") or {}).get("content"), choice, response)


async def _post(client, path: str, body: dict, timeout: float) -> dict:
    """POST through the ``openai`` client (its auth and error types: 429 is
    ``RateLimitError`` with the response's headers, ...) and return the JSON as
    a dict; typed response models cost more CPU than the request itself."""
    response = await client.post(path, cast_to=object, body=body, options={"timeout": timeout})
    if not isinstance(response, dict):
        raise ValueError(f"{path}: the server answered {type(response).__name__}, not a JSON object")
    return response


def _reply(text, choice: dict, response: dict) -> Reply:
    usage = response.get("usage") or {}
    return Reply(text=text or "", finish_reason=choice.get("finish_reason"),
                 prompt_tokens=int(usage.get("prompt_tokens") or 0),
                 completion_tokens=int(usage.get("completion_tokens") or 0))


#: Endpoint kinds by CLI choice.
ENDPOINTS = {"completions": CompletionsEndpoint, "chat": ChatEndpoint}


# ----------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Request:
    """One request body and its cache key."""

    key: str
    body: dict

    @classmethod
    def make(cls, config: LLMConfig, prompt, stop, attempt: int = 0) -> "Request":
        body = {"model": config.model, "prompt": prompt, "max_tokens": config.max_tokens,
                "temperature": config.temperature if attempt == 0 else config.retry_temperature,
                "seed": config.seed + attempt, "stop": list(stop)}
        return cls(request_key({"endpoint": config.endpoint, **body}), body)

    def estimated_tokens(self) -> int:
        prompt = self.body["prompt"]
        chars = len(prompt) if isinstance(prompt, str) else sum(len(m["content"]) for m in prompt)
        return math.ceil(chars / CHARS_PER_TOKEN) + self.body["max_tokens"]


@dataclass(frozen=True)
class Outcome:
    """What became of one request: ``status`` is ``ok`` (answered now),
    ``cached``, ``failed`` (retries exhausted or a permanent error) or
    ``budget`` (not sent: the budget was spent)."""

    status: str
    reply: Reply | None = None
    error: str = ""
    tries: int = 0


@dataclass
class Spending:
    """Counts shared by all requests of a run, and the budget check."""

    requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reserved_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def reserve(self, config: LLMConfig, request: Request) -> bool:
        if config.max_requests is not None and self.requests >= config.max_requests:
            return False
        estimate = request.estimated_tokens()
        if config.max_total_tokens is not None and \
                self.tokens + self.reserved_tokens + estimate > config.max_total_tokens:
            return False
        self.requests += 1
        self.reserved_tokens += estimate
        return True

    def settle(self, request: Request, reply: Reply | None) -> None:
        self.reserved_tokens -= request.estimated_tokens()
        if reply is not None:
            self.prompt_tokens += reply.prompt_tokens
            self.completion_tokens += reply.completion_tokens


def retry_delay(config: LLMConfig, key: str, try_index: int, retry_after: float | None) -> float:
    """Seconds to wait before retry *try_index* (0-based) of request *key*.

    Exponential backoff with jitter drawn from a generator seeded by the config
    seed, the request and the try, so a rerun waits the same; a server's
    ``Retry-After`` is a lower bound.

    >>> config = LLMConfig(base_url="http://h/v1", model="m", backoff_base=1.0)
    >>> retry_delay(config, "k", 0, None) == retry_delay(config, "k", 0, None)
    True
    >>> 0.5 <= retry_delay(config, "k", 0, None) <= 1.0, retry_delay(config, "k", 0, 7.0)
    (True, 7.0)
    """
    rng = random.Random(f"{config.seed}:{key}:{try_index}")
    backoff = min(config.backoff_max, config.backoff_base * 2 ** try_index) * (0.5 + rng.random() / 2)
    if retry_after is not None:
        return max(backoff, min(retry_after, _MAX_RETRY_AFTER))
    return backoff


def parse_retry_after(headers) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date).

    >>> parse_retry_after({"retry-after": "2"}), parse_retry_after({}), parse_retry_after({"retry-after-ms": "250"})
    (2.0, None, 0.25)
    """
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, when.timestamp() - time.time()) if when else None


def _is_retryable(error) -> bool:
    import openai

    if isinstance(error, (openai.APITimeoutError, openai.APIConnectionError, asyncio.TimeoutError)):
        return True
    if isinstance(error, openai.APIStatusError):
        return error.status_code in (408, 409, 429) or error.status_code >= 500
    return False


def make_client(config: LLMConfig):
    """An ``openai.AsyncOpenAI`` for *config*, with its own retries turned off."""
    import openai

    return openai.AsyncOpenAI(base_url=config.base_url, api_key=config.api_key(),
                              max_retries=0, timeout=config.timeout)


class LLMClient:
    """Sends requests with bounded concurrency, retries and the cache.

    Use as ``async with LLMClient(config, cache) as client: await client.run(requests)``.
    *cache* may be None (nothing persisted). *client* replaces the ``openai``
    client (tests of faults the HTTP layer cannot produce).
    """

    def __init__(self, config: LLMConfig, cache: ResponseCache | None = None, *, client=None):
        self.config = config
        self.cache = cache
        self.spending = Spending()
        self.cache_hits = 0
        self._client = client
        self._endpoint = ENDPOINTS[config.endpoint]

    async def __aenter__(self) -> "LLMClient":
        if self._client is None:
            self._client = make_client(self.config)
        return self

    async def __aexit__(self, *exc) -> None:
        close = getattr(self._client, "close", None)
        if close is not None:
            await close()

    async def run(self, requests: list[Request], *, progress: bool = False,
                  description: str = "LLM requests") -> dict[str, Outcome]:
        """``{request key: Outcome}`` for every request (duplicates are sent once).

        Requests start in the given order: servers that reuse the computation
        of a shared prompt prefix (llama.cpp) gain when requests of one
        template come together.
        """
        unique = {r.key: r for r in requests}
        outcomes: dict[str, Outcome] = {}
        if self.cache is not None:
            for key, reply in self.cache.get_many(unique).items():
                outcomes[key] = Outcome("cached", Reply(**reply))
            self.cache_hits += len(outcomes)
        pending = [request for key, request in unique.items() if key not in outcomes]
        if not pending:
            return outcomes
        from tqdm.auto import tqdm

        semaphore = asyncio.Semaphore(self.config.max_concurrency)
        with tqdm(total=len(pending), desc=description, unit="req", disable=not progress) as bar:
            async def one(request: Request) -> None:
                async with semaphore:
                    outcomes[request.key] = await self._send(request)
                bar.update()

            await asyncio.gather(*(one(r) for r in pending))
        return outcomes

    async def _send(self, request: Request) -> Outcome:
        config = self.config
        last_error = ""
        for try_index in range(config.max_retries + 1):
            if not self.spending.reserve(config, request):
                return Outcome("budget", error="budget spent", tries=try_index)
            reply = None
            try:
                reply = await self._endpoint.call(self._client, request.body, config.timeout)
            except Exception as error:  # noqa: BLE001 - every failure is recorded below
                last_error = _describe(error)
                if not _is_retryable(error):
                    log.warning("request %s failed for good: %s", request.key[:12], last_error)
                    return Outcome("failed", error=last_error, tries=try_index + 1)
                if try_index == config.max_retries:
                    break
                response = getattr(error, "response", None)
                delay = retry_delay(config, request.key, try_index,
                                    parse_retry_after(response.headers if response is not None else None))
                self.spending.retries += 1
                log.info("request %s: %s; retry %d in %.2fs", request.key[:12], last_error,
                         try_index + 1, delay)
                await asyncio.sleep(delay)
                continue
            finally:
                self.spending.settle(request, reply)
            if self.cache is not None:
                self.cache.put(request.key, reply.to_dict(), model=config.model)
            return Outcome("ok", reply, tries=try_index + 1)
        log.warning("request %s failed after %d tries: %s", request.key[:12],
                    config.max_retries + 1, last_error)
        return Outcome("failed", error=last_error, tries=config.max_retries + 1)


def _describe(error: Exception) -> str:
    status = getattr(error, "status_code", None)
    name = type(error).__name__
    return f"{name} (HTTP {status})" if status else name


# ----------------------------------------------------------------------------- texts


@dataclass(frozen=True)
class TextTask:
    """One text to make fluent.

    ``item_id``: a stable id (results come back sorted by it). ``prompt``: a
    prompt template name (:data:`PROMPTS`). ``fields``: the template's fields
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
    return hashlib.sha256(canonical_json(prompt).encode("utf-8")).hexdigest()[:16]


def generate_texts(tasks, config: LLMConfig, vocabulary: frozenset[str], *, attributes=frozenset(),
                   canon=None, prompts_dir=None, client=None, progress: bool = False) -> TextRun:
    """Ask the LLM for every task, validate, retry, fall back; see :class:`TextRun`.

    Attempts run in rounds (every pending task's attempt 0, then attempt 1 of
    those that failed validation, ...) so that the set of requests, and hence
    the output given the cache, does not depend on timing.
    """
    return asyncio.run(agenerate_texts(tasks, config, vocabulary, attributes=attributes, canon=canon,
                                       prompts_dir=prompts_dir, client=client, progress=progress))


async def agenerate_texts(tasks, config: LLMConfig, vocabulary, *, attributes=frozenset(), canon=None,
                          prompts_dir=None, client=None, progress: bool = False) -> TextRun:
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
                    done = _judge(task, outcome, attempt, config, vocabulary, attributes, canon,
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


def _judge(task: TextTask, outcome: Outcome, attempt: int, config: LLMConfig, vocabulary, attributes, canon,
           prompt_hash: str, failures: list[str], run: TextRun) -> bool:
    """Record the result of *task* if this outcome settles it; False: ask again."""
    if outcome.status in ("failed", "budget"):
        reason = "request_failed" if outcome.status == "failed" else "budget"
        if outcome.error:
            run.request_errors[outcome.error] += 1
        run.results[task.item_id] = TextResult(task.item_id, task.fallback, "template", config.model,
                                               prompt_hash, attempt + 1, reason, tuple(failures))
        return True
    text = _clean(outcome.reply.text)
    problems = check_text(text, task.expect, vocabulary, attributes=attributes, canon=canon,
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


# ----------------------------------------------------------------------------- dry run


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

    >>> from crepe_gen.llm.validate import Scene
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


# ----------------------------------------------------------------------------- CLI flags

#: ``--llm-*`` flags: (LLMConfig field, type, help).
_FLAGS = (
    ("base_url", str, "OpenAI-compatible API base URL (for example http://127.0.0.1:8000/v1); "
                      "turns the LLM pass on"),
    ("model", str, "model name sent to the server"),
    ("endpoint", str, f"endpoint kind: {' or '.join(ENDPOINTS)} (default completions, for base models)"),
    ("temperature", float, "sampling temperature of the first attempt (default 0)"),
    ("max_tokens", int, "most tokens per completion (default 64)"),
    ("max_concurrency", int, "most requests in flight (default 8)"),
    ("max_retries", int, "retries per request on 429, 5xx and timeouts (default 5)"),
    ("max_attempts", int, "completions per text before keeping the template text (default 3)"),
    ("timeout", float, "seconds per request (default 60)"),
    ("max_requests", int, "budget: most requests to send"),
    ("max_total_tokens", int, "budget: most prompt plus completion tokens"),
    ("api_key_env", str, "environment variable holding the API key (default OPENAI_API_KEY)"),
    ("cache_path", str, "SQLite response cache (default OUT/llm_cache.sqlite)"),
)


def add_llm_arguments(parser) -> None:
    """Add ``--llm-config``, the ``--llm-*`` flags and ``--dry-run`` to *parser*."""
    group = parser.add_argument_group("LLM captions (OpenAI-compatible endpoint)")
    group.add_argument("--llm-config", metavar="YAML", help="LLM options from a YAML file; flags win")
    for name, kind, help_text in _FLAGS:
        flag = "--llm-" + name.replace("_", "-").replace("-path", "")
        group.add_argument(flag, dest=f"llm_{name}", type=kind, default=None, help=help_text,
                           **({"choices": sorted(ENDPOINTS)} if name == "endpoint" else {}))
    group.add_argument("--dry-run", action="store_true",
                       help="print how many LLM requests and tokens the run would spend; spend nothing")


def config_from_args(args, *, default_cache=None, seed: int | None = None) -> LLMConfig | None:
    """The :class:`LLMConfig` the flags describe, or None when no LLM is asked for.

    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_llm_arguments(parser)
    >>> args = parser.parse_args(["--llm-base-url", "http://h/v1", "--llm-model", "m",
    ...                           "--llm-max-requests", "10"])
    >>> config = config_from_args(args, default_cache="out/llm.sqlite")
    >>> config.max_requests, config.cache_path
    (10, 'out/llm.sqlite')
    >>> config_from_args(parser.parse_args([])) is None
    True
    """
    values = {name: getattr(args, f"llm_{name}", None) for name, _, _ in _FLAGS}
    if seed is not None:
        values["seed"] = seed
    config_file = getattr(args, "llm_config", None)
    if config_file:
        config = LLMConfig.from_yaml(config_file, **values)
    elif values["base_url"] is None:
        if values["model"] is not None:
            raise ConfigError("--llm-model needs --llm-base-url (or --llm-config)")
        return None
    else:
        config = LLMConfig.from_mapping({k: v for k, v in values.items() if v is not None}, "command line")
    if config.cache_path is None and default_cache is not None:
        config = dataclasses.replace(config, cache_path=str(default_cache))
    return config


# ----------------------------------------------------------------------------- benchmark rows

#: Prompt template by the kind of text: the positive caption or a foil type.
ROW_PROMPTS = {"caption": "caption", "atom": "negative_atom", "swap": "negative_swap",
               "negate": "negative_negate"}


def row_tasks(row_id: str, foil_type: str, caption: str, provenance: dict) -> list[TextTask]:
    """The texts of one productivity row (positive first, then each foil), from
    the structured scenes and edits its provenance holds.

    >>> provenance = {"positive": {"scene": {"objects": [{"id": 1, "name": "cup", "attributes": ["red"]}],
    ...                                      "relations": [], "absent": []}},
    ...               "negatives": [{"caption": "A blue cup.", "edit": {"old": ["red"], "new": ["blue"]},
    ...                              "scene": {"objects": [{"id": 1, "name": "cup", "attributes": ["blue"]}],
    ...                                        "relations": [], "absent": []}}]}
    >>> [(t.item_id, t.prompt, t.fields["facts"], t.expect.removed)
    ...  for t in row_tasks("atom/4/0", "atom", "A red cup.", provenance)]
    [('atom/4/0/0', 'caption', 'red cup', ()), ('atom/4/0/1', 'negative_atom', 'blue cup', ('red',))]
    """
    positive = Scene.from_dict(provenance["positive"]["scene"])
    tasks = [TextTask(f"{row_id}/0", ROW_PROMPTS["caption"], {"facts": positive.facts(), "draft": caption},
                      caption, Expectation(positive, "caption"))]
    for index, negative in enumerate(provenance["negatives"], 1):
        scene = Scene.from_dict(negative["scene"])
        edit = negative.get("edit", {})
        removed = tuple(w for w in edit.get("old", ()) if w not in edit.get("new", ())) \
            if foil_type == "atom" else ()
        tasks.append(TextTask(f"{row_id}/{index}", ROW_PROMPTS[foil_type],
                              {"facts": scene.facts(), "draft": negative["caption"]}, negative["caption"],
                              Expectation(scene, foil_type, removed=removed, positive=caption)))
    return tasks


def rewrite_rows(rows, config: LLMConfig, vocabulary: frozenset[str], *, attributes=frozenset(),
                 progress: bool = False, client=None) -> tuple[list, dict]:
    """Fluent texts for whole benchmark rows; returns ``(rows, manifest section)``.

    *rows*: ``(row_id, foil_type, csv_row, provenance)`` with ``csv_row`` in the
    released layout (``caption``, ``hard_negs``) and ``provenance`` holding the
    positive's and each foil's scene (see :mod:`crepe_gen.productivity.stage`).

    A row takes the LLM's texts only if its positive AND every foil passed
    validation and all of them still read differently; otherwise the whole
    row keeps its template texts. Mixing the two would hand text-only models a
    cue (the fluent candidate is the positive). Each row's provenance gets an
    ``llm`` entry: source, model, prompt hashes, and why a row fell back.
    """
    from ..language.names import caption_key

    rows = list(rows)
    tasks_by_row = {row_id: row_tasks(row_id, foil_type, csv_row["caption"], provenance)
                    for row_id, foil_type, csv_row, provenance in rows}
    run = generate_texts([t for tasks in tasks_by_row.values() for t in tasks], config, vocabulary,
                         attributes=attributes, progress=progress, client=client)
    row_outcomes: collections.Counter = collections.Counter()
    rewritten = []
    for row_id, foil_type, csv_row, provenance in rows:
        results = [run.results[t.item_id] for t in tasks_by_row[row_id]]
        texts = [r.text for r in results]
        fallback = next((r for r in results if r.source != "llm"), None)
        if fallback is not None:
            reason = fallback.reason
        elif len({caption_key(t) for t in texts}) < len(texts):
            reason = "duplicate_in_row"
        else:
            reason = ""
        entry = {"source": "template" if reason else "llm", "model": config.model,
                 "prompt_hashes": [r.prompt_hash for r in results],
                 "text_sources": [r.source for r in results]}
        if reason:
            entry["fallback_reason"] = reason
            row_outcomes[f"template_{reason}"] += 1
        else:
            row_outcomes["llm"] += 1
            csv_row = {**csv_row, "caption": texts[0], "hard_negs": texts[1:]}
            provenance = {**provenance, "template_texts": [t.fallback for t in tasks_by_row[row_id]]}
        rewritten.append((row_id, foil_type, csv_row, {**provenance, "llm": entry}))
    section = run.manifest(config)
    section["texts"] = section.pop("outcomes")
    section["rows"] = dict(sorted(row_outcomes.items()))
    return rewritten, section


def row_estimate(rows, config: LLMConfig) -> Estimate:
    """:func:`estimate` for :func:`rewrite_rows`' input (the ``--dry-run`` figures)."""
    return estimate([t for row_id, foil_type, csv_row, provenance in rows
                     for t in row_tasks(row_id, foil_type, csv_row["caption"], provenance)], config)


def rewrite_cells(cells: dict, config: LLMConfig, lexicon, *, progress: bool = False,
                  client=None) -> tuple[dict, dict]:
    """:func:`rewrite_rows` over the productivity stage's ``{(foil type, n): [(csv row,
    provenance), ...]}``; the object and attribute vocabularies come from *lexicon*
    (:class:`crepe_gen.language.lexicon.Lexicon`). Returns the cells in the same shape and
    the ``llm`` manifest section."""
    rows = [(f"{foil_type}/{n}/{index}", foil_type, csv_row, provenance)
            for (foil_type, n), kept in sorted(cells.items())
            for index, (csv_row, provenance) in enumerate(kept)]
    rewritten, section = rewrite_rows(rows, config, object_words(lexicon.object_counts),
                                      attributes=object_words(lexicon.attribute_counts),
                                      progress=progress, client=client)
    by_id = {row_id: (csv_row, provenance) for row_id, _, csv_row, provenance in rewritten}
    return ({(foil_type, n): [by_id[f"{foil_type}/{n}/{index}"] for index in range(len(kept))]
             for (foil_type, n), kept in sorted(cells.items())}, section)


def cells_estimate(cells: dict, config: LLMConfig) -> Estimate:
    """What :func:`rewrite_cells` would spend (``--dry-run``)."""
    return row_estimate([(f"{t}/{n}/{i}", t, csv_row, provenance) for (t, n), kept in sorted(cells.items())
                         for i, (csv_row, provenance) in enumerate(kept)], config)
