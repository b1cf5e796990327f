"""A large publisher's day, replayed at speed against PostgreSQL with several workers (issue 9,
item 6): sustained decisions per second, p99 latency of a decision, and the database and
log size per million decisions.

    .venv/bin/python bench/scale.py [--workers 2] [--hour-seconds 2] [--scale 1]
                                    [--page-views 50000000] [--deciding 0.05] [--peak 10]

The day: `--page-views` page views, `--deciding` of them making a decision, spread over 24
hours along a daily curve (quiet at night, a morning and an evening rise; its busiest hour is
1.5 times the mean), plus a burst at `--peak` times the mean (a breaking story) after the
busiest hour. With the defaults: 2,500,000 decisions, a mean of 28.9 per second and a burst
of 289 per second. Each hour is replayed in `--hour-seconds` of wall time at
its real rate times `--scale` (open loop: requests leave on schedule whether or not earlier ones
were answered, so a server that falls behind shows it in latency rather than hiding it), so
the replay is a scaled-down day: every rate is real, the duration is not. Then a closed-loop
phase (64 connections, as fast as the server answers, 10 s) gives the sustained maximum.

Sizes are measured on the replayed decisions (PostgreSQL's `pg_total_relation_size` of each
table with its indexes: `decisions` is the log itself, `nodes` its Merkle tree, `checkpoints`
the signed checkpoints, one a second here) and extrapolated linearly to one million decisions and
to the whole day, and labelled so. Latency is from each request's scheduled start to its
answer (queueing included), over all requests of the replay.

Every decision is committed before its answer, as in production (`bandeau serve`, group
commit). Needs the PostgreSQL at 127.0.0.1:5432 (database `test`); the tables go to a schema of
their own, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from decisions import PG, bandeau_server, load, server_cpu  # noqa: E402

# Share of the day's decisions in each hour (0-23), before scaling to the chosen peak: night,
# a morning rise, lunch, an evening peak. Made up, shaped like a news site's traffic.
SHAPE = (
    *(0.15, 0.08, 0.05, 0.04, 0.05, 0.12, 0.35, 0.70, 0.95, 0.90, 0.85, 0.90),
    *(1.00, 0.95, 0.80, 0.75, 0.80, 0.90, 1.00, 1.00, 0.95, 0.80, 0.55, 0.30),
)
CONNECTIONS = 64  # keep-alive connections of the open-loop client (more are opened if needed)


def hourly_rates(decisions_per_day: float, peak: float) -> list[tuple[str, float]]:
    """(label, decisions per second) of each segment of the day: the 24 hours along `SHAPE`
    (which keeps the day's total), then a burst at `peak` times the day's mean, as a breaking
    story brings, replayed after the busiest hour."""
    mean = decisions_per_day / 86400
    avg = sum(SHAPE) / len(SHAPE)
    hours = [(f"{h:02d}h", mean * s / avg) for h, s in enumerate(SHAPE)]
    busiest = max(range(24), key=lambda h: SHAPE[h])
    return [*hours[: busiest + 1], ("burst", mean * peak), *hours[busiest + 1 :]]


class Client:
    """Open-loop HTTP/1.1 client: a pool of keep-alive connections, one request per scheduled
    time, latency measured from the schedule."""

    def __init__(self, url: str, origin: str, template: dict[str, Any]) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "", parts.port or 80, parts.path
        self.origin = origin
        self.template = template
        self.pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self.latencies: list[float] = []
        self.errors = 0
        self.kinds: dict[str, int] = {}  # what went wrong: an HTTP status or an exception

    def failed(self, kind: str) -> None:
        self.errors += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def request(self) -> bytes:
        self.template["id"] = str(uuid.uuid4())
        body = json.dumps(self.template).encode()
        return (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Origin: {self.origin}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    async def connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return self.pool.get_nowait()
        except asyncio.QueueEmpty:
            return await asyncio.open_connection(self.host, self.port)

    async def one(self, scheduled: float, fresh: bool = False) -> None:
        if fresh:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        else:
            reader, writer = await self.connection()
        try:
            writer.write(self.request())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            status = int(head[9:12])
        except (OSError, asyncio.IncompleteReadError, ValueError) as e:
            writer.close()
            if not fresh and isinstance(e, (asyncio.IncompleteReadError, ConnectionError)):
                # a pooled connection the server closed while it sat idle (keep-alive
                # timeout): the request never reached it; send it again on a new one
                await self.one(scheduled, fresh=True)
                return
            self.failed(type(e).__name__)
            return
        self.latencies.append(time.monotonic() - scheduled)
        if not 200 <= status < 300:
            self.failed(f"HTTP {status}")
        self.pool.put_nowait((reader, writer))

    async def replay(
        self, rates: list[tuple[str, float]], hour_seconds: float
    ) -> list[tuple[str, float, float]]:
        """Send at each segment's rate for `hour_seconds`; (label, target, achieved) each."""
        for _ in range(CONNECTIONS):
            self.pool.put_nowait(await asyncio.open_connection(self.host, self.port))
        tasks: list[asyncio.Task[None]] = []
        per_hour: list[tuple[str, float, float]] = []
        for label, rate in rates:
            done_before = len(self.latencies)
            start = time.monotonic()
            n = max(1, round(rate * hour_seconds))
            for i in range(n):
                at = start + i / rate if rate else start
                delay = at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(self.one(at)))
            await asyncio.gather(*tasks)
            tasks.clear()
            elapsed = time.monotonic() - start
            per_hour.append((label, rate, (len(self.latencies) - done_before) / elapsed))
        while not self.pool.empty():
            self.pool.get_nowait()[1].close()
        return per_hour


