"""`bandeau demo` as a user runs it (issue 13): one process serves the group's two sites, the
first in three languages with the bandeau API, the second on its own origin with its banner
from that API; both sites' decisions go to the one store, each signed with its own key."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bandeau.consent import read_token
from bandeau.demo import second_host
from bandeau.demo.words import UI
from bandeau.keys import KeyRing, site_folder
from bandeau.policy import parse_extended, parse_policy

from ..live import free_port_block
from ..wire import decision_body

DEMO = Path(__file__).parents[2] / "src" / "bandeau" / "demo"


def answering(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bandeau demo exited: {log.read_text()}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer: {log.read_text()}")


def launch_demo(tmp_path: Path, attempts: int = 5) -> tuple[subprocess.Popen[bytes], int, Path]:
    """Start `bandeau demo` on four ports free a moment ago. Another program (an outgoing
    connection's ephemeral port) can take one of them before the demo binds it, so a launch that
    fails with EADDRINUSE is retried on new ports; any other failure is raised at once."""
    log = tmp_path / "demo.log"
    for _ in range(attempts):
        port = free_port_block(4, hosts={3: second_host("127.0.0.1")})
        command = [sys.executable, "-m", "bandeau", "demo", "--port", str(port)]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*command, "--data-dir", str(tmp_path / "data")],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            answering(f"http://127.0.0.1:{port}/v1/health", proc, log)
            return proc, port, log
        except RuntimeError:
            stop(proc)
            if "Address already in use" not in log.read_text():
                raise
    raise RuntimeError(f"no launch of bandeau demo found its ports free: {log.read_text()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may have exited on its own
        os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def test_bandeau_demo_serves_the_group_from_one_process(tmp_path: Path) -> None:
    proc, port, log = launch_demo(tmp_path)
    first, second = f"http://127.0.0.1:{port}", f"http://{second_host('127.0.0.1')}:{port + 3}"
    try:
        answering(second + "/", proc, log)
        assert second in log.read_text()  # the command says where the second site is
        pages = {
            "/de/": httpx.get(first + "/de/").text,
            "second": httpx.get(second + "/de/").text,
        }
        for page in pages.values():
            assert '<html lang="de">' in page and UI["de"]["comments_off_title"] in page
        assert f"{first}/v1/sites/echo/banner.js?lang=de" in pages["second"]
        health = httpx.get(first + "/v1/health").json()
        assert health["sites"] == ["echo", "lequotidien"]

        base = (DEMO / "policy.toml").read_text().replace("http://127.0.0.1:8000", first)
        for packaged, served in (("8001", port + 1), ("8002", port + 2)):
            base = base.replace(f"localhost:{packaged}", f"localhost:{served}")
        site = (DEMO / "echo.toml").read_text().replace("http://127.0.0.2:8003", second)
        answers = {}
        for name, policy, origin in (
            ("lequotidien", parse_policy(base), first),
            ("echo", parse_extended(site, base), second),
        ):
            r = httpx.post(
                f"{first}/v1/sites/{name}/decisions",
                json=decision_body(policy, "accept_all", lang="de", page="/de/"),
                headers={"Origin": origin},
            )
            assert r.status_code == 201, r.text
            answers[name] = r.json()
    finally:
        stop(proc)
    keys = tmp_path / "data" / "keys"
    for name, answer in answers.items():
        token = read_token(answer["token"], KeyRing.open(site_folder(keys, name)).public)
        assert token.site == name
