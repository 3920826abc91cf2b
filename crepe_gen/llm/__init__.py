"""Fluent captions and negatives from any OpenAI-compatible LLM endpoint.

CREPE turned its larger subgraphs into captions with GPT-3. This package sends
few-shot prompts to a completions or chat endpoint (OpenAI, vLLM, a llama.cpp
server) and never lets a bad completion into the benchmark:

* :mod:`~crepe_gen.llm.config`: :class:`~crepe_gen.llm.config.LLMConfig`, what is asked and how;
* :mod:`~crepe_gen.llm.prompts`: the few-shot templates (``templates/prompts/*.yaml``);
* :mod:`~crepe_gen.llm.endpoints`: completions and chat, the :data:`~crepe_gen.llm.endpoints.ENDPOINTS` registry;
* :mod:`~crepe_gen.llm.client`: requests, retries, budget, :class:`~crepe_gen.llm.client.LLMClient`;
* :mod:`~crepe_gen.llm.cache`: the SQLite response cache (a killed run resumes);
* :mod:`~crepe_gen.llm.validate`: does a sentence state exactly its scene;
* :mod:`~crepe_gen.llm.generate`: validated texts with retries and template fallback;
* :mod:`~crepe_gen.llm.estimate`: the dry run, what a pass would spend.

The productivity rows are reworded by :mod:`crepe_gen.productivity.rewording`;
the ``--llm-*`` flags live in :mod:`crepe_gen.commands.llm_options`.
"""

__all__: list[str] = []
