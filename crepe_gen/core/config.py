"""One configuration loader: YAML mappings into frozen config dataclasses.

Every stage's configuration is a frozen dataclass. Whether it comes from a
build config section, a stage's own YAML file or a mapping built in code, it
goes through :func:`config_from_mapping`, so every fault (a file that is
missing or not YAML, an unknown key, a value the dataclass refuses) is one
:class:`~crepe_gen.core.errors.ConfigError` naming the file and the key.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Sampling:
...     attempts: int = 30
>>> @dataclass(frozen=True)
... class Stage:
...     seed: int = 0
...     levels: tuple = (4, 5)
...     sampling: Sampling = Sampling()
>>> config_from_mapping(Stage, {"levels": [6], "sampling": {"attempts": 5}}, "c.yaml")
Stage(seed=0, levels=(6,), sampling=Sampling(attempts=5))
>>> config_from_mapping(Stage, {"sed": 1}, "c.yaml")
Traceback (most recent call last):
...
crepe_gen.core.errors.ConfigError: c.yaml: unknown key 'sed' (known: levels, sampling, seed)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from .errors import ConfigError

__all__ = ["read_yaml_mapping", "config_from_mapping", "config_from_yaml"]


def read_yaml_mapping(path, *, what: str = "configuration") -> dict:
    """The mapping at the top of a YAML file (an empty file is ``{}``).

    Every problem is a one-line :class:`~crepe_gen.core.errors.ConfigError`
    naming the file.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "c.yaml"
    >>> _ = path.write_text("seed: 3\\n")
    >>> read_yaml_mapping(path)
    {'seed': 3}
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} file not found") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read {what}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: malformed YAML: {str(error).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {what} must be a YAML mapping (expected a mapping of keys)")
    return data


def config_from_mapping(cls, values: dict, where: str):
    """*cls* (a dataclass) from a mapping: lists become tuples where the
    default is a tuple, mappings become the nested dataclass of a field.

    Unknown keys and values the dataclass refuses (its ``__post_init__``
    checks included) are a
    :class:`~crepe_gen.core.errors.ConfigError` starting with *where* (the
    file, and the section or key path inside it).
    """
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: expected a mapping of keys, got {type(values).__name__}")
    fields = {field.name: field for field in dataclasses.fields(cls) if field.init}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise ConfigError(f"{where}: unknown key{plural} {', '.join(map(repr, unknown))} "
                          f"(known: {', '.join(sorted(fields))})")
    values = dict(values)
    for name, value in values.items():
        default = _default(fields[name])
        if isinstance(default, tuple) and isinstance(value, list):
            values[name] = tuple(value)
        elif dataclasses.is_dataclass(default) and isinstance(value, dict):
            values[name] = config_from_mapping(type(default), value, f"{where}: {name}")
    try:
        return cls(**values)
    except (TypeError, ValueError, ConfigError) as error:
        raise ConfigError(f"{where}: {error}") from None


def config_from_yaml(cls, path, *, what: str = "configuration", section: str | None = None,
                     overrides: dict | None = None):
    """*cls* from a YAML file (or its *section*, when the file has one);
    *overrides* that are not None win (command-line flags)."""
    data = read_yaml_mapping(path, what=what)
    if section is not None and isinstance(data.get(section), dict):
        data = data[section]
    data = {**data, **{k: v for k, v in (overrides or {}).items() if v is not None}}
    return config_from_mapping(cls, data, str(path))


def _default(field: dataclasses.Field):
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None
