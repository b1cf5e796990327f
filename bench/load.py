"""A small HTTP/1.1 load generator, run as its own process: keep-alive connections on loopback,
each sending requests back to back for a fixed time. Prints one JSON line of counts.

    python bench/load.py URL --seconds 3 --connections 32 [--post TEMPLATE.json --origin O]

With --post, each request POSTs the template with a fresh "id" (a UUID), as the banner does,
spliced into the request's bytes encoded once (`post_maker`): the generator shares the
server's CPUs, so what it spends per request is kept small, and the same for every endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit


async def worker(
    host: str, port: int, make: object, deadline: float, counts: dict[str, int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < deadline:
            writer.write(make())  # type: ignore[operator]
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            counts["ok" if 200 <= status < 300 else "error"] += 1
    finally:
        writer.close()


def post_maker(template_path: str, head: str) -> Callable[[], bytes]:
    """A function that returns the POST of the template, each time with a new id: the request
    is encoded once, and each call splices a new id into its bytes (the body's length never
    changes). The id is a UUID: a random prefix drawn once, then a 12-hex-digit counter."""
    with open(template_path, encoding="utf-8") as f:
        template = json.load(f)
    prefix, counter = str(uuid.uuid4())[:24], itertools.count(1)
    template["id"] = prefix + "0" * 12
    body = json.dumps(template).encode()
    request = (
        f"{head}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    at = request.index(template["id"].encode()) + len(prefix)
    before, after = request[:at], request[at + 12 :]

    def make() -> bytes:
        return b"%b%012x%b" % (before, next(counter), after)

    return make


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("url")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--post", help="JSON template of the body to POST")
    ap.add_argument("--origin", default="")
    ap.add_argument("--method", choices=("GET", "OPTIONS"), default="GET")
    args = ap.parse_args()
    parts = urlsplit(args.url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    if not host.startswith("127.") and host != "localhost":
        raise SystemExit("load.py only sends to loopback addresses")
    origin = f"Origin: {args.origin}\r\n" if args.origin else ""
    if args.post:
        make = post_maker(args.post, f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{origin}")
    else:
        request = f"{args.method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{origin}\r\n".encode()

        def make() -> bytes:
            return request

    counts = {"ok": 0, "error": 0}

    async def run() -> float:
        start = time.monotonic()
        deadline = start + args.seconds
        await asyncio.gather(
            *(worker(host, port, make, deadline, counts) for _ in range(args.connections))
        )
        return time.monotonic() - start

    elapsed = asyncio.run(run())
    print(json.dumps({**counts, "seconds": elapsed, "rps": counts["ok"] / elapsed}))


if __name__ == "__main__":
    main()
