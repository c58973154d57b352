"""Stopping on a signal: the stop code never runs inside the handler, and a stop that comes first is kept.

The class of bug: a handler that calls the stop code runs in the main thread between two bytecodes, maybe while
that thread holds a plain lock the stop code needs (a `threading.Event`'s condition, APScheduler's wake-up
event), and the process hangs after logging "stopping"; and a stop that arrives before the scheduler started
was lost, so the scheduler then ran for ever.
"""

from __future__ import annotations

import os
import signal
import threading

import pytest

from core.db.base import utcnow
from core.jobs.signals import StopSignals
from core.jobs.timers import Timers
from tests.support import sidecars


def test_a_signal_while_the_main_thread_holds_a_lock_the_stop_code_needs_does_not_hang():
    lock = threading.Lock()  # plain, like threading.Event's condition
    stopped: list[int] = []

    def on_signal(signum: int) -> None:
        with lock:
            stopped.append(signum)

    with StopSignals(on_signal):
        with lock:
            os.kill(os.getpid(), signal.SIGTERM)  # the handler runs here, in this thread, holding `lock`
            for _ in range(50):  # bytecodes for the handler to run between
                pass
            assert stopped == []
        sidecars.wait_until(lambda: stopped == [signal.SIGTERM], timeout=5, what="the stop code, on its thread")
        os.kill(os.getpid(), signal.SIGINT)
        sidecars.wait_until(lambda: stopped == [signal.SIGTERM, signal.SIGINT], timeout=5, what="a second signal")


def test_off_the_main_thread_nothing_is_installed():
    seen: list[object] = []

    def enter() -> None:
        with StopSignals(lambda signum: None) as signals:
            seen.append(signals._pipe)

    thread = threading.Thread(target=enter)
    thread.start()
    thread.join()
    assert seen == [None]


def test_a_stop_before_the_timers_run_is_kept_and_no_job_starts():
    timers = Timers(misfire_grace_seconds=60)
    ran: list[int] = []
    timers.every("job", lambda: ran.append(1), seconds=1, first=utcnow())
    timers.shut_down()
    finished = threading.Event()
    threading.Thread(target=lambda: (timers.run(), finished.set()), daemon=True).start()
    assert finished.wait(5), "run() started a scheduler that had been told to stop"
    assert ran == []


def test_timers_run_until_shut_down_and_wait_for_the_job_in_flight():
    timers = Timers(misfire_grace_seconds=60)
    started, release, done = threading.Event(), threading.Event(), []

    def slow() -> None:
        started.set()
        release.wait(5)
        done.append(1)

    timers.every("slow", slow, seconds=60, first=utcnow())
    finished = threading.Event()
    threading.Thread(target=lambda: (timers.run(), finished.set()), daemon=True).start()
    assert started.wait(5)
    timers.shut_down()
    assert not finished.wait(0.2)  # still waiting for the job in flight
    release.set()
    assert finished.wait(5) and done == [1]


def test_a_job_in_flight_that_adds_timers_while_stopping_does_not_hang_the_stop():
    """The leader's first election adds the leader's timers; a SIGTERM then must not deadlock the two."""
    timers = Timers(misfire_grace_seconds=60)
    started, release, added = threading.Event(), threading.Event(), []

    def elect() -> None:
        started.set()
        release.wait(5)
        timers.every("leader-timer", lambda: added.append(1), seconds=0.01, first=utcnow())
        timers.remove("elect")
        added.append(0)

    timers.every("elect", elect, seconds=60, first=utcnow())
    finished = threading.Event()
    threading.Thread(target=lambda: (timers.run(), finished.set()), daemon=True).start()
    assert started.wait(5)
    timers.shut_down()
    release.set()
    assert finished.wait(5), "the stop waited on a job that waited on the stop"
    assert added == [0] and not timers.has("leader-timer")


@pytest.mark.slow
def test_sigterm_at_any_moment_after_start_exits_0(backend, committed_engine, db_url, tmp_path):
    """Signals landing during leader election, the leader's first timers and fast polls: a prompt exit each time."""
    for delay in (0.0, 0.1, 0.4):
        log_path = tmp_path / f"sidecar-{delay}.log"
        process = sidecars.Sidecar(db_url, "--poll-seconds", "0.05", log_path=log_path)
        try:
            sidecars.wait_until(lambda p=process: "sidecar started" in p.log(), timeout=60, what="the start")
            threading.Event().wait(delay)
            assert process.terminate(timeout=20) == 0, process.log()
        finally:
            process.kill()
        assert "sidecar stopped" in process.log()


def test_stop_signals_restore_the_previous_handler():
    previous = signal.getsignal(signal.SIGINT)
    with StopSignals(lambda signum: None):
        assert signal.getsignal(signal.SIGINT) is not previous
    assert signal.getsignal(signal.SIGINT) is previous
