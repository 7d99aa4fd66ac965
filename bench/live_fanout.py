"""PLC change → websocket delivery latency with N clients on one server process, push vs HTMX polling.

    .venv/bin/python -m bench.live_fanout [--sizes 100,500,1000] [--updates 10] [--layers memory,redis]
                                          [--poll-seconds 10] [--poll-clients 100]

For every layer and size it starts ``manage.py run_plant --no-plc --no-celery`` (one daphne process) on a free
loopback port with a throw-away SQLite database (tests/e2e/seed.py: Line 1 with two machines), connects N
lightweight websocket clients (the ``websockets`` library, compression off) as a Line-1 operator, then a separate
publisher process — as the PLC worker would — commits ``--updates`` equipment changes at 1 Hz through
``apps.lines.live.equipment_changed_on_commit`` (the OEE engine's hook). Each change stamps its commit time into
the pushed HTML; a client's latency is its receive time minus that stamp (same machine clock). "memory" is the
embedded default (in-memory layer in the web process, forwarded over loopback from the publisher, ms5/layers.py);
"redis" is the scale-out layer (channels_redis pub/sub on 127.0.0.1:6379, db 14).

Server CPU is read from /proc for the web process (and its children) around the broadcast phase; CPU per delivery
= CPU / (updates × clients). The polling comparison runs ``--poll-clients`` keep-alive HTTP clients fetching the
same panel (``/lines/<id>/kiosk/tiles/``) once per second for ``--poll-seconds``, and reports CPU per poll and the
achieved poll rate. Latency here is to socket receipt; a browser adds the OOB swap (about a millisecond).
Bounded: every phase has a timeout; the server is stopped by PID at the end of each run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets

from tests.e2e.fixtures import ROOT, PlantServer

STAMP = re.compile(r"bench-(\d+)-(\d+\.\d+)")
CLK = os.sysconf("SC_CLK_TCK")
RETRIES: list[int] = []

PUBLISH = """
import time
from django.db import transaction
from apps.lines import live
from apps.lines.models import Equipment
live.render_board_partials({line}, *live.BOARD_PARTIALS)  # warm the publisher's templates (not timed)
for i in range({updates}):
    started = time.time()
    with transaction.atomic():
        Equipment.objects.filter(pk={eq}).update(name=f"bench-{{i}}-{{time.time():.6f}}")
        live.equipment_changed_on_commit(line_ids=[{line}], equipment_ids=[{eq}])
    time.sleep(max(0.0, 1.0 - (time.time() - started)))
