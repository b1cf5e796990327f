"""A real Flask app behind `BandeauWSGIMiddleware`, over HTTP (wsgiref): the guide's example."""

from __future__ import annotations

import httpx

from bandeau.keys import KeyRing
from bandeau.policy import Policy

from .conftest import TokenFactory, guide_shows_example, load_example, wsgi_serving


def test_the_guide_shows_the_tested_example() -> None:
    guide_shows_example("flask", "flask_app")


def test_refusal_is_enforced_server_side(
    policy: Policy, keys: KeyRing, refuse_all: str, token: TokenFactory
) -> None:
    """LAW-01, CNIL-03: refused cookie never set, refused ad iframe gated, comments off."""
    app = load_example("flask_app").create_app(policy, keys.current)
    with wsgi_serving(app) as url:
        refused = httpx.get(url, headers={"cookie": f"bandeau={refuse_all}; _social_uid=old"})
        social = httpx.get(url, headers={"cookie": f"bandeau={token(social=True)}"})
        everything = httpx.get(
            url, headers={"cookie": f"bandeau={token(social=True, advertising=True)}"}
        )
        whoami = httpx.get(
            f"{url}/whoami", headers={"cookie": f"bandeau={refuse_all}", "sec-gpc": "1"}
        )
    assert "Commenting needs" in refused.text
    assert (
        '<iframe data-bandeau="advertising" data-bandeau-src="http://localhost:8002/ad?slot=top"'
        in refused.text
    )
    assert refused.headers.get_list("set-cookie") == [
        "_social_uid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/"
    ]
    assert refused.headers["content-length"] == str(len(refused.content))
    assert 'id="comments"' in social.text
    assert social.headers.get_list("set-cookie")[0].startswith("_social_uid=u-42")
    assert "data-bandeau-src" in social.text  # advertising still refused
    assert '<iframe src="http://localhost:8002/ad?slot=top"' in everything.text
    assert whoami.json() == {"allowed": ["audience", "necessary"], "gpc": True}
