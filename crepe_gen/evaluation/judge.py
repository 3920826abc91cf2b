"""The reasoning judge of the audit: a language model that reads a row's shuffled candidates and names the true one.

The strongest blind attacker of a benchmark is a capable LLM that reasons
about the candidates (what is possible, what is usual, how the candidates
relate). :func:`judge_cells` shows it a seeded sample of at most ``rows``
items per cell, each twice, in two seeded orders with the positive at a
different number (:func:`~crepe_gen.evaluation.blind.shuffled_orders`), under
the prompt ``templates/prompts/judge.yaml`` (one candidate is the true caption
of a photo, the others were made by editing it); every request goes through
the project's LLM client (:class:`~crepe_gen.llm.client.LLMClient`: the
response cache, the budget, retries and the circuit breaker; an unreachable
endpoint is a :class:`~crepe_gen.core.errors.ServiceError`, exit status 3).

Scoring: an answer is the number :func:`parse_choice` reads from the reply
(its last ``Answer: N``, else a reply that is only a number, else the only
candidate number in it); an ask scores 1 when it names the positive and 0
otherwise, an unparseable answer included. A row's credit is the mean of its
answered asks; asks never answered (budget spent, request failed) leave the
row out and are counted. Cells are judged as every baseline's are. Each cell
also notes how often the two orders chose the same candidate (``agree``: a
reader that reads the text, not the positions, agrees with itself) and the
share of answers at the most chosen number (``top number``: position bias).

Examples
--------
>>> parse_choice("1 and 2 are odd. Answer: 3", 6), parse_choice(" (4).", 6), parse_choice("I cannot tell", 6)
(3, 4, None)
>>> parse_choice("Answer: 9", 6) is None
True
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import re

from ..core.errors import ConfigError
from ..llm.cache import ResponseCache
from ..llm.client import LLMClient, Request, check_endpoint
from ..llm.config import LLMConfig
from ..llm.prompts import load_prompt
from .blind import distinct_key, numbered, sample_rows, shuffled_orders

__all__ = ["JUDGE_PICKS", "JUDGE_SHORT_NAMES", "JUDGE_NOTES", "judge_config", "judge_cells", "parse_choice"]

log = logging.getLogger(__name__)

#: The judge's one pick, as the cells' recall key.
JUDGE_PICKS = ("judge",)
JUDGE_SHORT_NAMES = {"judge": "judge"}
#: Per-cell notes shown in the judge table: key -> column header.
JUDGE_NOTES = {"asks": "asks", "unparsed": "unparsed", "unanswered": "unanswered", "agree": "agree %",
               "top_number": "top number %"}
#: What the judge's LLM config differs in from :class:`~crepe_gen.llm.config.LLMConfig`'s defaults:
#: a chat model that may reason before it answers.
JUDGE_DEFAULTS = {"endpoint": "chat", "max_tokens": 1024, "timeout": 300.0, "max_concurrency": 4}

_THINKING = re.compile(r"<think>.*?</think>", re.S | re.I)
_ANSWER = re.compile(r"answer\W{0,5}(?:is\W{0,3})?(?:number\W{0,3}|candidate\W{0,3}|caption\W{0,3})?#?(\d+)", re.I)
_ONLY_NUMBER = re.compile(r"^\W*(\d+)\W*$")
_NUMBER = re.compile(r"(?<![\w.])(\d+)(?![\w])")


def parse_choice(reply: str, count: int) -> int | None:
    """The candidate number (1..*count*) a reply names, or None."""
    text = _THINKING.sub(" ", reply or "")
    answers = _ANSWER.findall(text)
    if answers:
        number = int(answers[-1])
        return number if 1 <= number <= count else None
    only = _ONLY_NUMBER.match(text)
    if only:
        number = int(only.group(1))
        return number if 1 <= number <= count else None
    numbers = {int(n) for n in _NUMBER.findall(text)} & set(range(1, count + 1))
    return numbers.pop() if len(numbers) == 1 else None


def judge_config(spec: str, config_file: str | None = None, **overrides) -> LLMConfig:
    """The judge's :class:`LLMConfig` from ``URL,MODEL`` (or a YAML file of
    LLM options; *spec* then may be None), with :data:`JUDGE_DEFAULTS` under
    the file's values and *overrides* that are not None over both.

    >>> judge_config("http://127.0.0.1:8080/v1,my-model", max_requests=10).endpoint
    'chat'
    """
    values = dict(JUDGE_DEFAULTS)
    if spec:
        url, comma, model = spec.rpartition(",")
        if not comma or not url or not model:
            raise ConfigError(f"--judge {spec!r}: expected URL,MODEL (e.g. http://127.0.0.1:8080/v1,my-model)")
        values.update(base_url=url, model=model)
    if config_file:
        from ..core.config import read_yaml_mapping

        data = read_yaml_mapping(config_file, what="judge config")
        values.update(data.get("llm", data))
        source = str(config_file)
    else:
        source = "--judge"
    values.update({k: v for k, v in overrides.items() if v is not None})
    return LLMConfig.from_mapping(values, source)


@dataclasses.dataclass(frozen=True)
class _Ask:
    item_key: tuple
    order: tuple[int, ...]
    request: Request


def _asks(sampled: dict, config: LLMConfig, seed: int) -> list[_Ask]:
    prompt = load_prompt("judge")
    asks = []
    for cell_items in sampled.values():
        for item in cell_items:
            for order in shuffled_orders(item, seed, "judge-order"):
                fields = {"candidates": numbered(item.candidates, order), "count": len(order)}
                request = Request.make(config, prompt.render(config.endpoint, fields), prompt.stop)
                asks.append(_Ask(distinct_key(item), tuple(order), request))
    return asks


def judge_cells(items, config: LLMConfig, *, rows: int, seed: int, cache_path=None, level_of=None,
                progress: bool = False) -> list:
    """Cells of the judge over *items* (unjudged), per level and pooled per foil type."""
    from .audit import Cell, _build_cell, cell_level, sampled_cells

    level_of = level_of or cell_level
    sampled = sample_rows(items, rows, seed, "judge-sample", lambda item: (item.task, item.foil, level_of(item)))
    asks = _asks(sampled, config, seed)
    check_endpoint(config)
    log.info("judge %s: %d asks of %d rows", config.model, len(asks), sum(map(len, sampled.values())))
    outcomes = asyncio.run(_send([a.request for a in asks], config, cache_path, progress))
    chosen = collections.defaultdict(list)  # item key -> [(number shown or None, candidate index or None)]
    unanswered = collections.Counter()
    for ask in asks:
        reply = outcomes[ask.request.key].reply
        if reply is None:
            unanswered[ask.item_key] += 1
            continue
        number = parse_choice(reply.text, len(ask.order))
        chosen[ask.item_key].append((number, None if number is None else ask.order[number - 1]))
    if unanswered:
        log.warning("judge: %d asks got no answer (budget spent or request failed); a row none of whose asks "
                    "was answered is left out", sum(unanswered.values()))

    def cell(kind, foil, level, cell_items):
        answered = [item for item in cell_items if chosen[distinct_key(item)]]
        picks = [chosen[distinct_key(item)] for item in answered]
        if answered:
            credits = [sum(index == 0 for _, index in pick) / len(pick) for pick in picks]
            built = _build_cell(kind, foil, level, answered, {"judge": credits})
        else:
            built = Cell(kind, foil, level, recall={"judge": None})
        numbers = collections.Counter(number for pick in picks for number, _ in pick if number is not None)
        parsed = sum(numbers.values())
        pairs = [pick for pick in picks if len(pick) == 2 and None not in (pick[0][1], pick[1][1])]
        built.notes = {"asks": sum(map(len, picks)), "unparsed": sum(map(len, picks)) - parsed,
                       "unanswered": sum(unanswered[distinct_key(item)] for item in cell_items),
                       "agree": sum(a[1] == b[1] for a, b in pairs) / len(pairs) if pairs else None,
                       "top_number": max(numbers.values()) / parsed if parsed else None}
        return built

    return sampled_cells(sampled, cell)


async def _send(requests, config: LLMConfig, cache_path, progress: bool):
    cache = ResponseCache(cache_path) if cache_path else None
    try:
        async with LLMClient(config, cache) as client:
            return await client.run(requests, progress=progress, description=f"judge ({config.model})")
    finally:
        if cache is not None:
            cache.close()
