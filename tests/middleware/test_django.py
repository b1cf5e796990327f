"""A real Django project behind the bandeau middleware, over HTTP, under WSGI (wsgiref) and
ASGI (uvicorn): the guide's example."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bandeau.keys import KeyRing
from bandeau.policy import Policy

from .conftest import TokenFactory, asgi_serving, guide_shows_example, load_example, wsgi_serving


def test_the_guide_shows_the_tested_example() -> None:
    guide_shows_example("django", "django_app")


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_templates_and_cookies_follow_the_choice(
    interface: str, policy: Policy, keys: KeyRing, refuse_all: str, token: TokenFactory
) -> None:
    """S4, LAW-01, CNIL-03: the context processor shows features by purpose; refused cookies
    are neither set nor kept."""
    example = load_example("django_app")
    server: Any
    if interface == "wsgi":
        server = wsgi_serving(example.create_wsgi_app(policy, keys.current))
    else:
        server = asgi_serving(example.create_asgi_app(policy, keys.current))
    with server as url:
        refused = httpx.get(f"{url}/", headers={"cookie": f"bandeau={refuse_all}; _ad_id=old"})
        granted = httpx.get(
            f"{url}/", headers={"cookie": f"bandeau={token(social=True, advertising=True)}"}
        )
        whoami = httpx.get(f"{url}/whoami", headers={"cookie": f"bandeau={granted_token(token)}"})
        gpc = httpx.get(f"{url}/whoami", headers={"sec-gpc": "1"})
    assert refused.status_code == 200, refused.text
    assert "Commenting needs" in refused.text and "/static/stats.js" in refused.text
    assert refused.headers.get_list("set-cookie") == [
        "_ad_id=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/"
    ]
    assert 'id="comments"' in granted.text and "/static/stats.js" not in granted.text
    assert granted.headers.get_list("set-cookie")[0].startswith("_ad_id=a1b2c3")
    assert whoami.json() == {"allowed": ["necessary", "social"], "gpc": False}
    assert gpc.json() == {"allowed": ["audience", "necessary"], "gpc": True}


def granted_token(token: TokenFactory) -> str:
    return token(social=True)
