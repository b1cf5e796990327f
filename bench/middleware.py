"""Benchmark: the cost of bandeau's middleware on a hello-world app (DESIGN §7: ≤ 5 % loss;
issue 9: ≤ 15 % with HTML rewriting).

    .venv/bin/python bench/middleware.py [--rounds 5] [--seconds 3] [--connections 8]
                                         [--apps asgi,wsgi] [--compare SRC]

Eight servers, each in its own process, on loopback: a raw ASGI hello-world app and a WSGI one,
each bare, bare again in a second process (the A/A pair: the noise floor of the comparison),
behind the middleware, and behind the middleware with HTML rewriting and banner insertion on.
All are served by uvicorn (h11, one worker); the WSGI app through uvicorn's WSGI adapter, since
no dedicated WSGI server is installed (wsgiref is single-threaded and slow). A separate load
process drives each server in turn with keep-alive connections over raw sockets, for a bounded
time, as a reader who refused everything (a signed consent cookie, so the signature check,
Set-Cookie stripping and the gating of a third-party script all happen). Rounds are
interleaved: in each, an app's four variants run one after the other, in an order that rotates
from round to round, to cancel drift; the table shows medians, and each verdict the median of
the rounds' paired losses (a variant against its bare app of the same round), in requests/s,
the budget's metric, with the server's CPU time per request beside it. Last, the rewriter alone
on a 42 KB article page, in-process: its speed in MB/s of HTML.

`--compare SRC` also serves the middleware variants from another copy of bandeau's `src`
folder (e.g. `git archive BASE src | tar -x -C /tmp/base`), as `+mw@base` and
`+mw+rewrite@base`, in the same rounds: a before/after in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGE = b"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Hello</title></head>
<body><h1>Hello, world</h1><p>A tiny page.</p>
<script src="http://localhost:8001/widget.js" async></script>
</body></html>
"""
HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"set-cookie", b"_ad_id=1; Path=/"),
]
KINDS = ("asgi", "wsgi")
SUFFIXES = ("", "+aa", "+mw", "+mw+rewrite")  # bare, bare again (A/A), middleware, + rewriting
VARIANTS = tuple(kind + suffix for kind in KINDS for suffix in SUFFIXES)
BUDGETS = {"+aa": None, "+mw": 0.05, "+mw+rewrite": 0.15}
LABELS = {"+aa": "A/A (bare again)", "+mw": "middleware", "+mw+rewrite": "+ HTML rewriting"}
BASE = "@base"  # a variant served from the `--compare` copy of bandeau


# ---------------------------------------------------------------- the apps


async def asgi_hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    length = str(len(PAGE)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [*HEADERS, (b"content-length", length)],
        }
    )
    await send({"type": "http.response.body", "body": PAGE})


def wsgi_hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    headers = [(k.decode(), v.decode()) for k, v in HEADERS]
    start_response("200 OK", [*headers, ("Content-Length", str(len(PAGE)))])
    return [PAGE]


def build(variant: str, key_pem: str) -> Any:
    from bandeau.keys import PublicKey
    from bandeau.middleware import BandeauMiddleware, BandeauWSGIMiddleware
    from bandeau.policy import load_policy

    kind, *extras = variant.removesuffix(BASE).split("+")
    app: Any = asgi_hello if kind == "asgi" else wsgi_hello
    if "mw" not in extras:  # bare, or bare again for the A/A pair
        return app
    options: dict[str, Any] = {
        "policy": load_policy(ROOT / "src" / "bandeau" / "demo" / "policy.toml"),
        "public_keys": PublicKey.from_text(key_pem),
    }
    if "rewrite" in extras:
        options.update(
            rewrite_html=True, insert_banner=True, banner_url="http://127.0.0.1:8000/v1/sites/lq"
        )
    middleware = BandeauMiddleware if kind == "asgi" else BandeauWSGIMiddleware
    return middleware(app, **options)


def serve(variant: str, port: int, key_pem: str) -> None:
    import uvicorn

    warnings.simplefilter("ignore")  # uvicorn's WSGI adapter is deprecated; fine for a bench
    uvicorn.run(
        build(variant, key_pem),
        host="127.0.0.1",
        port=port,
        http="h11",
        loop="asyncio",
        lifespan="off",
        access_log=False,
        log_level="warning",
        interface="wsgi" if variant.startswith("wsgi") else "asgi3",
    )


# ---------------------------------------------------------------- the load process


async def _client(port: int, request: bytes, stop: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    try:
        while time.perf_counter() < stop:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = -1
            chunked = False
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
            if chunked:
                while True:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            elif length > 0:
                await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.decode("latin-1"))
            done += 1
    finally:
        counts.append(done)
        writer.close()


