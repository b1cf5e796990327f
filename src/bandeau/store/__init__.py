"""Where decisions live. A protocol with one adapter per file; `open_store` picks by URL."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from ..errors import SettingsError

__all__ = ["Record", "Store", "open_store"]


@dataclass(frozen=True)
class Record:
    """One decision event, as proof (PROOF-01). Immutable once stored; never a raw IP address."""

    decision_id: str
    consent_id: str
    site: str
    occurred_at: int  # server time, unix milliseconds
    event: str  # accept_all | refuse_all | save_custom | withdraw | grant_one
    layer: str  # first | settings | placeholder
    control: str
    language: str
    page: str  # path only, no query string
    policy_version: str
    build: str  # banner build hash
    shown: dict[str, str]  # purpose -> version digest shown
    choices: dict[str, bool]  # purpose -> granted
    services: dict[str, bool] = field(default_factory=dict)  # "purpose/service" -> granted
    signals: dict[str, bool] = field(default_factory=dict)
    ua_class: str = ""
    client_time: int | None = None
    seq: int | None = None  # position in the store, assigned on append

    def content(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("seq")
        return data

    def canonical(self) -> str:
        return json.dumps(self.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str, seq: int | None = None) -> Record:
        return cls(**json.loads(text), seq=seq)


class Store(Protocol):
    """Storage of decision records. Every adapter passes the same test module."""

    def append(self, record: Record) -> tuple[Record, bool]:
        """Store `record` durably; return the stored record and whether it is new.

        Appending a decision id already stored returns the stored record unchanged (retries
        never make duplicates). The call returns only after the record is committed.
        """
        ...

    def get(self, decision_id: str) -> Record | None: ...

    def history(self, site: str, consent_id: str) -> list[Record]:
        """Every record of a consent id on a site, oldest first."""
        ...

    def latest(self, site: str, consent_id: str) -> Record | None: ...

    def count(self) -> int: ...

    def close(self) -> None: ...


def open_store(url: str) -> Store:
    """Open (and create or migrate) the store named by `url`."""
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///"))
    if url == "sqlite://" or url == ":memory:":
        from .sqlite import SQLiteStore

        return SQLiteStore(":memory:")
    raise SettingsError(
        f"unsupported database URL {url!r}",
        hint="use sqlite:///path/to/bandeau.db (the default when --database is empty)",
    )
