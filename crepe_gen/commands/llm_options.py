"""The ``--llm-*`` flags shared by the commands that can run an LLM pass.

Not a subcommand (it defines no ``NAME``, so :func:`crepe_gen.cli.command_modules`
skips it): :func:`add_llm_arguments` adds the flags to a command's parser and
:func:`config_from_args` turns them (and ``--llm-config``) into an
:class:`~crepe_gen.llm.config.LLMConfig`.
"""

from __future__ import annotations

import dataclasses

from ..core.errors import ConfigError
from ..llm.config import LLMConfig
from ..llm.endpoints import ENDPOINTS
from .checks import at_least

__all__ = ["add_llm_arguments", "config_from_args"]

#: ``--llm-*`` flags: (LLMConfig field, type, help).
_FLAGS = (
    ("base_url", str, "OpenAI-compatible API base URL (for example http://127.0.0.1:8000/v1); "
                      "turns the LLM pass on"),
    ("model", str, "model name sent to the server"),
    ("endpoint", str, f"endpoint kind: {' or '.join(ENDPOINTS)} (default completions, for base models)"),
    ("temperature", at_least(0, float), "sampling temperature of the first attempt (default 0)"),
    ("max_tokens", at_least(1), "most tokens per completion (default 64)"),
    ("max_concurrency", at_least(1), "most requests in flight (default 8)"),
    ("max_retries", at_least(0), "retries per request on 429, 5xx and timeouts (default 5)"),
    ("max_attempts", at_least(1), "completions per text before keeping the template text (default 3)"),
    ("timeout", at_least(0.001, float), "seconds per request (default 60)"),
    ("max_requests", at_least(1), "budget: most requests to send"),
    ("max_total_tokens", at_least(1), "budget: most prompt plus completion tokens"),
    ("max_consecutive_failures", at_least(1),
     "stop the run when this many requests in a row failed after their retries (default 20); "
     "answers received so far stay in the cache, so a rerun resumes"),
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
    elif values["model"] is None:
        raise ConfigError("--llm-base-url needs --llm-model, the model name sent to the server "
                          "(or give both in --llm-config)")
    else:
        config = LLMConfig.from_mapping({k: v for k, v in values.items() if v is not None}, "command line")
    if config.cache_path is None and default_cache is not None:
        config = dataclasses.replace(config, cache_path=str(default_cache))
    return config

