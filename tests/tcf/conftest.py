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


# bandeau's own French texts for the test list's purposes, in the shape of the IAB's
# `purposes-{lang}.json` (tests/tcf/fixtures/README.md); there is no German one on purpose
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TRANSLATIONS = f"{FIXTURES}/purposes-{{lang}}.json"


def tcf_section(
    vendor_list: str, consent_mode: str = "[consent_mode]\n", translations: str = TRANSLATIONS
) -> str:
    """A `[tcf]` section over the shared test list (`vendor_list`, e.g. `PATH#gvlFixture` or a
    loopback URL) with the obviously fake CMP id 999, the French fixture translation, and a
    `[consent_mode]` section."""
    return f"""
[tcf]
cmp_id = 999
cmp_version = 3
vendor_list = "{vendor_list}"
translations = "{translations}"

[[tcf.vendors]]
id = 1
consent_purposes = [1, 3, 4]
legitimate_interest_purposes = [2, 7, 9, 10]

[[tcf.vendors]]
id = 25
consent_purposes = [1, 2, 7]

[[tcf.vendors]]
id = 50

[[tcf.vendors]]
id = 52
consent_purposes = [1, 5, 6, 8]
legitimate_interest_purposes = [11]

[[tcf.vendors]]
id = 755
consent_purposes = [1, 3]
legitimate_interest_purposes = [2, 7]

[[tcf.vendors]]
id = 91
consent_purposes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]

{consent_mode}"""


@pytest.fixture
def tcf_policy_text(policy_text: str, vectors: dict[str, Any]) -> str:
    """The demo policy in TCF mode, over the shared test vendor list read in place."""
    return policy_text + tcf_section(f"{vectors_path()}#gvlFixture")
