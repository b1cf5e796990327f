"""Keep it closed (issue 8): the HTTP API fuzzed from its own OpenAPI document (Schemathesis),
against a real server over HTTP. Any 5xx, any status the document does not list, and any
answer whose media type or body does not match the document fails the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from bandeau.keys import KeyRing
from bandeau.policy import Policy, parse_policy
from bandeau.server import create_app
from bandeau.settings import Settings
from bandeau.store import open_store

from .conftest import DEMO_POLICY
from .live import free_port, serving

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
ADMIN = "fuzz-admin-token"


def document(policy: Policy, data_dir: Path) -> dict[str, Any]:
    """The OpenAPI document the server serves for `policy` (read here at collection time:
    Schemathesis makes one test per operation from it)."""
    settings_ = Settings(data_dir=data_dir, database="sqlite://")
    app = create_app(settings_, [policy], keys=KeyRing.generate(), store=open_store("sqlite://"))
    try:
        return app.openapi()
    finally:
        app.state.bandeau.writer.close()


schema = schemathesis.openapi.from_dict(
    document(parse_policy(DEMO_POLICY.read_text(encoding="utf-8")), Path("/nonexistent"))
)
# valid inputs and invalid ones (wrong types, out of range, missing): neither may get a 5xx
schema.config.generation.update(modes=list(GenerationMode))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, policy_text: str) -> Iterator[tuple[str, str]]:
    """A real server for the same policy: its URL and the origin its policy lists."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    policy = parse_policy(policy_text.replace("http://127.0.0.1:8000", origin))
    settings_ = Settings(
        data_dir=tmp_path_factory.mktemp("fuzz"), port=port, rate_limit=0, admin_token=ADMIN
    )
    store = open_store(settings_.database_url)
    app = create_app(settings_, [policy], keys=KeyRing.generate(), store=store)
    with serving(app, port) as url:
        yield url, origin
    store.close()


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_documented(case: schemathesis.Case, live: tuple[str, str]) -> None:
    url, origin = live
    # a listed origin, so decisions get past the origin check to their body's checks
    case.call_and_validate(base_url=url, headers={"Origin": origin}, checks=CHECKS)