def table_bytes(database: str) -> dict[str, int]:
    """Bytes of each of the store's tables (with indexes and TOAST) in the bench's schema."""
    from bandeau.store.postgres import PostgresStore

    store = PostgresStore(database)
    try:
        with store._read("measure the tables") as cur:  # a bench reading sizes
            cur.execute(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind = 'r'",
                (store.schema,),
            )
            return {str(name): int(size) for name, size in cur.fetchall()}
    finally:
        store.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    decisions_per_day = args.page_views * args.deciding
    rates = [(label, r * args.scale) for label, r in hourly_rates(decisions_per_day, args.peak)]
    database = f"{PG}?schema=bench_scale_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="bandeau-bench-scale-") as folder:
        tmp = Path(folder)
        extra = ("--checkpoint-interval", "1")
        try:
            with bandeau_server(database, args.workers, 0, tmp, extra) as server:
                template = json.loads(server.template.read_text())
                client = Client(server.decide_url, server.origin, template)
                empty = table_bytes(database)
                cpu0 = server_cpu(server.proc.pid)[0]
                started = time.monotonic()
                per_hour = asyncio.run(client.replay(rates, args.hour_seconds))
                replay_seconds = time.monotonic() - started
                replay_cpu = server_cpu(server.proc.pid)[0] - cpu0
                replayed = len(client.latencies)
                time.sleep(2)  # the next checkpoint covers the replay
                tables = table_bytes(database)
                sustained = load(server.decide_url, 10, CONNECTIONS, server.template, server.origin)
        finally:
            from bandeau.store.postgres import PostgresStore

            store = PostgresStore(database)
            store.drop()
            store.close()
    lat = sorted(client.latencies)
    p = lambda q: lat[min(len(lat) - 1, math.ceil(q * len(lat)) - 1)] * 1000  # noqa: E731
    return {
        "workers": args.workers,
        "decisions_per_day": decisions_per_day,
        "mean_rate": decisions_per_day / 86400 * args.scale,
        "peak_rate": max(r for _, r in rates),
        "hour_seconds": args.hour_seconds,
        "replayed": replayed,
        "errors": client.errors,
        "error_kinds": client.kinds,
        "replay_seconds": replay_seconds,
        "per_hour": per_hour,
        "p50_ms": p(0.50),
        "p99_ms": p(0.99),
        "max_ms": lat[-1] * 1000,
        "replay_cpu_seconds": replay_cpu,
        "sustained_per_s": sustained,
        # what the replay added to each table (the empty schema's own pages apart)
        "tables": {name: size - empty.get(name, 0) for name, size in tables.items()},
        "db_bytes": sum(tables.values()) - sum(empty.values()),
    }


