"""Sending requests to an OpenAI-compatible endpoint: :class:`Request` (a body
and its cache key), :class:`Outcome`, the run's :class:`Spending` and budget,
retries with seeded backoff (:func:`retry_delay`, :func:`parse_retry_after`)
and :class:`LLMClient`.

Requests run concurrently, at most ``max_concurrency`` at a time; 429, 5xx,
timeouts and dropped connections are retried with exponential backoff and
seeded jitter, honouring ``Retry-After``; a request that still fails is
recorded as ``failed``. Every response is committed to the SQLite cache
(:mod:`crepe_gen.llm.cache`) the moment it arrives, so a rerun makes no request
twice and a killed run resumes where it stopped. A budget (requests and/or
tokens, :class:`~crepe_gen.llm.config.LLMConfig`) stops spending.

An endpoint that is down does not make a run last hours:
:func:`check_endpoint` finds one that nobody listens on before the run, and
the circuit breaker of :class:`LLMClient` stops a run with a
:class:`~crepe_gen.core.errors.ServiceError` once ``max_consecutive_failures``
requests in a row have failed after their retries.

Examples
--------
>>> config = LLMConfig(base_url="http://h/v1", model="m")
>>> request = Request.make(config, "Facts: red car\\nCaption:", ("\\n",))
>>> request.body["seed"], request.estimated_tokens()
(0, 70)
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import random
import socket
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

from ..core.errors import ServiceError
from .cache import ResponseCache, request_key
from .config import LLMConfig
from .endpoints import ENDPOINTS, Reply

__all__ = ["CHARS_PER_TOKEN", "LLMClient", "Outcome", "Request", "Spending", "check_endpoint", "check_url",
           "make_client", "parse_retry_after", "retry_delay"]

log = logging.getLogger(__name__)

#: A Retry-After longer than this is cut to it (a misconfigured server should not stall a run).
_MAX_RETRY_AFTER = 300.0
#: Rough characters per token, for budgets and dry-run estimates.
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Request:
    """One request body and its cache key."""

    key: str
    body: dict

    @classmethod
    def make(cls, config: LLMConfig, prompt, stop, attempt: int = 0) -> "Request":
        body = {"model": config.model, "prompt": prompt, "max_tokens": config.max_tokens,
                "temperature": config.temperature if attempt == 0 else config.retry_temperature,
                "seed": config.seed + attempt}
        if stop:  # some servers refuse an empty stop list
            body["stop"] = list(stop)
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


def check_endpoint(config: LLMConfig, timeout: float = 5.0) -> None:
    """Raise :class:`~crepe_gen.core.errors.ServiceError` unless a TCP
    connection to the endpoint's host (or to its proxy) opens within *timeout*
    seconds. Nothing is sent, so nothing is spent.

    >>> check_endpoint(LLMConfig(base_url="http://127.0.0.1:9/v1", model="m"))
    Traceback (most recent call last):
    ...
    crepe_gen.core.errors.ServiceError: http://127.0.0.1:9/v1: unreachable (connection refused); nothing was sent
    """
    check_url(config.base_url, min(timeout, config.timeout))


def check_url(base_url: str, timeout: float = 5.0) -> None:
    """:func:`check_endpoint` for any ``http(s)://`` URL (a scoring endpoint, say)."""
    url = urllib.parse.urlsplit(base_url)
    target = url
    proxy = urllib.request.getproxies().get(url.scheme)
    if proxy and not urllib.request.proxy_bypass(url.hostname):
        target = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        with socket.create_connection((target.hostname, port), timeout=timeout):
            return
    except ConnectionRefusedError:
        reason = "connection refused"
    except socket.gaierror:
        reason = f"unknown host {target.hostname!r}"
    except TimeoutError:
        reason = f"no answer within {timeout:g} s"
    except OSError as error:
        reason = error.strerror or type(error).__name__
    if target is not url:
        reason += f" at the proxy {target.hostname}:{port}"
    raise ServiceError(f"{base_url}: unreachable ({reason}); nothing was sent")


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

    The circuit breaker: once ``config.max_consecutive_failures`` requests
    in a row have failed (after their retries), :meth:`run` cancels the
    requests still pending and raises
    :class:`~crepe_gen.core.errors.ServiceError`; every answer received
    before is already in the cache.
    """

    def __init__(self, config: LLMConfig, cache: ResponseCache | None = None, *, client=None):
        self.config = config
        self.cache = cache
        self.spending = Spending()
        self.cache_hits = 0
        self.failures_in_a_row = 0
        self.last_answer = time.monotonic()  # when the endpoint last answered anything (an error too)
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
                    outcome = outcomes[request.key] = await self._send(request)
                bar.update()
                self._watch(outcome)

            tasks = [asyncio.ensure_future(one(r)) for r in pending]
            self.last_answer = time.monotonic()
            gathered, watchdog = asyncio.gather(*tasks), asyncio.ensure_future(self._watch_silence())
            try:
                done, _ = await asyncio.wait([gathered, watchdog], return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    future.result()  # raises the first failure: the breaker's, the watchdog's, a bug
            finally:
                for task in [*tasks, watchdog]:
                    task.cancel()
                await asyncio.gather(gathered, watchdog, return_exceptions=True)
        return outcomes

    def _kept(self) -> str:
        """What a stopped run keeps, for its message."""
        if self.cache is None:
            return "no cache file, nothing kept"
        return f"{len(self.cache)} answers kept in {self.cache.path}, a rerun resumes"

    def _answered(self, wait: float = 0.0) -> None:
        """The endpoint answered now (and asked for *wait* seconds of quiet)."""
        self.last_answer = max(self.last_answer, time.monotonic() + wait)

    async def _watch_silence(self) -> None:
        """Stop the run when the endpoint has answered nothing, not even an
        error, for a whole ``config.timeout``: a server that takes connections
        and never replies would otherwise hold every request through all its
        retries (minutes) before the circuit breaker trips."""
        while True:
            silent = time.monotonic() - self.last_answer
            if silent >= self.config.timeout:
                raise ServiceError(f"{self.config.base_url}: no answer for {silent:.0f} s (timeout "
                                   f"{self.config.timeout:g} s); {self._kept()}")
            await asyncio.sleep(min(1.0, self.config.timeout - silent))

    def _watch(self, outcome: Outcome) -> None:
        """The circuit breaker: count failures in a row; trip at the limit."""
        if outcome.status == "ok":
            self.failures_in_a_row = 0
        elif outcome.status == "failed":
            self.failures_in_a_row += 1
            limit = self.config.max_consecutive_failures
            if self.failures_in_a_row >= limit:
                raise ServiceError(f"{self.config.base_url}: stopped after {limit} requests in a row failed "
                                   f"({outcome.tries} tries each; last error: {outcome.error}); {self._kept()}")

    async def _send(self, request: Request) -> Outcome:
        config = self.config
        last_error = ""
        for try_index in range(config.max_retries + 1):
            if not self.spending.reserve(config, request):
                return Outcome("budget", error="budget spent", tries=try_index)
            reply = None
            try:
                reply = await self._endpoint.call(self._client, request.body, config.timeout)
                self._answered()
            except Exception as error:  # noqa: BLE001 - every failure is recorded below
                if getattr(error, "response", None) is not None:  # an HTTP error is an answer
                    self._answered()
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
                if response is not None:  # the endpoint asked for the wait: no silence while it lasts
                    self._answered(delay)
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

