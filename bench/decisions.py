"""Decisions per second through the real HTTP endpoint, against a no-op endpoint of the same
server (the decision route's CORS preflight, OPTIONS: routing and middleware, no work), for
SQLite and PostgreSQL, with one and two worker processes.

The figure is the ratio (budget: decisions ≥ 70 % of the no-op's throughput), with a verdict;
"per CPU-s" is decisions per second of CPU used by the server's processes (all threads, all
workers and their log writer processes, from /proc) during the decision rounds: decisions/s per
core, whatever the load. The CPU columns split it: microseconds of CPU per no-op and per
decision in the server's worker processes (HTTP, routing, and what the request itself does),
and per decision in the log writer processes (checking, appending, signing, answering: on
another core). The worker's two figures give the ratio its CPU allows, steadier than
requests/s on a busy machine. The load comes from bench/load.py in a separate process on
loopback; rounds of the two endpoints alternate so that drift hits both alike; medians are
printed.

    python bench/decisions.py [--seconds 3] [--rounds 3] [--connections 32] [--no-postgres]
                              [--rate-limit N] [--workers 1 2] [--log-writer process thread]

--rate-limit N (default 0 = off) runs the server with that limit, high enough never to refuse,
to measure the cost of counting (every request comes from one client: the worst case for the
counters' lock).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bandeau.policy import parse_policy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from common import table  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) used so far by process `pid` and all its descendants (the
    workers and their log writer processes), from /proc; and the share of the log writer
    processes (`bandeau.server.writerprocess`)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, total, writers = {pid}, 0.0, 0.0
    for _ in range(4):  # parents before children: a few passes reach every level
        tree |= {p for p, (ppid, _) in stats.items() if ppid in tree}
    for p in tree:
        used = stats.get(p, (0, 0.0))[1]
        total += used
        if p != pid and _is_log_writer(p):
            writers += used
    return total, writers


def _is_log_writer(pid: int) -> bool:
    try:
        return b"writerprocess" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


LOAD_CPU: list[float] = []
"""CPU seconds of each run of bench/load.py, in order (the load generator shares the machine)."""


def load(url: str, seconds: float, connections: int, post: Path | None, origin: str) -> float:
    """Requests per second: POSTs of the `post` template, or else the no-op, a CORS preflight
    (OPTIONS with the page's Origin): the same routing and middleware as a decision, no work."""
    args = [
        sys.executable,
        str(ROOT / "bench" / "load.py"),
        url,
        "--seconds",
        str(seconds),
        "--connections",
        str(connections),
    ]
    args += ["--post", str(post)] if post else ["--method", "OPTIONS"]
    args += ["--origin", origin]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LOAD_CPU.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    result = json.loads(out.stdout)
    if result["error"]:
        raise SystemExit(f"{result['error']} requests failed against {url}")
    return float(result["rps"])


@dataclass
class Server:
    """A `bandeau serve` process tree for the demo policy, on loopback."""

    proc: subprocess.Popen[bytes]
    origin: str
    template: Path
    """a decision body (refuse all, every purpose answered) for bench/load.py's --post"""
    data_dir: Path

    @property
    def decide_url(self) -> str:
        return f"{self.origin}/v1/sites/lequotidien/decisions"


@contextmanager
def bandeau_server(
    database: str, workers: int, rate_limit: int, tmp: Path, extra: Sequence[str] = ()
) -> Iterator[Server]:
    """`bandeau serve` with `workers` processes on a free port, until exit (SIGTERM)."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    text = (ROOT / "src/bandeau/demo/policy.toml").read_text()
    policy_file = tmp / f"site-{port}.toml"
    policy_file.write_text(text.replace("http://127.0.0.1:8000", origin))
    policy = parse_policy(policy_file.read_text())
    template = tmp / f"body-{port}.json"
    template.write_text(
        json.dumps(
            {
                "id": "",
                "action": "refuse_all",
                "layer": "first",
                "control": "refuse_all",
                "lang": "fr",
                "page": "/",
                "choices": {
                    p.key: {"granted": p.kind != "consent", "digest": p.digest}
                    for p in policy.purposes
                    if p.kind != "strictly_necessary"
                },
            }
        )
    )
    data_dir = tmp / f"data-{port}"
    cmd = [
        *(sys.executable, "-m", "bandeau", "serve", "--policy", str(policy_file)),
        *("--port", str(port), "--workers", str(workers), "--rate-limit", str(rate_limit)),
        *("--data-dir", str(data_dir), *extra),
    ]
    if database:
        cmd += ["--database", database]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 180  # workers start slowly on a busy machine
        while True:
            try:
                if httpx.get(f"{origin}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        yield Server(proc, origin, template, data_dir)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


@dataclass
class Measured:
    noop: float  # req/s, median
    decide: float  # decisions/s, median
    per_core: float  # decisions per CPU-second of the whole server
    noop_us: float  # worker CPU per no-op request
    decide_us: float  # worker CPU per decision
    writer_us: float  # log writer processes' CPU per decision
    load_noop_us: float  # the load generator's CPU per no-op request
    load_decide_us: float  # and per decision


def measure(database: str, workers: int, args: argparse.Namespace, tmp: Path) -> Measured:
    """One server's figures, rounds of the no-op and of decisions alternating."""
    extra = ("--log-writer", args.log_writer_now)
    with bandeau_server(database, workers, args.rate_limit, tmp, extra) as server:
        origin = server.origin
        # the no-op is the decision route's CORS preflight (GET /v1/health reads the store)
        noop_url = decide_url = server.decide_url
        load(noop_url, 1, args.connections, None, origin)  # warm up both paths
        load(decide_url, 1, args.connections, server.template, origin)
        noop, decide = [], []
        cpu = writer = noop_cpu = load_noop = load_decide = 0.0
        for _ in range(args.rounds):
            before, _ = server_cpu(server.proc.pid)
            noop.append(load(noop_url, args.seconds, args.connections, None, origin))
            after, _ = server_cpu(server.proc.pid)
            noop_cpu += after - before
            load_noop += LOAD_CPU[-1]
            before, writer_before = server_cpu(server.proc.pid)
            decide.append(load(decide_url, args.seconds, args.connections, server.template, origin))
            after, writer_after = server_cpu(server.proc.pid)
            cpu += after - before
            writer += writer_after - writer_before
            load_decide += LOAD_CPU[-1]
        decisions = sum(decide) * args.seconds
        requests = sum(noop) * args.seconds
        return Measured(
            statistics.median(noop),
            statistics.median(decide),
            decisions / cpu if cpu else float("nan"),
            noop_cpu / requests * 1e6,
            (cpu - writer) / decisions * 1e6,
            writer / decisions * 1e6,
            load_noop / requests * 1e6,
            load_decide / decisions * 1e6,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--rate-limit", type=int, default=0)
    ap.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts to measure"
    )
    ap.add_argument(
        "--log-writer",
        nargs="+",
        choices=("process", "thread"),
        default=["process"],
        help="the server's log_writer setting(s) to measure (default: process, the default)",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rows = measure_all(args, Path(folder))
    print(
        table(
            f"decision POST vs no-op OPTIONS preflight ({args.connections} connections, "
            f"{args.rounds} rounds of {args.seconds:g} s, medians, {os.cpu_count()} CPUs, "
            f"rate limit {args.rate_limit or 'off'}, load average "
            f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end)",
            [
                "store",
                "no-op req/s",
                "decisions/s",
                "ratio",
                "budget",
                "verdict",
                "per CPU-s",
                "worker µs/no-op",
                "worker µs/decision",
                "ratio by CPU",
                "writer µs/decision",
            ],
            rows,
        )
    )
    for line in LOAD_LINES:
        print(line)


LOAD_LINES: list[str] = []
"""What the load generator used, a line per configuration, printed under the table."""


def measure_all(args: argparse.Namespace, tmp: Path) -> list[tuple[str, ...]]:
    """A row per store, worker count and log writer setting."""
    rows: list[tuple[str, ...]] = []
    backends = [("SQLite", "")]
    if not args.no_postgres:
        backends.append(("PostgreSQL", f"{PG}?schema=bench_{uuid.uuid4().hex[:8]}"))
    try:
        for name, database in backends:
            for workers in args.workers:
                for mode in args.log_writer:
                    args.log_writer_now = mode
                    label = f"{name}, {workers} worker{'s' if workers > 1 else ''}"
                    label += f", {mode}" if len(args.log_writer) > 1 else ""
                    rows.append(row(label, database, workers, args, tmp))
    finally:
        if not args.no_postgres:
            from bandeau.store.postgres import PostgresStore

            store = PostgresStore(backends[1][1])
            store.drop()
            store.close()
    return rows


def row(
    label: str, database: str, workers: int, args: argparse.Namespace, tmp: Path
) -> tuple[str, ...]:
    try:
        m = measure(database, workers, args, tmp)
    except SystemExit as e:  # one configuration that cannot run: say so, go on
        return (label, "n/a", "n/a", "n/a", "≥ 70%", str(e), "", "", "", "", "")
    ratio = m.decide / m.noop
    LOAD_LINES.append(
        f"{label}: the load generator used {m.load_noop_us:,.0f} µs of CPU per no-op and "
        f"{m.load_decide_us:,.0f} per decision (on the same CPUs as the server)"
    )
    return (
        label,
        f"{m.noop:,.0f}",
        f"{m.decide:,.0f}",
        f"{ratio:.0%}",
        "≥ 70%",
        "ok" if ratio >= 0.7 else f"MISSED by {0.7 - ratio:.0%}",
        f"{m.per_core:,.0f}",
        f"{m.noop_us:,.0f}",
        f"{m.decide_us:,.0f}",
        f"{m.noop_us / m.decide_us:.0%}",
        f"{m.writer_us:,.0f}",
    )


if __name__ == "__main__":
    main()
