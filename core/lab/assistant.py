"""The Strategy Lab's optional assistant: "Ask about this strategy" over an OpenAI-compatible chat endpoint.

Configured by LLM_BASE_URL and LLM_MODEL (LLM_API_KEY optional: a local server such as Ollama needs none); with
either unset, `configured` is False and nothing is offered. What is sent is the config (its screen's filters and
its rules) and one test run's parameters and results (figures, buy and hold, the first trades) -- never a key,
an account or anything of a user -- with the question. Without LLM_API_KEY no Authorization header is sent at
all. The exchange is stored in `sandbox_ai_conversations` by the caller.
"""

from __future__ import annotations

import json
from typing import Any

from core.config import Settings

MAX_TRADES = 40  # trades sent with a question: enough to see the pattern, short enough for a small model
SYSTEM = (
    "You review options-selling strategies tested on past data. Answer briefly and concretely from the config "
    "and test results given. Say when a figure comes from modelled premiums rather than real quotes."
)


class AssistantError(RuntimeError):
    """The endpoint could not be reached or gave no answer (the message says which)."""


def configured(settings: Settings) -> bool:
    return bool(settings.llm_base_url and settings.llm_model)


def context(config: dict[str, Any], run: dict[str, Any] | None) -> str:
    """The text that goes with a question: the config and (if given) a run, as JSON."""
    doc: dict[str, Any] = {"config": {k: config[k] for k in ("name", "screen", "rules", "filters") if k in config}}
    if run is not None:
        results = run.get("results") or {}
        doc["test_run"] = {
            "parameters": {k: v for k, v in (run.get("parameters") or {}).items() if k in ("start", "end", "symbols")},
            "summary": results.get("summary"),
            "buy_and_hold": results.get("buy_and_hold"),
            "trades": (results.get("trades") or [])[:MAX_TRADES],
        }
    return json.dumps(doc, default=str)


def ask(settings: Settings, question: str, about: str) -> str:
    """Send `question` with `about` (from `context`) and return the answer's text."""
    import openai

    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    client = openai.OpenAI(base_url=settings.llm_base_url, api_key=key or "unused",
                           timeout=settings.llm_timeout_seconds, max_retries=0)  # fmt: skip
    try:
        reply = client.chat.completions.create(
            model=settings.llm_model,
            messages=[{"role": "system", "content": SYSTEM},
                      {"role": "user", "content": f"{about}\n\nQuestion: {question}"}],
            extra_headers={} if key else {"Authorization": openai.omit},  # no key: no header at all
        )  # fmt: skip
    except openai.OpenAIError as exc:
        raise AssistantError(f"the assistant at {settings.llm_base_url} did not answer: {exc}") from None
    text = (reply.choices[0].message.content or "").strip() if reply.choices else ""
    if not text:
        raise AssistantError("the assistant answered with nothing")
    return text


__all__ = ["AssistantError", "ask", "configured", "context"]