"""


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its reaped children (daphne has no worker processes)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / CLK


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def connect_clients(server: PlantServer, n: int) -> list:
    url = server.ws_url(f"/ws/lines/{server.seed['line1']}/")
    headers = {"Cookie": f"sessionid={server.seed['sessions']['operator1']}", "Origin": server.url("")[:-1]}
    sem = asyncio.Semaphore(20)  # connect in bursts like tablets rejoining, not all at once

    async def one():
        async with sem:
            for attempt in range(5):  # like a tablet: a refused handshake is retried
                try:
                    return await websockets.connect(url, additional_headers=headers, compression=None,
                                                    open_timeout=60, ping_interval=None, max_queue=None)
                except (OSError, websockets.InvalidHandshake, websockets.InvalidMessage):
                    RETRIES.append(1)
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.2 * (attempt + 1))

    return await asyncio.wait_for(asyncio.gather(*(one() for _ in range(n))), timeout=180)


async def collect(ws, updates: int, deadline: float, sink: list[float], counts: list[int]) -> None:
    got = 0
    while got < updates and time.time() < deadline:
        try:
            msg = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.time()))
        except (asyncio.TimeoutError, TimeoutError, websockets.ConnectionClosed):
            break
        now = time.time()
        if isinstance(msg, str) and not msg.startswith("{"):
            match = STAMP.search(msg)
            if match:
                sink.append((now - float(match.group(2))) * 1000)
                got += 1
    counts.append(got)


def run_push(server: PlantServer, n: int, updates: int) -> dict:
    async def scenario():
        # Warm the server's HTTP path and templates (the first request of a fresh process is not what we measure).
        await asyncio.to_thread(server.run_python, "", forward=False)
        await asyncio.to_thread(_get, server, f"/lines/{server.seed['line1']}/kiosk/")
        clients = await connect_clients(server, n)
        latencies: list[float] = []
        counts: list[int] = []
        web = server.web_pid()
        cpu0 = cpu_seconds(web)
        deadline = time.time() + updates + 30
        tasks = [asyncio.create_task(collect(ws, updates, deadline, latencies, counts)) for ws in clients]
        env = dict(server.env)
        if "REDIS_URL" not in env:
            env["MS5_LIVE_FORWARD_URL"] = server.url("/internal/live/")
        publisher = await asyncio.create_subprocess_exec(
            sys.executable, "manage.py", "shell", "-c",
            PUBLISH.format(updates=updates, eq=server.seed["eq1"], line=server.seed["line1"]),
            cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        await asyncio.wait_for(publisher.wait(), timeout=updates + 60)
        await asyncio.gather(*tasks)
        cpu = cpu_seconds(web) - cpu0
        await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)
        return latencies, counts, cpu

    RETRIES.clear()
    latencies, counts, cpu = asyncio.run(scenario())
    delivered = len(latencies)
    return {"clients": n, "p50": pct(latencies, 50), "p99": pct(latencies, 99), "max": max(latencies, default=0),
            "delivered": delivered, "expected": n * updates, "starved": sum(1 for c in counts if c == 0),
            "cpu_us_per_delivery": cpu / max(1, delivered) * 1e6, "connect_retries": len(RETRIES)}


def run_poll(server: PlantServer, clients: int, seconds: float) -> dict:
    path = f"/lines/{server.seed['line1']}/kiosk/tiles/"
    cookie = server.seed["sessions"]["operator1"]
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nCookie: sessionid={cookie}\r\n"
               f"HX-Request: true\r\n\r\n").encode()

    async def poller(done: list[int], end: float):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            while time.time() < end:
                started = time.time()
                writer.write(request)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
                await reader.readexactly(length)
                done.append(1)
                await asyncio.sleep(max(0.0, 1.0 - (time.time() - started)))
        finally:
            writer.close()

    async def scenario(seconds: float):
        web = server.web_pid()
        done: list[int] = []
        cpu0 = cpu_seconds(web)
        t0 = time.time()
        await asyncio.wait_for(asyncio.gather(*(poller(done, t0 + seconds) for _ in range(clients)),
                                              return_exceptions=True), timeout=seconds + 60)
        return len(done), cpu_seconds(web) - cpu0, time.time() - t0

    asyncio.run(scenario(2.0))  # warm-up round, not counted
    polls, cpu, elapsed = asyncio.run(scenario(seconds))
    return {"clients": clients, "polls": polls, "rate": polls / elapsed, "cpu_us_per_poll": cpu / max(1, polls) * 1e6}


def _get(server: PlantServer, path: str) -> int:
    import urllib.request

    request = urllib.request.Request(server.url(path),
                                     headers={"Cookie": f"sessionid={server.seed['sessions']['operator1']}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def start_server(layer: str) -> tuple[PlantServer, Path]:
    tmp = Path(tempfile.mkdtemp(prefix="ms5-bench-"))
    server = PlantServer(tmp, "--no-plc", "--no-celery")
    if layer == "redis":
        server.env["REDIS_URL"] = os.environ.get("MS5_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    server.prepare()
    server.start()
    return server, tmp


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,1000")
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--layers", default="memory,redis")
    parser.add_argument("--poll-seconds", type=float, default=10)
    parser.add_argument("--poll-clients", type=int, default=100)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))

    sizes = [int(s) for s in args.sizes.split(",") if s]
    rows, push_cpu = [], {}
    poll = None
    for layer in args.layers.split(","):
        for n in sizes:
            server, _ = start_server(layer)
            try:
                result = run_push(server, n, args.updates)
                if poll is None and layer == "memory":
                    poll = run_poll(server, args.poll_clients, args.poll_seconds)
            finally:
                server.stop()
            rows.append((layer, result))
            push_cpu.setdefault(layer, []).append(result["cpu_us_per_delivery"])
            print(f"{layer:6} {n:5} clients: p50 {result['p50']:7.1f} ms  p99 {result['p99']:7.1f} ms  "
                  f"max {result['max']:7.1f} ms  delivered {result['delivered']}/{result['expected']}  "
                  f"clients with nothing {result['starved']}  connect retries {result['connect_retries']}  server CPU {result['cpu_us_per_delivery']:.0f} µs/delivery",
                  flush=True)
    if poll:
        print(f"\nHTMX polling at 1 s, {poll['clients']} clients, {args.poll_seconds:.0f} s: {poll['polls']} polls "
              f"({poll['rate']:.0f}/s), server CPU {poll['cpu_us_per_poll']:.0f} µs/poll")
        for layer, values in push_cpu.items():
            best = statistics.median(values)
            print(f"  poll / push ({layer}, median over sizes): {poll['cpu_us_per_poll'] / best:.1f}× server CPU per update")
    return 0


if __name__ == "__main__":
    sys.exit(main())