async def _load(port: int, cookie: str, seconds: float, connections: int) -> tuple[float, int]:
    request = (
        f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
        "User-Agent: bandeau-bench\r\n\r\n"
    ).encode()
    warm: list[int] = []
    await asyncio.gather(
        *(_client(port, request, time.perf_counter() + 0.5, warm) for _ in range(connections))
    )
    counts: list[int] = []
    start = time.perf_counter()
    await asyncio.gather(
        *(_client(port, request, start + seconds, counts) for _ in range(connections))
    )
    return sum(counts) / (time.perf_counter() - start), sum(counts) + sum(warm)


def load(port: int, cookie: str, seconds: float, connections: int) -> None:
    rps, requests = asyncio.run(_load(port, cookie, seconds, connections))
    print(json.dumps({"rps": rps, "requests": requests}))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- the orchestrator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on {port} did not start")


def launch(command: list[str], pem: str, env: dict[str, str]) -> tuple[int, Any]:
    """A server started on a free port, retried on another when the port was taken between
    the pick and the bind (other programs on the machine pick ports too): a server that exits
    within a second of answering lost that race, and what answered was someone else's."""
    for _ in range(5):
        port = free_port()
        process = subprocess.Popen([*command, str(port), pem], env=env)
        try:
            wait_for(port, process)
            time.sleep(1.0)
        except RuntimeError:
            pass
        if process.poll() is None:
            return port, process
        process.wait()
    raise RuntimeError(f"{command[-1]}: no port could be bound")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--apps", default="asgi,wsgi", help="comma-separated: asgi, wsgi")
    parser.add_argument(
        "--compare", default="", help="a src folder of another bandeau, served as +mw@base too"
    )
    args = parser.parse_args()
    kinds = [k for k in KINDS if k in args.apps.split(",")]
    variants = [v for v in VARIANTS if v.split("+")[0] in kinds]
    if args.compare:
        variants += [v + BASE for v in variants if "+mw" in v]

    from bandeau.consent import issue_token
    from bandeau.keys import KeyRing
    from bandeau.policy import load_policy

    policy = load_policy(ROOT / "src" / "bandeau" / "demo" / "policy.toml")
    keys = KeyRing.generate()
    choices = {
        p.key: (p.key == "audience", p.digest)
        for p in policy.purposes
        if p.kind != "strictly_necessary"
    }
    token = issue_token(
        keys,
        site=policy.site,
        consent_id="bench-reader",
        choices=choices,
        issued_at=int(time.time()),
        lifetime_days=183,
    )
    cookie = f"_ga=GA1.1.1; bandeau={token}"
    me = str(Path(__file__).resolve())
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    results: dict[str, list[float]] = {v: [] for v in variants}
    cpu: dict[str, list[float]] = {v: [] for v in variants}
    with tempfile.TemporaryDirectory() as tmp:
        pem = Path(tmp) / "public.pem"
        pem.write_text(keys.current.pem())
        try:
            start = [sys.executable, me, "serve"]
            for variant in variants:
                served = env
                if variant.endswith(BASE):
                    served = {**env, "PYTHONPATH": str(Path(args.compare).resolve())}
                servers[variant] = launch([*start, variant], str(pem), served)
            for r in range(args.rounds):
                order = round_order(r, kinds, compare=bool(args.compare))
                for variant in order:
                    port, server = servers[variant]
                    before = cpu_seconds(server.pid)
                    out = subprocess.run(
                        [
                            sys.executable,
                            me,
                            "load",
                            str(port),
                            cookie,
                            str(args.seconds),
                            str(args.connections),
                        ],
                        check=True,
                        capture_output=True,
                        timeout=args.seconds + 60,
                        env=env,
                    )
                    measured = json.loads(out.stdout)
                    results[variant].append(measured["rps"])
                    used = cpu_seconds(server.pid) - before
                    cpu[variant].append(used / measured["requests"] * 1e6)
                print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            for _, process in servers.values():
                process.terminate()
            for _, process in servers.values():
                process.wait(timeout=10)
    report(results, cpu, args, kinds)
    print(rewriter_speed())


def round_order(r: int, kinds: list[str], *, compare: bool = False) -> list[str]:
    """Round `r`'s order: each app's four variants (six with `compare`) one after the other (so
    a variant and its bare app are measured seconds apart), rotated from round to round, and the
    apps alternating which goes first."""
    suffixes = [*SUFFIXES, *(s + BASE for s in SUFFIXES if compare and "+mw" in s)]
    order: list[str] = []
    for kind in kinds if r % 2 == 0 else kinds[::-1]:
        group = [kind + suffix for suffix in suffixes]
        k = r % len(group)
        order += group[k:] + group[:k]
    return order


