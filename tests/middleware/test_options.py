"""The eleven middleware options: declared once (`MiddlewareOptions`), taken alike by both
adapters, checked once with a hint, and documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bandeau.errors import SettingsError
from bandeau.keys import KeyRing
from bandeau.middleware import BandeauMiddleware, BandeauWSGIMiddleware
from bandeau.middleware.options import OPTION_NAMES, MiddlewareOptions, Options
from bandeau.policy import Policy

DOCS = Path(__file__).parents[2] / "docs" / "middleware.md"
ADAPTERS = [BandeauMiddleware, BandeauWSGIMiddleware]


def app(*args: Any) -> Any:
    raise AssertionError("never called")


def test_the_options_are_the_documented_ones() -> None:
    section = DOCS.read_text().split("## Options", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    assert documented == OPTION_NAMES
    assert len(OPTION_NAMES) == 11
    assert MiddlewareOptions.__required_keys__ == {"policy", "public_keys"}


@pytest.mark.parametrize("middleware", ADAPTERS)
def test_defaults_apply_when_an_option_is_left_out(
    middleware: type, policy: Policy, keys: KeyRing
) -> None:
    options: Options = middleware(app, policy=policy, public_keys=keys.current).options
    assert (options.rewrite_html, options.insert_banner, options.banner_url) == (False, False, "")
    assert options.max_buffer == 1 << 20 and options.rewriting is False
    enforcer = options.enforcer
    assert (enforcer.strict, enforcer.refresh_cookie, enforcer.signing_keys) == (False, False, None)
    assert enforcer.secure is None
    assert options.clock() > 1_700_000_000


@pytest.mark.parametrize("middleware", ADAPTERS)
def test_every_option_reaches_the_core(middleware: type, policy: Policy, keys: KeyRing) -> None:
    def clock() -> float:
        return 42.0

    options: Options = middleware(
        app,
        policy=policy,
        public_keys={keys.current.key_id: keys.current},
        strict=True,
        rewrite_html=True,
        insert_banner=True,
        banner_url="/v1/sites/lequotidien",
        refresh_cookie=True,
        signing_keys=keys,
        secure=True,
        max_buffer=10,
        clock=clock,
    ).options
    assert options.policy is policy and options.clock is clock and options.max_buffer == 10
    assert options.rewrite_html and options.insert_banner and options.rewriting
    assert options.banner_url == "/v1/sites/lequotidien"
    enforcer = options.enforcer
    assert enforcer.strict and enforcer.refresh_cookie and enforcer.secure is True
    assert enforcer.signing_keys is keys and keys.current.key_id in enforcer.public


@pytest.mark.parametrize("middleware", ADAPTERS)
def test_unknown_or_missing_options_are_settings_errors(
    middleware: type, policy: Policy, keys: KeyRing
) -> None:
    """A misspelt option fails at start-up with the likely name, not silently."""
    with pytest.raises(SettingsError, match="no option 'stict'") as typo:
        middleware(app, policy=policy, public_keys=keys.current, stict=True)
    assert typo.value.hint == "did you mean 'strict'?"
    with pytest.raises(SettingsError, match="no option 'colour'") as unknown:
        middleware(app, policy=policy, public_keys=keys.current, colour="red")
    assert "rewrite_html" in unknown.value.hint and "docs/middleware.md" in unknown.value.hint
    with pytest.raises(SettingsError, match="needs policy"):
        middleware(app, public_keys=keys.current)
    with pytest.raises(SettingsError, match="needs public_keys"):
        middleware(app, policy=policy)
