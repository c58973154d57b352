"""What signing in costs: an argon2id hash and verify, a whole sign-in, and the session check every rerun makes.

Run from the repository root:  .venv/bin/python bench/auth.py [--runs 20]

Prints medians in milliseconds on SQLite and PostgreSQL. `validate_session` runs twice per rerun (dashboard.py
and the page's own check), so its figure is the per-click cost of server-side sessions; argon2 is slow on
purpose (RFC 9106 low-memory profile) and is paid once per sign-in.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import header, median, scratch_database
from core.auth import LOCAL_OPERATOR
from core.auth.passwords import hash_password, verify_password
from core.auth.sessions import validate_session
from core.auth.sign_in import sign_in
from core.auth.users import create_user
from core.db.engine import create_db_engine

PASSWORD = "correct horse battery staple"


def timed_ms(fn, runs: int) -> float:
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    header("sign-in costs (median ms)")
    stored = hash_password(PASSWORD)
    print(f"argon2id hash            {timed_ms(lambda: hash_password(PASSWORD), args.runs):8.1f}")
    print(f"argon2id verify          {timed_ms(lambda: verify_password(stored, PASSWORD), args.runs):8.1f}")
    for backend in ("sqlite", "postgresql"):
        with scratch_database(backend) as url:
            full, check = measure(url, args.runs)
        print(f"{backend:<10} sign_in     {full:8.1f}")
        print(f"{backend:<10} validate    {check:8.2f}   (per rerun: twice)")


def measure(url: str, runs: int) -> tuple[float, float]:
    """Median ms of a whole sign-in and of one session check on the database at `url`."""
    engine = create_db_engine(url)
    try:
        create_user(engine, LOCAL_OPERATOR, "bench", PASSWORD, "trader")
        token = sign_in(engine, "bench", PASSWORD).token
        full = timed_ms(lambda: sign_in(engine, "bench", PASSWORD), runs)
        return full, timed_ms(lambda: validate_session(engine, token), runs * 10)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
