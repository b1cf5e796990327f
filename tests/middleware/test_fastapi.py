"""A real FastAPI app with Jinja2 templates behind `BandeauMiddleware`, over HTTP: the guide's
example."""

from __future__ import annotations

import httpx

from bandeau.keys import KeyRing
from bandeau.policy import Policy

from .conftest import TokenFactory, asgi_serving, guide_shows_example, load_example


def test_the_guide_shows_the_tested_example() -> None:
    guide_shows_example("fastapi", "fastapi_app")


def test_templates_and_dependencies_follow_the_choice(
    policy: Policy, keys: KeyRing, refuse_all: str, token: TokenFactory
) -> None:
    """S4: features depend on purposes, in templates and in endpoints (LAW-01)."""
    app = load_example("fastapi_app").create_app(policy, keys.current)
    with asgi_serving(app) as url:
        nothing = httpx.get(url)
        refused = httpx.get(url, headers={"cookie": f"bandeau={refuse_all}"})
        social = httpx.get(url, headers={"cookie": f"bandeau={token(social=True)}"})
        api_refused = httpx.get(
            f"{url}/api/recommendations", headers={"cookie": f"bandeau={refuse_all}"}
        )
        api_granted = httpx.get(
            f"{url}/api/recommendations", headers={"cookie": f"bandeau={token(advertising=True)}"}
        )
        forged = httpx.get(
            f"{url}/api/recommendations",
            headers={"cookie": f"bandeau={token(advertising=True)[:-3]}xyz"},
        )
    assert "Commenting needs" in nothing.text and 'id="comments"' not in nothing.text
    assert "/static/stats.js" in nothing.text  # exempt measurement runs until objected to
    assert "Commenting needs" in refused.text
    assert 'id="comments"' in social.text and "/static/stats.js" not in social.text
    assert api_refused.json() == {"personalised": False}
    assert api_refused.headers.get_list("set-cookie") == []
    assert api_granted.json() == {"personalised": True}
    assert api_granted.headers.get_list("set-cookie")[0].startswith("_ad_id=a1b2c3")
    assert forged.json() == {"personalised": False}  # a forged token fails closed
    assert forged.headers.get_list("set-cookie") == []
