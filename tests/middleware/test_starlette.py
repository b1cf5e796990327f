"""A real Starlette app behind `BandeauMiddleware`, over HTTP: the guide's example."""

from __future__ import annotations

import httpx

from bandeau.keys import KeyRing
from bandeau.policy import Policy

from .conftest import TokenFactory, asgi_serving, guide_shows_example, load_example


def test_the_guide_shows_the_tested_example() -> None:
    guide_shows_example("starlette", "starlette_app")


def test_refusal_is_enforced_server_side(
    policy: Policy, keys: KeyRing, refuse_all: str, token: TokenFactory
) -> None:
    """LAW-01, CNIL-03: after refusal the page has no comments, the refused cookie is not set,
    the refused widget is gated; after consent to social networks, they are back."""
    app = load_example("starlette_app").create_app(policy, keys.current)
    with asgi_serving(app) as url:
        refused = httpx.get(url, headers={"cookie": f"bandeau={refuse_all}; _ad_id=old"})
        social = httpx.get(url, headers={"cookie": f"bandeau={token(social=True)}"})
        everything = httpx.get(
            url, headers={"cookie": f"bandeau={token(social=True, advertising=True)}"}
        )
    assert "Commenting needs" in refused.text and "<form" not in refused.text
    assert (
        '<script type="text/plain" data-bandeau="social" '
        'src="http://localhost:8001/telegram-widget.js" async>' in refused.text
    )
    assert refused.headers.get_list("set-cookie") == [
        "_ad_id=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/"
    ]
    assert refused.headers["content-length"] == str(len(refused.content))
    assert "<form" in social.text and 'data-bandeau="social"' not in social.text
    assert social.headers.get_list("set-cookie") == []
    assert everything.headers.get_list("set-cookie")[0].startswith("_ad_id=a1b2c3;")


def test_gpc_reaches_the_app(policy: Policy, keys: KeyRing) -> None:
    """GPC-01, GPC-03: under GPC the advertising cookie is refused before any choice."""
    app = load_example("starlette_app").create_app(policy, keys.current)
    with asgi_serving(app) as url:
        response = httpx.get(url, headers={"sec-gpc": "1"})
    assert response.headers.get_list("set-cookie") == []
