"""What the server is: liveness, and the public keys that verify its tokens and checkpoints."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from .. import __version__
from .context import API, context

__all__ = ["install"]


async def health(request: Request) -> dict[str, Any]:
    """Liveness: the server answers and knows its sites."""
    return {"status": "ok", "version": __version__, "sites": sorted(context(request).sites)}


async def public_keys(request: Request) -> dict[str, Any]:
    """Public keys that verify consent tokens, by key id (the current one first)."""
    keys = context(request).keys
    ordered = [keys.current, *(k for k in keys.public.values() if k is not keys.current)]
    return {
        "current": keys.current.key_id,
        "keys": [
            {"key_id": k.key_id, "alg": "Ed25519", "public_key": k.raw_b64(), "pem": k.pem()}
            for k in ordered
        ],
    }


def install(app: FastAPI) -> None:
    """This module's routes."""
    app.add_api_route(f"{API}/health", health, tags=["meta"])
    app.add_api_route(f"{API}/keys", public_keys, tags=["meta"])
