from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from bandeau.policy import Policy, load_policy

# Hypothesis's per-example deadline is a timing assertion: on a shared 2-CPU machine a slow
# example says nothing about the code. Properties are judged on what they assert, not speed.
settings.register_profile("bandeau", deadline=None)
settings.load_profile("bandeau")

DEMO_POLICY = Path(__file__).parents[1] / "src" / "bandeau" / "demo" / "policy.toml"


@pytest.fixture(scope="session")
def policy_text() -> str:
    return DEMO_POLICY.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(DEMO_POLICY)
