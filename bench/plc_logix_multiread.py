"""A 50-tag Logix multi-read vs 50 single-tag reads against cpppo on 127.0.0.1: client CPU per tag and ratio.

Run: .venv/bin/python -m bench.plc_logix_multiread [--rounds 10] [--tags 50]

Starts cpppo (a GPL test tool, launched as a separate process through tests/plc_worker/cpppo_peer.py, never
imported) with N DINT tags and a raised reply size, then times with the worker's own LogixPlcDriver:
one read(tag1 … tagN) per round vs N read(tag) calls per round. The client's CPU (this thread's CPU time) is what
the worker pays; wall time is dominated by cpppo's own CPU on this machine (shared/PLC.md) and shown for context.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--tags", type=int, default=50)
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 200 or not 2 <= args.tags <= 200:
        parser.error("rounds 1..200, tags 2..200")
    from plc_worker.drivers.base import ConnectionConfig, TagSpec
    from plc_worker.drivers.logix import LogixPlcDriver

    names = [f"T{i}" for i in range(args.tags)]
    log = tempfile.NamedTemporaryFile(prefix="cpppo-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-u", str(ROOT / "tests/plc_worker/cpppo_peer.py"), "--no-config", "-U", "-a",
         "127.0.0.1:0", "-A", *[f"{n}=DINT" for n in names]],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "CPPPO_MAX_BYTES": "4000"},
    )
    try:
        deadline = time.monotonic() + 20
        port = None
        while time.monotonic() < deadline and port is None:
            m = re.search(r"\('127\.0\.0\.1', (\d+)\)", Path(log.name).read_text(errors="replace"))
            port = int(m.group(1)) if m else None
            time.sleep(0.05)
        if port is None:
            print("cpppo did not start", file=sys.stderr)
            return 1
        tags = tuple(TagSpec(n, "DINT", "mode", 1) for n in names)
        driver = LogixPlcDriver(ConnectionConfig(id=1, code="BENCH", driver="logix", host="127.0.0.1", port=port,
                                                 timeout_s=5, tags=tags))
        driver.open()
        try:
            driver.read(tags)  # warm-up
            cpu, wall = time.thread_time(), time.perf_counter()
            for _ in range(args.rounds):
                reads = driver.read(tags)
                assert all(r.error is None for r in reads.values())
            multi_cpu, multi_wall = time.thread_time() - cpu, time.perf_counter() - wall
            cpu, wall = time.thread_time(), time.perf_counter()
            for _ in range(args.rounds):
                for tag in tags:
                    assert driver.read((tag,))[tag.address].error is None
            single_cpu, single_wall = time.thread_time() - cpu, time.perf_counter() - wall
        finally:
            driver.close()
        n = args.rounds * args.tags
        print(f"{args.tags} DINT tags × {args.rounds} rounds against cpppo 127.0.0.1:{port}")
        print(f"{'mode':<22}{'client CPU µs/tag':>18}{'wall ms/tag':>13}{'wall ms/scan':>14}")
        print(f"{'one multi-tag read':<22}{1e6 * multi_cpu / n:>18.1f}{1e3 * multi_wall / n:>13.2f}"
              f"{1e3 * multi_wall / args.rounds:>14.1f}")
        print(f"{'single-tag reads':<22}{1e6 * single_cpu / n:>18.1f}{1e3 * single_wall / n:>13.2f}"
              f"{1e3 * single_wall / args.rounds:>14.1f}")
        print(f"ratio single/multi: client CPU {single_cpu / multi_cpu:.1f}×, wall {single_wall / multi_wall:.1f}×")
        return 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        os.unlink(log.name)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ms5.settings")
    import django

    django.setup()
    raise SystemExit(main())
