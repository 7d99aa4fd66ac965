"""The whole test suite, twice: on the embedded SQLite default and on the PostgreSQL server.

Usage: python -m tests.runner [pytest args]. Redis-backed tests (channel layer, Celery) run in both passes against
127.0.0.1:6379. With CI=true, an unreachable PostgreSQL or Redis fails the run instead of being skipped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time

PG_URL = os.environ.get("MS5_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def run_pass(name: str, env_overrides: dict, args: list[str]) -> int:
    env = dict(os.environ)
    env.update(env_overrides)
    started = time.monotonic()
    print(f"\n===== test pass: {name} =====", flush=True)
    code = subprocess.call([sys.executable, "-m", "pytest", "--create-db", *args], env=env)
    print(f"===== {name}: exit {code} in {time.monotonic() - started:.0f} s =====", flush=True)
    return code


def main() -> int:
    args = sys.argv[1:]
    passes = []
    missing = [name for name, port in (("PostgreSQL", 5432), ("Redis", 6379)) if not reachable("127.0.0.1", port)]
    if missing and IN_CI:
        print(f"FAIL: {', '.join(missing)} not reachable on 127.0.0.1 and CI=true.", file=sys.stderr)
        return 1
    var_dir = tempfile.mkdtemp(prefix="ms5-test-var-")
    base = {"MS5_VAR_DIR": var_dir, "MS5_EMAIL_HOST": ""}
    passes.append(("sqlite", {**base, "DATABASE_URL": f"sqlite:///{var_dir}/ms5.sqlite3"}))
    if "PostgreSQL" in missing:
        print("WARNING: PostgreSQL is not reachable; skipping the PostgreSQL pass (would fail with CI=true).")
    else:
        passes.append(("postgresql", {**base, "DATABASE_URL": PG_URL}))
    worst = 0
    for name, env in passes:
        code = run_pass(name, env, args)
        worst = worst or code
    return worst


if __name__ == "__main__":
    sys.exit(main())
