"""Endpoint kinds of an OpenAI-compatible server: how a prompt is rendered for
each and how a response becomes a :class:`Reply`; :data:`ENDPOINTS` is the
registry (the CLI choice is the key).

Examples
--------
>>> sorted(ENDPOINTS)
['chat', 'completions']
>>> Reply("A cup.", "stop", 12, 3).to_dict()["completion_tokens"]
3
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .prompts import PromptTemplate

__all__ = ["ENDPOINTS", "ChatEndpoint", "CompletionsEndpoint", "Reply"]


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