def report(
    results: dict[str, list[float]],
    cpu: dict[str, list[float]],
    args: argparse.Namespace,
    kinds: list[str],
) -> None:
    print(
        f"\nbandeau middleware on a hello-world app: requests/s, median of {args.rounds} "
        f"interleaved rounds of {args.seconds:g} s, {args.connections} keep-alive connections, "
        f"{os.cpu_count()} CPUs\n"
    )
    print(
        f"| {'variant':<21} | {'req/s':>7} | {'min':>7} | {'max':>7} | {'vs bare':>7} "
        f"| {'server CPU us/req':>17} | {'CPU vs bare':>11} |"
    )
    print(f"|{'-' * 23}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 19}|{'-' * 13}|")
    for variant in results:
        runs = results[variant]
        median = statistics.median(runs)
        kind = variant.split("+")[0]
        bare = statistics.median(results[kind])
        per_request = statistics.median(cpu[variant])
        cpu_ratio = statistics.median(cpu[kind]) / per_request
        print(
            f"| {variant:<21} | {median:>7.0f} | {min(runs):>7.0f} | {max(runs):>7.0f} "
            f"| {median / bare:>7.3f} | {per_request:>17.0f} | {cpu_ratio:>11.3f} |"
        )
    print(
        "\n'vs bare' compares requests/s; 'CPU vs bare' compares the server's CPU time per "
        "request\n(bare / variant: the throughput ratio of a CPU-bound server, robust to a busy "
        "machine). '+aa' is the bare app again, in its own server: its loss is noise."
    )
    for kind in kinds:
        # the verdicts use the budgets' own metric, requests/s lost, as the median of each
        # round's loss against the bare app measured in the same round (a pair taken a few
        # seconds apart), which a machine whose load moves between rounds disturbs far less
        # than the ratio of two medians; the A/A pair says how large that noise still is
        bare_cpu = statistics.median(cpu[kind])
        print(f"\n{kind.upper()} (hello world: {bare_cpu:.0f} us of server CPU a request)")
        for suffix, budget in [*BUDGETS.items(), *((s + BASE, b) for s, b in BUDGETS.items())]:
            if kind + suffix not in results:
                continue
            losses = [1 - v / b for b, v in zip(results[kind], results[kind + suffix], strict=True)]
            loss = statistics.median(losses)
            extra = statistics.median(cpu[kind + suffix]) - bare_cpu
            verdict = (
                "the noise floor"
                if budget is None
                else f"budget <= {budget:.0%}: {'ok' if loss <= budget else 'OVER'}"
            )
            label = LABELS[suffix.removesuffix(BASE)] + (" (base)" if suffix.endswith(BASE) else "")
            print(
                f"  {label:<24} loses {loss:>6.1%} of the requests/s ({verdict}); "
                f"rounds {min(losses):.1%} to {max(losses):.1%}; server CPU {extra:+.0f} us "
                "a request"
            )
    print(f"\nload average {', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")


def rewriter_speed() -> str:
    """The rewriter alone, in-process: a reader who refused everything, a 42 KB article page
    (bench/pages/article.html, its body ten times), CPU time, best of 5."""
    from bandeau.keys import KeyRing
    from bandeau.middleware.options import Options
    from bandeau.policy import load_policy

    options = Options(
        policy=load_policy(ROOT / "src" / "bandeau" / "demo" / "policy.toml"),
        public_keys=KeyRing.generate().public,
        rewrite_html=True,
        insert_banner=True,
        banner_url="http://127.0.0.1:8000/v1/sites/lq",
    )
    reading = options.enforcer.read([], [], int(time.time()))
    head, _, rest = (ROOT / "bench" / "pages" / "article.html").read_bytes().partition(b"<body>")
    body, _, tail = rest.partition(b"</body>")
    page = head + b"<body>" + body * 10 + b"</body>" + tail
    best = math.inf
    for _ in range(5):
        start = time.thread_time()
        for _ in range(20):
            rewriting = options.page(
                reading, status=200, content_type="text/html", content_encoding="", csp=""
            )
            assert rewriting is not None
            rewriting.feed(page)
            rewriting.close()
        best = min(best, (time.thread_time() - start) / 20)
    return (
        f"HTML rewriter alone (in-process, a {len(page) // 1000} KB article page, CPU time): "
        f"{best * 1e3:.2f} ms a page, {len(page) / best / 1e6:.0f} MB/s"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]).read_text())
    elif len(sys.argv) > 1 and sys.argv[1] == "load":
        load(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