def format_report(r: dict[str, Any]) -> str:
    per_million = 1e6 / r["replayed"] if r["replayed"] else float("nan")
    day = r["decisions_per_day"] / r["replayed"] if r["replayed"] else float("nan")
    peak = max(r["per_hour"], key=lambda h: h[1])
    worst = min(r["per_hour"], key=lambda h: h[2] / h[1] if h[1] else 1)
    lines = [
        f"a publisher's day at speed: {r['decisions_per_day']:,.0f} decisions/day, mean "
        f"{r['mean_rate']:.1f}/s, peak {r['peak_rate']:.0f}/s; PostgreSQL, {r['workers']} "
        f"workers; each hour replayed in {r['hour_seconds']:g} s (scaled-down: real rates, "
        "short hours)",
        f"  replayed decisions                      {r['replayed']:,} in "
        f"{r['replay_seconds']:.0f} s, {r['errors']} errors "
        f"{json.dumps(r['error_kinds']) if r['errors'] else ''}",
        f"  peak ({peak[0]}): target {peak[1]:.0f}/s, achieved {peak[2]:.0f}/s; furthest "
        f"behind ({worst[0]}): target {worst[1]:.0f}/s, achieved {worst[2]:.0f}/s",
        f"  latency of a decision (from its scheduled start): p50 {r['p50_ms']:.0f} ms, "
        f"p99 {r['p99_ms']:.0f} ms, max {r['max_ms']:.0f} ms",
        f"  sustained maximum (closed loop, {CONNECTIONS} connections, 10 s): "
        f"{r['sustained_per_s']:,.0f} decisions/s",
        f"  server CPU during the replay: {r['replay_cpu_seconds']:.1f} s, "
        f"{r['replayed'] / r['replay_cpu_seconds']:,.0f} decisions per CPU-second"
        if r["replay_cpu_seconds"]
        else "  server CPU during the replay: not measured",
        f"  database, every table with its indexes: {r['db_bytes'] / 1e6:.1f} MB for the "
        f"replay; extrapolated (linear): {r['db_bytes'] * per_million / 1e9:.2f} GB per million "
        f"decisions, {r['db_bytes'] * day / 1e9:.1f} GB per day of this publisher",
        "  of which, per million decisions (extrapolated): "
        + ", ".join(
            f"{name} {size * per_million / 1e6:,.0f} MB"
            for name, size in sorted(r["tables"].items(), key=lambda t: -t[1])
            if size * per_million >= 1e6
        ),
    ]
    ok = r["sustained_per_s"] >= r["peak_rate"] and r["p99_ms"] <= 1000 and not r["errors"]
    lines.append(
        f"verdict: sustained maximum {r['sustained_per_s'] / r['peak_rate']:.1f}x the burst "
        f"(budget >= 1x), p99 {r['p99_ms']:.0f} ms (budget <= 1000 ms), {r['errors']} errors "
        f"(budget 0): {'ok' if ok else 'OVER'}"
    )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--hour-seconds", type=float, default=2.0)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every rate (default 1)")
    ap.add_argument("--page-views", type=float, default=50e6)
    ap.add_argument("--deciding", type=float, default=0.05)
    ap.add_argument("--peak", type=float, default=10.0, help="busiest hour / mean (default 10)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = run(args)
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    if statistics.fmean(h[2] for h in result["per_hour"]) <= 0:
        raise SystemExit("no decision was answered")


if __name__ == "__main__":
    main()
