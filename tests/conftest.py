from __future__ import annotations

from pathlib import Path

import pytest

from bandeau.policy import Policy, load_policy

DEMO_POLICY = Path(__file__).parents[1] / "src" / "bandeau" / "demo" / "policy.toml"


@pytest.fixture(scope="session")
def policy_text() -> str:
    return DEMO_POLICY.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(DEMO_POLICY)
