"""One configuration loader: YAML mappings into frozen config dataclasses.

Every stage's configuration is a frozen dataclass. Whether it comes from a
build config section, a stage's own YAML file or a mapping built in code, it
goes through :func:`config_from_mapping`, so every fault (a file that is
missing or not YAML, an unknown or missing key, a value of the wrong type, a
value the dataclass refuses) is one :class:`~crepe_gen.core.errors.ConfigError`
naming the file and the key. Values are checked against the field
annotations (:func:`check_value`) before the dataclass sees them, so a
quoted number fails when the file is read, not deep inside a run.

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
>>> config_from_mapping(Stage, {"sampling": {"attempts": "5"}}, "c.yaml")
Traceback (most recent call last):
...
crepe_gen.core.errors.ConfigError: c.yaml: sampling: attempts: expected an integer, got '5'
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import types
import typing
from pathlib import Path

import yaml

from .errors import ConfigError

__all__ = ["read_yaml_mapping", "config_from_mapping", "config_from_yaml", "check_field", "check_seed", "check_value",
           "describe_type"]

#: Fields that must not be negative whatever the dataclass: seeds (numpy refuses them).
_NON_NEGATIVE = frozenset({"seed"})
#: Seeds are below this (numpy's generators take 32-bit seeds).
SEED_LIMIT = 2 ** 32


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
        if path.exists() and not path.is_file():  # a FIFO would block the read forever
            raise ConfigError(f"{path}: {what} is not a regular file")
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} file not found") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read {what}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: malformed YAML: {_yaml_message(error)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: malformed YAML: nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {what} must be a YAML mapping (expected a mapping of keys)")
    return data


def _yaml_message(error: yaml.YAMLError) -> str:
    """One line: the problem and where it is (``key 'seed' given twice (line 2, column 1)``)."""
    problem, mark = getattr(error, "problem", None), getattr(error, "problem_mark", None)
    if not problem:
        return " ".join(str(error).split())
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


class _UniqueKeyLoader(yaml.SafeLoader):
    """The safe loader, refusing a key given twice in one mapping (YAML's
    own rule, which PyYAML does not enforce: it keeps the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} given twice",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def config_from_mapping(cls, values: dict, where: str):
    """*cls* (a dataclass) from a mapping: every value is checked against its
    field's annotation (:func:`check_value`: lists become tuples, mappings
    become the nested dataclass of a field).

    Unknown or missing keys, values of the wrong type, a negative seed and
    values the dataclass refuses (its ``__post_init__`` checks included) are
    a :class:`~crepe_gen.core.errors.ConfigError` starting with *where* (the
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
    missing = [name for name, field in fields.items() if name not in values
               and field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"{where}: missing key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}")
    hints = _type_hints(cls)
    values = dict(values)
    for name, value in values.items():
        default = _default(fields[name])
        annotation = hints.get(name, typing.Any)
        if annotation is typing.Any and isinstance(default, tuple) or dataclasses.is_dataclass(default):
            annotation = type(default)
        values[name] = check_field(name, annotation, value, where)
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


def check_field(name: str, annotation, value, where: str):
    """*value* of field *name* checked against *annotation* (:func:`check_value`),
    and a seed against being negative; faults start with ``WHERE: NAME``.

    >>> check_field("seed", int, -4, "cfg.yaml")
    Traceback (most recent call last):
    ...
    crepe_gen.core.errors.ConfigError: cfg.yaml: seed: must be 0 or more and below 2**32, got -4
    """
    value = check_value(annotation, value, f"{where}: {name}")
    if name in _NON_NEGATIVE and isinstance(value, int) and not 0 <= value < SEED_LIMIT:
        raise ConfigError(f"{where}: {name}: must be 0 or more and below 2**32, got {value}")
    return value


def check_seed(seed: int, what: str = "seed") -> None:
    """A stage config's own check of its seed (numpy refuses negative ones).

    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    crepe_gen.core.errors.ConfigError: seed must be 0 or more and below 2**32, got -1
    """
    if not 0 <= seed < SEED_LIMIT:
        raise ConfigError(f"{what} must be 0 or more and below 2**32, got {seed}")


def describe_type(annotation) -> str:
    """What a value of *annotation* is, in the words of an error message.

    >>> describe_type(int), describe_type(tuple[int, ...]), describe_type(float | None)
    ('an integer', 'a list of integers', 'a number')
    """
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if _is_union(annotation):
        # "or null" is left unsaid: a missing key is what null means to a user
        return " or ".join(describe_type(arg) for arg in args if arg is not type(None))
    if annotation in _SCALARS:
        return _SCALARS[annotation][1]
    if annotation is tuple or origin is tuple or annotation is list or origin is list:
        items = [arg for arg in args if arg is not Ellipsis]
        if len(items) == 1 and items[0] in _SCALARS:
            return "a list of " + _PLURAL[items[0]]
        return "a list"
    if annotation is dict or origin is dict or dataclasses.is_dataclass(annotation):
        return "a mapping"
    return getattr(annotation, "__name__", str(annotation))


def check_value(annotation, value, where: str):
    """*value* checked against the field annotation *annotation*, as the
    dataclass should receive it: lists become tuples for tuple fields, a
    mapping becomes the nested dataclass; a mismatch is a
    :class:`~crepe_gen.core.errors.ConfigError` ``"WHERE: expected ..., got ..."``.

    Integers pass for floats (kept as they are, so that a cache key does not
    change); booleans pass only for ``bool``. Annotations it does not know
    (``Any``, classes) let every value through.

    >>> check_value(tuple[int, ...], [4, 5], "c.yaml: levels")
    (4, 5)
    >>> check_value(int | None, "10", "c.yaml: per_level")
    Traceback (most recent call last):
    ...
    crepe_gen.core.errors.ConfigError: c.yaml: per_level: expected an integer, got '10'
    """
    if _is_union(annotation):
        args = typing.get_args(annotation)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return check_value(arg, value, where)
            except ConfigError:
                continue
        raise _mismatch(annotation, value, where)
    if annotation in _SCALARS:
        if not _SCALARS[annotation][0](value):
            raise _mismatch(annotation, value, where)
        return value
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is tuple or origin is tuple or annotation is list or origin is list:
        if not isinstance(value, (list, tuple)):
            raise _mismatch(annotation, value, where)
        if args and (len(args) == 2 and args[1] is Ellipsis or len(args) == 1):
            value = [check_value(args[0], item, f"{where}: item {i + 1}") for i, item in enumerate(value)]
        elif args and len(args) == len(value):
            value = [check_value(arg, item, f"{where}: item {i + 1}") for i, (arg, item) in enumerate(zip(args, value))]
        elif args:
            raise _mismatch(annotation, value, where)
        return list(value) if annotation is list or origin is list else tuple(value)
    if annotation is dict or origin is dict:
        if not isinstance(value, dict):
            raise _mismatch(annotation, value, where)
        return value
    if dataclasses.is_dataclass(annotation):
        if isinstance(value, annotation):
            return value
        if not isinstance(value, dict):
            raise _mismatch(annotation, value, where)
        return config_from_mapping(annotation, value, where)
    if annotation is Path:
        if not isinstance(value, (str, os.PathLike)):
            raise _mismatch(annotation, value, where)
        return value
    return value


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: Scalar annotations: (accepts a value, description).
_SCALARS = {
    int: (_is_int, "an integer"),
    float: (_is_number, "a number"),
    bool: (lambda value: isinstance(value, bool), "true or false"),
    str: (lambda value: isinstance(value, str), "a string"),
    typing.Any: (lambda value: True, "anything"),
}
_PLURAL = {int: "integers", float: "numbers", bool: "booleans", str: "strings", typing.Any: "values"}


def _is_union(annotation) -> bool:
    return typing.get_origin(annotation) is typing.Union or isinstance(annotation, types.UnionType)


def _mismatch(annotation, value, where: str) -> ConfigError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return ConfigError(f"{where}: expected {describe_type(annotation)}, got {shown}")


@functools.lru_cache(maxsize=None)
def _type_hints(cls) -> dict:
    """The resolved field annotations of *cls*; a field whose annotation
    cannot be resolved (a name only imported for type checkers) is left out."""
    try:
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - resolve field by field below
        pass
    namespace = dict(vars(sys.modules[cls.__module__])) if cls.__module__ in sys.modules else {}
    hints = {}
    for field in dataclasses.fields(cls):
        annotation = field.type
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)  # noqa: S307 - the class's own annotation
            except Exception:  # noqa: BLE001
                continue
        hints[field.name] = annotation
    return hints


def _default(field: dataclasses.Field):
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None
