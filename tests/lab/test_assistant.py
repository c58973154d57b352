"""The Strategy Lab's assistant against a local OpenAI-compatible endpoint the test starts (real sockets, the
official client): the exchange is stored, the config and the run's figures are sent, no key and no
Authorization header when none is configured, the configured key only as the endpoint's bearer; an endpoint that
fails stores nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from core.auth import LOCAL_OPERATOR
from core.config import get_settings
from core.lab import service
from core.premiums.filters import PremiumFilters
from tests.servers.chat import ANSWER, Endpoint


@pytest.fixture
def endpoint(monkeypatch):
    served = Endpoint()
    monkeypatch.setenv("LLM_BASE_URL", served.url)
    monkeypatch.setenv("LLM_MODEL", "tiny")
    monkeypatch.delenv("LLM_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-never-be-sent")
    get_settings.cache_clear()
    yield served
    served.close()
    get_settings.cache_clear()


def _run(engine) -> service.TestRun:
    service.create_config(engine, LOCAL_OPERATOR, "Ask me", service.Rules(per_day=2), filters=PremiumFilters())
    run = service.start_run(engine, LOCAL_OPERATOR, "Ask me", dt.date(2025, 3, 3), dt.date(2025, 4, 30),
                            symbols=["AAPL", "KO"])  # fmt: skip
    return service.work_inline(engine, LOCAL_OPERATOR, run)


def test_a_question_is_answered_stored_and_sends_no_key(endpoint, committed_engine):
    run = _run(committed_engine)
    assert service.assistant_available()
    answer = service.ask_assistant(committed_engine, LOCAL_OPERATOR, "Ask me", "Why the drawdown?", run.id)
    assert answer == ANSWER
    assert service.conversations(committed_engine, LOCAL_OPERATOR, "ask me") == [("Why the drawdown?", answer)]
    [(headers, body)] = endpoint.requests
    assert "authorization" not in headers  # no key configured: no header at all (not even OPENAI_API_KEY's)
    assert "sk-must-never-be-sent" not in json.dumps(body)
    assert body["model"] == "tiny"
    sent = body["messages"][-1]["content"]
    assert "Why the drawdown?" in sent and '"name": "Ask me"' in sent
    assert json.dumps(run.results["summary"]["total_return_pct"]) in sent
    assert "requested_by" not in sent and "local operator" not in sent  # nothing of the user


def test_a_configured_key_goes_only_to_the_endpoint_as_its_bearer(endpoint, committed_engine, monkeypatch):
    monkeypatch.setenv("LLM_API_KEY", "llm-key-1")
    get_settings.cache_clear()
    service.create_config(committed_engine, LOCAL_OPERATOR, "Keyed", service.Rules(), filters=PremiumFilters())
    service.ask_assistant(committed_engine, LOCAL_OPERATOR, "Keyed", "Is this sound?")
    [(headers, body)] = endpoint.requests
    assert headers["authorization"] == "Bearer llm-key-1"
    assert "llm-key-1" not in json.dumps(body)


def test_a_failing_endpoint_or_none_configured_stores_nothing(endpoint, committed_engine, monkeypatch):
    service.create_config(committed_engine, LOCAL_OPERATOR, "Quiet", service.Rules(), filters=PremiumFilters())
    endpoint.status = 500
    with pytest.raises(service.AssistantError, match="did not answer"):
        service.ask_assistant(committed_engine, LOCAL_OPERATOR, "Quiet", "Anything?")
    monkeypatch.delenv("LLM_BASE_URL")
    get_settings.cache_clear()
    assert not service.assistant_available()
    with pytest.raises(service.AssistantError, match="no assistant is configured"):
        service.ask_assistant(committed_engine, LOCAL_OPERATOR, "Quiet", "Anything?")
    assert service.conversations(committed_engine, LOCAL_OPERATOR, "Quiet") == []
