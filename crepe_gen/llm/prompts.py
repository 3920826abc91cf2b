"""Few-shot prompt templates (``templates/prompts/*.yaml``): :class:`PromptTemplate`,
:func:`load_prompt` and the bundled names :data:`PROMPTS` (the caption prompts; the audit's reader has ``judge``).

A template holds one set of examples and two forms over them: a completions
form (header, one block per example, the query) for base models and a chat
form (system turn, the examples as earlier turns) for instruction models. Its
``digest`` (of the YAML text) is recorded in the manifest.

Examples
--------
>>> prompt = load_prompt("caption")
>>> text = prompt.render("completions", {"facts": "red car", "draft": "red car."})
>>> text.endswith("Facts: red car\\nDraft: red car.\\nCaption:")
True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from ..core.errors import ConfigError
from .endpoints import ENDPOINTS

__all__ = ["PROMPTS", "PromptTemplate", "load_prompt"]


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

