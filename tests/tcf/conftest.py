"""The shared TCF vectors (../shared/tcf/vectors.json), read where they are: never copied into
the repository. Where the file is absent, the tests that need it are skipped, saying where they
looked (BANDEAU_TCF_VECTORS names another place)."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest


def vectors_path() -> Path:
    return Path(os.environ.get("BANDEAU_TCF_VECTORS", "/work/shared/tcf/vectors.json"))


@functools.cache
def shared_vectors() -> dict[str, Any]:
    """The whole file, or {} when it is absent (collection must not fail for that)."""
    path = vectors_path()
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def vector_params(key: str) -> list[Any]:
    """One pytest param per vector under `key`, named by its id; one skipped param if none."""
    found = shared_vectors().get(key, [])
    if not found:
        reason = f"no TCF vectors at {vectors_path()} (set BANDEAU_TCF_VECTORS)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="absent")]
    return [pytest.param(v, id=v["id"]) for v in found]


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    data = shared_vectors()
    if not data:
        pytest.skip(f"no TCF vectors at {vectors_path()} (set BANDEAU_TCF_VECTORS)")
    return data
