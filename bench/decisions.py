"""Decisions per second through the real HTTP endpoint, against a no-op endpoint of the same
server (the decision route's CORS preflight, OPTIONS: routing and middleware, no work), for
SQLite and PostgreSQL, with one and two worker processes.

The figure is the ratio (budget: decisions ≥ 70 % of the no-op's throughput). The load comes
from bench/load.py in a separate process on loopback; rounds of the two endpoints alternate so
that drift hits both alike; medians are printed.

    python bench/decisions.py [--seconds 3] [--rounds 3] [--connections 32] [--no-postgres]
                              [--rate-limit N]

--rate-limit N (default 0 = off) runs the server with that limit, high enough never to refuse,
to measure the cost of counting (every request comes from one client: the worst case for the
counters' lock).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
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
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=seconds + 60)
    result = json.loads(out.stdout)
    if result["error"]:
        raise SystemExit(f"{result['error']} requests failed against {url}")
    return float(result["rps"])


def measure(
    database: str, workers: int, args: argparse.Namespace, tmp: Path
) -> tuple[float, float]:
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
    cmd = [
        sys.executable,
        "-m",
        "bandeau",
        "serve",
        "--policy",
        str(policy_file),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--rate-limit",
        str(args.rate_limit),
        "--data-dir",
        str(tmp / f"data-{port}"),
    ]
    if database:
        cmd += ["--database", database]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{origin}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        # the no-op is the decision route's CORS preflight (GET /v1/health reads the store)
        noop_url = decide_url = f"{origin}/v1/sites/lequotidien/decisions"
        load(noop_url, 1, args.connections, None, origin)  # warm up both paths
        load(decide_url, 1, args.connections, template, origin)
        noop, decide = [], []
        for _ in range(args.rounds):
            noop.append(load(noop_url, args.seconds, args.connections, None, origin))
            decide.append(load(decide_url, args.seconds, args.connections, template, origin))
        return statistics.median(noop), statistics.median(decide)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--rate-limit", type=int, default=0)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        backends = [("SQLite", "")]
        if not args.no_postgres:
            backends.append(("PostgreSQL", f"{PG}?schema=bench_{uuid.uuid4().hex[:8]}"))
        for name, database in backends:
            for workers in (1, 2):
                noop, decide = measure(database, workers, args, tmp)
                rows.append(
                    (
                        f"{name}, {workers} worker{'s' if workers > 1 else ''}",
                        f"{noop:,.0f}",
                        f"{decide:,.0f}",
                        f"{decide / noop:.0%}",
                        "≥ 70%",
                    )
                )
        if not args.no_postgres:
            from bandeau.store.postgres import PostgresStore

            store = PostgresStore(backends[1][1])
            store.drop()
            store.close()
    print(
        table(
            f"decision POST vs no-op OPTIONS preflight ({args.connections} connections, "
            f"{args.rounds} rounds of {args.seconds:g} s, medians, {os.cpu_count()} CPUs, "
            f"rate limit {args.rate_limit or 'off'})",
            ["store", "no-op req/s", "decisions/s", "ratio", "budget"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
