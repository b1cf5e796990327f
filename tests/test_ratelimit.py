"""Rate limiting: who the client is behind trusted proxies, and one count for the whole server
(all its worker processes), over real HTTP against `bandeau serve`."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from ipaddress import ip_network
from pathlib import Path

import pytest

from bandeau.ratelimit import MinuteCounters, client_address

from .served import Served, bandeau_serve

PROXIES = (ip_network("10.0.0.0/8"), ip_network("2001:db8:1::/48"))


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("203.0.113.7", ["198.51.100.1"], "203.0.113.7"),  # untrusted peer: header ignored
        ("203.0.113.7", [], "203.0.113.7"),
        ("10.0.0.2", [], "10.0.0.2"),  # a trusted proxy sending its own request
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["192.0.2.66, 198.51.100.1"], "198.51.100.1"),  # client-written left part
        ("10.0.0.2", ["198.51.100.1, 10.0.0.9"], "198.51.100.1"),  # a chain of trusted proxies
        ("10.0.0.2", ["192.0.2.66", "198.51.100.1"], "198.51.100.1"),  # two header lines
        ("10.0.0.2", ["10.0.0.8, 10.0.0.9"], "10.0.0.8"),  # every hop trusted: the leftmost
        ("10.0.0.2", ["198.51.100.1, unknown"], "unknown"),  # not an address: not trusted
        ("::ffff:10.0.0.2", ["198.51.100.1"], "198.51.100.1"),  # IPv4-mapped peer
        ("2001:db8:1::5", ["[2001:db8:2::9]:443"], "2001:db8:2::9"),
        ("10.0.0.2", ["198.51.100.1:5555"], "198.51.100.1"),
        ("-", ["198.51.100.1"], "-"),  # no peer address (unix socket)
    ],
)
def test_client_address(peer: str, forwarded_for: list[str], client: str) -> None:
    assert client_address(peer, forwarded_for, PROXIES) == client


def test_no_trusted_proxy_means_the_header_is_never_read() -> None:
    assert client_address("10.0.0.2", ["198.51.100.1"], ()) == "10.0.0.2"


def test_counters_are_shared_through_the_file(tmp_path: Path) -> None:
    """Two openings of the file (as two workers have) add to the same counts."""
    first, second = MinuteCounters(tmp_path / "c"), MinuteCounters(tmp_path / "c")
    try:
        assert [first.add("a", 100), second.add("a", 100), first.add("a", 100)] == [1, 2, 3]
        assert second.add("b", 100) == 1
        assert first.add("a", 101) == 1  # a new minute starts from zero
        assert second.add("a", 101) == 2
    finally:
        first.close()
        second.close()
    reopened = MinuteCounters(tmp_path / "c")
    assert reopened.add("a", 101) == 3
    reopened.close()
    assert (tmp_path / "c").stat().st_mode & 0o777 == 0o600


def test_a_full_table_says_so_and_frees_itself_the_next_minute(tmp_path: Path) -> None:
    counters = MinuteCounters(tmp_path / "c", slots=4)
    try:
        assert [counters.add(c, 7) for c in "abcd"] == [1, 1, 1, 1]
        assert [counters.add(c, 7) for c in "abcd"] == [2, 2, 2, 2]  # colliding keys probed
        assert counters.add("e", 7) is None
        assert counters.add("e", 8) == 1
    finally:
        counters.close()


# ------------------------------------------------------------------ over HTTP


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory: pytest.TempPathFactory, policy_text: str) -> Iterator[Served]:
    """Two workers, limit 3 a minute, the loopback trusted as a proxy: given as flags, over
    BANDEAU_* variables that say otherwise (what the workers see is the flags)."""
    tmp = tmp_path_factory.mktemp("proxied")
    misleading = {
        "BANDEAU_RATE_LIMIT": "1000",
        "BANDEAU_DATA_DIR": str(tmp / "not-this-one"),
        "BANDEAU_TRUSTED_PROXIES": "",
    }
    with bandeau_serve(
        tmp,
        policy_text,
        *("--workers", "2", "--rate-limit", "3", "--trusted-proxies", "127.0.0.1"),
        *("--data-dir", str(tmp / "data")),
        env=misleading,
    ) as served:
        for conn in served.connection_to_each_worker(2).values():  # both workers are up
            conn.close()
        yield served


def fresh_minute(margin: float = 15.0) -> None:
    """Counts restart each minute: start a burst early enough in one that it ends in it.
    (Call it before opening the burst's connections: an idle one is closed after 5 s.)"""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.5)


def test_the_limit_holds_for_the_server_not_per_worker(behind_proxy: Served) -> None:
    fresh_minute()
    a, b = behind_proxy.connection_to_each_worker(2).values()
    statuses = [behind_proxy.decide(conn, "198.51.100.20")[0] for conn in (a, a, b, b, a)]
    assert statuses == [201, 201, 201, 429, 429]
    status, body = behind_proxy.decide(b, "198.51.100.21")  # another client: its own bucket
    assert status == 201, body


def test_clients_behind_a_trusted_proxy_have_their_own_bucket(behind_proxy: Served) -> None:
    fresh_minute()
    conn = behind_proxy.connect()
    assert [behind_proxy.decide(conn, "198.51.100.30")[0] for _ in range(3)] == [201] * 3
    status, body = behind_proxy.decide(conn, "198.51.100.30")
    assert status == 429 and body["error"]["code"] == "rate_limited"
    # what the client wrote to the left of the proxy's entry does not make it someone else
    assert behind_proxy.decide(conn, "192.0.2.1, 198.51.100.30")[0] == 429
    assert behind_proxy.decide(conn, "198.51.100.31")[0] == 201


def test_every_worker_serves_the_settings_given_as_flags(
    behind_proxy: Served, tmp_path: Path
) -> None:
    """`--data-dir` and `--rate-limit` reach each worker: each signs with the key kept in
    DATA_DIR (the one `bandeau keys show --data-dir` prints) and stops a client at 3."""
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "bandeau",
            "keys",
            "show",
            "--data-dir",
            str(behind_proxy.cwd / "data"),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    key_id = shown.split()[3]
    fresh_minute()
    for pid, conn in behind_proxy.connection_to_each_worker(2).items():
        assert behind_proxy.get(conn, "/v1/keys")["current"] == key_id, pid
        client = f"198.51.100.{40 + pid % 100}"
        statuses = [behind_proxy.decide(conn, client)[0] for _ in range(4)]
        assert statuses == [201, 201, 201, 429], pid
    assert not (behind_proxy.cwd / "not-this-one").exists()


def test_an_untrusted_peer_cannot_choose_its_bucket(tmp_path: Path, policy_text: str) -> None:
    """No trusted proxy configured: X-Forwarded-For is ignored (uvicorn's own proxy-header
    handling, which trusts the loopback by default, is off too)."""
    with bandeau_serve(
        tmp_path, policy_text, "--rate-limit", "2", "--data-dir", str(tmp_path / "data")
    ) as served:
        fresh_minute()
        conn = served.connect()
        statuses = [served.decide(conn, f"198.51.100.{n}")[0] for n in range(50, 53)]
        assert statuses == [201, 201, 429]
