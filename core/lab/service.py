"""What the Strategy Lab page and the `lab` commands call: an Engine and the acting user in, plain values out.

The Lab is for traders and admins: every call needs the trader role (the permission that manages saved screens,
since a config is a saved screen plus rules); each write is in the activity log, and creating a config or
starting a run is counted in `sandbox_stats`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from core.auth.audit import record_activity
from core.auth.roles import Actor, Permission, require
from core.config import get_settings
from core.db.engine import unit_of_work
from core.db.models import SandboxAIConversation, SandboxTestRun
from core.jobs import queue
from core.jobs.progress import RunProgress, run_progress
from core.lab import assistant, configs
from core.lab.assistant import AssistantError
from core.lab.configs import ConfigError, LabConfig
from core.lab.rules import InvalidRules, Rules
from core.lab.runs import RunRequestError, enqueue_test_run, run_test_run
from core.premiums import saved_screens
from core.premiums.filters import PremiumFilters

LAB = Permission.MANAGE_SAVED_SCREENS


@dataclass(frozen=True)
class TestRun:
    """A test run as plain values: parameters, status and (once completed) results."""

    id: str
    config: str
    job_run_id: int | None
    parameters: dict[str, Any]
    results: dict[str, Any]

    @property
    def status(self) -> str:
        return self.results.get("status", "queued")

    def document(self) -> dict[str, Any]:
        """The `lab run --format json` document: run id, parameters, summary, buy-and-hold, trades."""
        return {"run_id": self.id, "job_run_id": self.job_run_id, "status": self.status,
                "message": self.results.get("message"), "parameters": self.parameters,
                "summary": self.results.get("summary"), "buy_and_hold": self.results.get("buy_and_hold"),
                "trades": self.results.get("trades", [])}  # fmt: skip


def _user(actor: Actor) -> str:
    return str(actor.user_id) if actor.user_id is not None else actor.username


def list_configs(engine: Engine, actor: Actor) -> list[LabConfig]:
    require(actor, LAB)
    with unit_of_work(engine) as session:
        return configs.list_configs(session)


def get_config(engine: Engine, actor: Actor, name: str) -> LabConfig:
    require(actor, LAB)
    with unit_of_work(engine) as session:
        return configs.get_config(session, name)


def create_config(
    engine: Engine, actor: Actor, name: str, rules: Rules, *, filters: PremiumFilters | None = None,
    screen: str | None = None,
) -> LabConfig:  # fmt: skip
    """A new config from `filters`, or from the saved screen `screen` (its filters copied, its name kept)."""
    require(actor, LAB)
    with unit_of_work(engine, write=True) as session:
        if filters is None:
            if not screen:
                raise ConfigError("a strategy config needs a saved screen or filters")
            filters = saved_screens.load_screen(session, screen)
        config = configs.create_config(session, name, filters, rules, screen=screen)
        configs.count_use(session, _user(actor), configs=1)
        record_activity(session, "lab_config_create", actor=actor, target=f"lab:{config.name}",
                        details=config.describe())  # fmt: skip
        return config


def update_config(
    engine: Engine, actor: Actor, name: str, *, new_name: str | None = None, rules: Rules | None = None,
    filters: PremiumFilters | None = None, active: bool | None = None,
) -> LabConfig:  # fmt: skip
    """Edit a config (name, rules, filters) or set it active or not."""
    require(actor, LAB)
    with unit_of_work(engine, write=True) as session:
        config = configs.update_config(session, name, name=new_name, rules=rules, filters=filters, active=active)
        record_activity(session, "lab_config_update", actor=actor, target=f"lab:{config.name}",
                        details=config.describe())  # fmt: skip
        return config


def start_run(
    engine: Engine, actor: Actor, config_name: str, start: dt.date, end: dt.date, *,
    symbols: list[str] | None = None, provider: str | None = None,
) -> TestRun:  # fmt: skip
    """Queue a test run of `config_name` over `start`..`end` for the sidecar; returns it (status queued)."""
    require(actor, LAB)
    with unit_of_work(engine, write=True) as session:
        config = configs.get_config(session, config_name)
        test, run = enqueue_test_run(session, config, start, end, requested_by=actor.username, symbols=symbols,
                                     provider=provider)  # fmt: skip
        configs.count_use(session, _user(actor), runs=1)
        record_activity(session, "lab_run", actor=actor, target=f"lab:{config.name}",
                        details={"test_run_id": test.id, "job_run_id": run.id, "start": start.isoformat(),
                                 "end": end.isoformat()})  # fmt: skip
        return _plain(test, config.name)


def work_inline(engine: Engine, actor: Actor, run: TestRun, **kwargs) -> TestRun:
    """Work a queued test run in this process (`lab run --inline`, tests) and return it finished."""
    require(actor, LAB)
    if run.job_run_id is not None:
        run_test_run(engine, run.job_run_id, **kwargs)
    return get_run(engine, actor, run.id)


def cancel_run(engine: Engine, actor: Actor, run_id: str) -> None:
    """Cancel a queued or running test run: a queued one says so at once, a running one's worker stops at its next
    check and says where."""
    require(actor, LAB)
    test = get_run(engine, actor, run_id)
    if test.job_run_id is None:
        return
    with unit_of_work(engine, write=True) as session:
        queue.cancel_run(session.connection(), test.job_run_id)
        row = session.get(SandboxTestRun, run_id)
        if (row.test_results or {}).get("status", "queued") == "queued":  # no worker has it: say so here
            row.test_results = {"status": "cancelled", "message": "cancelled before it started"}
        record_activity(session, "lab_run_cancel", actor=actor, target=f"lab:{test.config}",
                        details={"test_run_id": run_id})  # fmt: skip


def get_run(engine: Engine, actor: Actor, run_id: str) -> TestRun:
    require(actor, LAB)
    with unit_of_work(engine) as session:
        row = session.get(SandboxTestRun, run_id)
        if row is None:
            raise ConfigError(f"no test run {run_id!r}")
        return _plain(row, row.config.strategy_id if row.config else "")


def list_runs(engine: Engine, actor: Actor, config_name: str | None = None) -> list[TestRun]:
    """Test runs, newest request first (of one config if named)."""
    require(actor, LAB)
    with unit_of_work(engine) as session:
        statement = select(SandboxTestRun)
        if config_name:
            statement = statement.where(SandboxTestRun.config_id == configs.get_config(session, config_name).id)
        rows = [_plain(r, r.config.strategy_id if r.config else "") for r in session.scalars(statement)]
    return sorted(rows, key=lambda r: r.parameters.get("requested_at", ""), reverse=True)


def progress(engine: Engine, actor: Actor, run: TestRun) -> RunProgress | None:
    """How far the run's job has got (symbols' history loaded), for a progress bar."""
    require(actor, LAB)
    if run.job_run_id is None:
        return None
    with unit_of_work(engine) as session:
        return run_progress(session, run.job_run_id)


def usage(engine: Engine, actor: Actor) -> list[dict[str, Any]]:
    require(actor, LAB)
    with unit_of_work(engine) as session:
        return configs.usage(session)


def screen_names(engine: Engine, actor: Actor) -> list[str]:
    require(actor, LAB)
    with unit_of_work(engine) as session:
        return saved_screens.screen_names(session)


def assistant_available(settings=None) -> bool:
    """Whether an assistant endpoint is configured (the page shows its box only then)."""
    return assistant.configured(settings or get_settings())


def ask_assistant(engine: Engine, actor: Actor, config_name: str, question: str, run_id: str | None = None) -> str:
    """Ask the configured assistant about a config (and one of its runs); the exchange is stored. AssistantError
    when none is configured or it does not answer; nothing is stored then."""
    require(actor, LAB)
    question = (question or "").strip()
    if not question:
        raise AssistantError("ask a question first")
    settings = get_settings()
    if not assistant.configured(settings):
        raise AssistantError("no assistant is configured: set LLM_BASE_URL and LLM_MODEL")
    config = get_config(engine, actor, config_name)
    run = get_run(engine, actor, run_id) if run_id else None
    about = assistant.context(config.describe(), None if run is None else {"parameters": run.parameters,
                                                                          "results": run.results})  # fmt: skip
    answer = assistant.ask(settings, question, about)
    with unit_of_work(engine, write=True) as session:
        session.add(SandboxAIConversation(config_id=config.id, user_message=question, ai_response=answer))
        record_activity(session, "lab_assistant", actor=actor, target=f"lab:{config.name}",
                        details={"test_run_id": run_id})  # fmt: skip
    return answer


def conversations(engine: Engine, actor: Actor, config_name: str) -> list[tuple[str, str]]:
    """The stored (question, answer) pairs about a config, oldest first."""
    require(actor, LAB)
    with unit_of_work(engine) as session:
        config_id = configs.get_config(session, config_name).id
        rows = session.execute(
            select(SandboxAIConversation.user_message, SandboxAIConversation.ai_response)
            .where(SandboxAIConversation.config_id == config_id)
            .order_by(SandboxAIConversation.created_at, SandboxAIConversation.id)
        ).all()
    return [(q, a) for q, a in rows]


def _plain(row: SandboxTestRun, config: str) -> TestRun:
    params = dict(row.test_parameters or {})
    return TestRun(row.id, config, params.get("job_run_id"), params, dict(row.test_results or {}))


__all__ = [
    "AssistantError", "ConfigError", "InvalidRules", "LabConfig", "Rules", "RunRequestError", "TestRun",
    "ask_assistant", "assistant_available", "cancel_run", "conversations", "create_config", "get_config", "get_run",
    "list_configs", "list_runs", "progress", "screen_names", "start_run", "update_config", "usage", "work_inline",
]  # fmt: skip
