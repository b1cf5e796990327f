"""How many decisions a client may send: `rate_limit` a minute to each site of the server (and
as many receipts and proofs, counted apart). Each site counts its own: a client at the limit on
one site of a group is not limited on the others.

Two questions, one function each:

- **Who is the client?** (`client_address`) The peer address of the connection, unless that
  peer is one of the configured `trusted_proxies`: then the client is the rightmost address of
  `X-Forwarded-For` that is not itself a trusted proxy. The header is never read otherwise,
  since anyone can send it; and only the part added by trusted proxies is believed, since a
  client can put anything to the left of it.
- **How many has it sent this minute?** (`MinuteCounters`) Counted in one table shared by every
  worker process of the server, so that the limit holds per client for the server as a whole,
  not per process. Fixed one-minute windows.

Why a memory-mapped file under `flock`, in the data folder, rather than the database: a
counter is updated on every decision, before the decision is even read. In the database that
update would be one more write per decision: with SQLite it would wait for the one write lock
the group commit holds through its fsync, with PostgreSQL it would be a round trip. A small
SQLite file of its own was measured side by side on the 2-CPU test machine: about 35 µs a hit
(this table: about 10 µs), and with two workers its busy handler slept on the event loop for
up to 230 ms. Here a worker waits only for another's few-microsecond update, woken by the
kernel, never polling; the whole `RateLimiter.allow` costs about 16 µs, a fifth of the
decision's Ed25519 signature. Counts are not durable and need not be: a crash forgets at most
one minute of counting. The file holds 64-bit hashes of client addresses, never the addresses,
and a slot is reused once its minute is over. The limit is per server (one machine and its data
folder); several machines behind a load balancer each count their own.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import ipaddress
import logging
import mmap
import os
import struct
import threading
import time
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .settings import Settings

__all__ = ["COUNTERS_FILE", "MinuteCounters", "RateLimiter", "client_address"]

logger = logging.getLogger(__name__)

COUNTERS_FILE = "rate-limit.counters"  # in the data folder

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


def parse_address(text: str) -> Address | None:
    """An IP address as peers and proxies write it (`1.2.3.4`, `1.2.3.4:80`, `[::1]:80`,
    IPv4-mapped IPv6 folded to IPv4), or None when it is not one."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=4096)
def _hop(text: str, proxies: tuple[Network, ...]) -> tuple[str, bool]:
    """One address as written, normalised (or as is when it is not one), and whether it is a
    trusted proxy. Cached: the same few proxies and clients come back on every request, and
    parsing an address costs more than the rest of the limiter's work."""
    address = parse_address(text)
    if address is None:
        return text.strip(), False
    return str(address), any(address in network for network in proxies)


def client_address(peer: str, forwarded_for: Iterable[str], proxies: tuple[Network, ...]) -> str:
    """The client a request counts for.

    `peer` is the connection's remote address, `forwarded_for` every `X-Forwarded-For` header
    line of the request, `proxies` the trusted proxies. An untrusted peer is the client, header
    or not. Behind trusted proxies the client is the rightmost forwarded address that is not a
    trusted proxy (an entry that is not an address counts as untrusted: it is what that
    proxy received); when every entry is a trusted proxy, the leftmost one.
    """
    if not proxies:
        return peer
    client, trusted = _hop(peer, proxies)
    if not trusted:
        return client
    hops = [hop for line in forwarded_for for hop in line.split(",") if hop.strip()]
    for hop in reversed(hops):
        client, trusted = _hop(hop, proxies)
        if not trusted:
            return client
    return _hop(hops[0], proxies)[0] if hops else client


class MinuteCounters:
    """Hits per client and minute, in a table of fixed size shared through a file.

    Each slot holds (hash of the client, minute, count), 16 bytes. A client's slot is found by
    linear probing from its hash. A slot of an earlier minute is free: within one minute slots
    are only ever taken, never freed, so a client's slot always comes before the first free
    one on its probe path, and the first free slot is where a new client goes.
    """

    SLOT = struct.Struct("<QII")
    PROBES = 64  # slots looked at before giving up (a table this full is a flood)

    def __init__(self, path: Path, slots: int = 1 << 17) -> None:
        self.path = path
        self.slots = slots
        size = slots * self.SLOT.size
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                if os.fstat(self._fd).st_size < size:  # made here, or by another worker
                    os.ftruncate(self._fd, size)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._table = mmap.mmap(self._fd, size)
        except OSError:
            os.close(self._fd)
            raise
        self._thread_lock = threading.Lock()  # flock does not exclude threads sharing a file

    def add(self, client: str, minute: int) -> int | None:
        """Count one hit of `client` in `minute`; return its count so far, or None when the
        table has no room for it (so many clients in one minute that its probe path is full)."""
        key = int.from_bytes(hashlib.blake2b(client.encode(), digest_size=8).digest(), "little")
        with self._thread_lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # orders the workers
            try:
                return self._count(key, minute)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self._table.close()
        os.close(self._fd)

    def _count(self, key: int, minute: int) -> int | None:
        """The probe, under the lock."""
        for probe in range(min(self.PROBES, self.slots)):
            offset = (key + probe) % self.slots * self.SLOT.size
            slot_key, slot_minute, count = self.SLOT.unpack_from(self._table, offset)
            if slot_minute != minute:
                self.SLOT.pack_into(self._table, offset, key, minute, 1)
                return 1
            if slot_key == key:
                self.SLOT.pack_into(self._table, offset, key, minute, count + 1)
                return int(count) + 1
        return None


class RateLimiter:
    """`per_minute` decisions a minute per client (0 = no limit), counted in `path`.

    The counters file is opened on the first hit, so that an app that records nothing (or
    has no limit) leaves nothing in the data folder. When the counters cannot be used (the file
    cannot be opened, or the table is full) the request is let through and the failure logged:
    recording a reader's choice matters more than the limit.
    """

    def __init__(self, per_minute: int, proxies: Iterable[Network], path: Path) -> None:
        self.per_minute = per_minute
        self.proxies = tuple(proxies)
        self.path = path
        self._counters: MinuteCounters | None = None
        self._open_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(settings.rate_limit, settings.trusted_proxies, settings.data_dir / COUNTERS_FILE)

    def allow(self, peer: str, forwarded_for: Iterable[str], bucket: str = "") -> bool:
        """Count this request; False when its client is over the limit for this minute.

        Every route that is limited asks here, so the client is always the same address
        (`client_address`). Each `bucket` is counted apart, with the same limit: the server's
        routes name one per site and kind of request ("decisions/SITE", "reads/SITE" for a
        site's receipts, "reads" for the log's proofs), so that fetching proofs never costs a
        decision and one site's traffic never counts on another's."""
        if self.per_minute <= 0:
            return True
        client = client_address(peer, forwarded_for, self.proxies)
        try:
            count = self._open().add(
                f"{bucket}|{client}" if bucket else client, int(time.time() // 60)
            )
        except OSError:
            logger.exception("rate limit counters in %s unusable; request let through", self.path)
            return True
        if count is None:
            logger.warning(
                "rate limit table %s is full this minute; request let through", self.path
            )
            return True
        return count <= self.per_minute

    def close(self) -> None:
        if self._counters is not None:
            self._counters.close()
            self._counters = None

    def _open(self) -> MinuteCounters:
        with self._open_lock:
            if self._counters is None:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._counters = MinuteCounters(self.path)
            return self._counters
