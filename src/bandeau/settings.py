"""One typed settings object. Constructor arguments, `BANDEAU_*` environment variables and CLI
flags are the same set (a test checks the parity). Nothing is read at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, IPvAnyNetwork, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Server settings. Every field is also `BANDEAU_<NAME>` and `--<name>` on `bandeau serve`."""

    model_config = SettingsConfigDict(env_prefix="BANDEAU_", extra="forbid", frozen=True)

    policy: tuple[Path, ...] = Field(default=(), description="policy files, one per site (TOML)")
    data_dir: Path = Field(
        default=Path("bandeau-data"),
        description="folder for the SQLite database and the signing keys",
    )
    database: str = Field(
        default="",
        description="database URL; empty = SQLite file bandeau.db in data_dir",
    )
    host: str = Field(default="127.0.0.1", description="address to listen on")
    port: int = Field(default=8000, ge=0, le=65535, description="port to listen on")
    public_url: str = Field(
        default="",
        description="URL where browsers reach this server; empty = http://HOST:PORT",
    )
    max_body_bytes: int = Field(
        default=16384, ge=1024, description="largest decision body accepted"
    )
    workers: int = Field(default=1, ge=1, le=64, description="server processes (bandeau serve)")
    checkpoint_interval: float = Field(
        default=10.0,
        gt=0,
        description="seconds between signed checkpoints of the decision log (when it grew)",
    )
    retention_days: int = Field(
        default=0,
        ge=0,
        description="redact decisions older than this many days (0 = keep them)",
    )
    admin_token: str = Field(
        default="",
        description="bearer token for admin endpoints (erasure, checkpoints); empty = disabled",
    )
    rate_limit: int = Field(
        default=120,
        ge=0,
        description="decisions a minute accepted from one client on each site, for the whole "
        "server (0 = no limit)",
    )
    trusted_proxies: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = Field(
        default=(),
        description="reverse proxies (addresses or CIDR networks, comma-separated) whose "
        "X-Forwarded-For names the client; empty = trust none",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """`BANDEAU_TRUSTED_PROXIES` and `--trusted-proxies` are one comma-separated string."""
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    checkpoint_log: Path | None = Field(
        default=None,
        description="file where each signed checkpoint is also appended, one JSON line "
        "each, fsynced (give it to auditors; bandeau verify --checkpoints); empty = none",
    )

    @field_validator("checkpoint_log", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    header_timeout: float = Field(
        default=10.0,
        gt=0,
        description="seconds a client has to send a request's headers, from the moment it "
        "connects or its previous answer is sent; then the connection is closed",
    )
    body_timeout: float = Field(
        default=10.0,
        gt=0,
        description="seconds a client has to send a request's body once its headers are in; "
        "then the connection is closed",
    )
    log_writer: Literal["process", "thread"] = Field(
        default="process",
        description="where each server process appends decisions to the log: a writer process "
        "of its own (process: hashing, SQL and token signing on another core) or a thread "
        "(thread; always for an in-memory database)",
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        default="info",
        description="what the server logs on stderr: bandeau's loggers and uvicorn's "
        "(requests are not logged one by one)",
    )

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{self.data_dir / 'bandeau.db'}"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"
