"""Exceptions and the strict/lenient problem policy shared by every stage.

Every error that bad input can cause is an :class:`InputError`: its message is
one line naming the file and the record, which the CLI prints without a
traceback before exiting non-zero.

Examples
--------
>>> err = InputError("scene_graphs.json", "no name", index=3, image_id=4)
>>> str(err)
'scene_graphs.json: image #3 (id 4): no name'
>>> problems = Problems(lenient=True)
>>> problems.report(err)
>>> dict(problems.counts)
{'no name': 1}
"""

from __future__ import annotations

import collections
import logging
from dataclasses import dataclass, field

__all__ = ["CrepeGenError", "ConfigError", "InputError", "ServiceError", "Problems"]

log = logging.getLogger(__name__)


class CrepeGenError(Exception):
    """Base class of every error crepe_gen raises on purpose."""


class ConfigError(CrepeGenError):
    """A configuration file or option is invalid."""


class ServiceError(CrepeGenError):
    """An external service (an LLM endpoint) is unreachable or keeps failing."""


class OutputError(CrepeGenError):
    """An output that cannot be written (a full disk): names the file."""


class InputError(CrepeGenError):
    """A bad input record: knows its file, its position and the reason."""

    def __init__(self, path, reason: str, *, index: int | None = None,
                 image_id: int | None = None, record: str | None = None):
        self.path = str(path)
        self.reason = reason
        self.index = index
        self.image_id = image_id
        self.record = record
        super().__init__(self._format())

    def _format(self) -> str:
        where = [self.path]
        if self.index is not None or self.image_id is not None:
            image = "image"
            if self.index is not None:
                image += f" #{self.index}"
            if self.image_id is not None:
                image += f" (id {self.image_id})"
            where.append(image)
        if self.record:
            where.append(self.record)
        return ": ".join(where + [self.reason])


@dataclass
class Problems:
    """Strict mode raises the first problem; lenient mode skips and counts.

    ``counts`` maps a reason to how many records were skipped for it;
    ``examples`` keeps the first message of each reason for the report.
    """

    lenient: bool = False
    counts: collections.Counter = field(default_factory=collections.Counter)
    examples: dict = field(default_factory=dict)

    def report(self, error: InputError) -> None:
        if not self.lenient:
            raise error
        self.counts[error.reason] += 1
        self.examples.setdefault(error.reason, str(error))
        log.debug("skipped: %s", error)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        if not self.counts:
            return "no bad records"
        parts = [f"{n} x {reason}" for reason, n in sorted(self.counts.items())]
        return f"skipped {self.total} bad records: " + "; ".join(parts)
