"""What an LLM pass asks and how: :class:`LLMConfig`.

One frozen config holds the endpoint (base URL, model, endpoint kind), the
sampling parameters, concurrency, retries and backoff, the budget and the
cache file. The API key is never part of it: :meth:`LLMConfig.api_key` reads
the environment variable named by ``api_key_env`` when a client is made, so
the key never reaches the cache, the manifest or a log.

Examples
--------
>>> config = LLMConfig(base_url="http://127.0.0.1:8000/v1", model="gemma-3-270m")
>>> config.endpoint, config.max_concurrency
('completions', 8)
"""

from __future__ import annotations

import dataclasses
import os
import urllib.parse
from dataclasses import dataclass, field

from ..core.errors import ConfigError
from ..core.config import check_seed, config_from_mapping, read_yaml_mapping
from ..core.fingerprint import NOT_FINGERPRINTED
from .endpoints import ENDPOINTS

__all__ = ["LLMConfig"]

#: Sent when the key variable is unset: local servers (llama.cpp, vLLM) ignore it.
_NO_KEY = "unused"


@dataclass(frozen=True)
class LLMConfig:
    """Everything that decides which requests are made and how.

    ``max_retries``: retries of one request after 429/5xx/timeout/connection
    errors. ``max_attempts``: completions asked per item before it falls back
    to its template text (attempt ``k`` uses seed ``seed + k`` and, after the
    first, ``retry_temperature``). ``max_requests`` and ``max_total_tokens``
    (prompt plus completion) bound the spending; ``None`` is unbounded.
    ``max_consecutive_failures``: the circuit breaker; when that many
    requests in a row failed after their retries, the run stops with a
    :class:`~crepe_gen.core.errors.ServiceError` (what was answered stays in
    the cache, so a rerun resumes).
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
    max_consecutive_failures: int = field(default=20, metadata=NOT_FINGERPRINTED)

    def __post_init__(self):
        if self.endpoint not in ENDPOINTS:
            raise ConfigError(f"llm endpoint {self.endpoint!r}: expected one of {sorted(ENDPOINTS)}")
        if not self.base_url or not self.model:
            raise ConfigError("llm: base_url and model are required")
        url = urllib.parse.urlsplit(self.base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(f"llm base_url {self.base_url!r}: expected http://HOST[:PORT]/... or https://...")
        try:
            url.port
        except ValueError:
            raise ConfigError(f"llm base_url {self.base_url!r}: bad port") from None
        check_seed(self.seed, "llm seed")
        for name in ("max_tokens", "max_concurrency", "max_attempts", "max_consecutive_failures"):
            if getattr(self, name) < 1:
                raise ConfigError(f"llm {name} must be at least 1, got {getattr(self, name)}")
        for name in ("max_retries", "timeout", "backoff_base", "backoff_max", "temperature"):
            if getattr(self, name) < 0:
                raise ConfigError(f"llm {name} must not be negative, got {getattr(self, name)}")

    @classmethod
    def from_mapping(cls, data: dict, source: str = "llm config") -> "LLMConfig":
        """From a dict (a YAML file's ``llm`` section) through
        :func:`~crepe_gen.core.config.config_from_mapping`: an unknown key or a
        refused value is a :class:`~crepe_gen.core.errors.ConfigError` naming *source*.

        >>> LLMConfig.from_mapping({"base_url": "http://h/v1", "model": "m", "timeout": 5}).timeout
        5
        """
        if "api_key" in data:  # the message must not echo the value
            raise ConfigError(f"{source}: put the key in an environment variable named by api_key_env")
        return config_from_mapping(cls, data, source)

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

