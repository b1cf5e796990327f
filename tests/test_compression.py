"""Bytes on the wire (issue 9, DESIGN §7 "bytes on the wire as served"): the banner's assets
and pages leave compressed once per build, in the best encoding the browser accepts, and every
other large text response is gzipped; small decision answers are not."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import brotli
import httpx
import pytest

from bandeau.keys import KeyRing
from bandeau.policy import Policy, parse_policy
from bandeau.server import create_app
from bandeau.server.compression import accepted, encoded
from bandeau.settings import Settings
from bandeau.store import open_store

from .live import free_port, serving
from .wire import decision_body

SITE = "/v1/sites/lequotidien"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", {"br": 0.0, "gzip": 0.0, "identity": 1.0}),
        ("gzip, deflate, br, zstd", {"br": 1.0, "gzip": 1.0, "identity": 1.0}),
        ("gzip;q=0.8, br;q=0.5", {"br": 0.5, "gzip": 0.8, "identity": 1.0}),
        ("*", {"br": 1.0, "gzip": 1.0, "identity": 1.0}),
        ("br;q=0, *;q=0", {"br": 0.0, "gzip": 0.0, "identity": 0.0}),
        ("identity;q=0, gzip", {"br": 0.0, "gzip": 1.0, "identity": 0.0}),
        ("GZIP;Q=0.3", {"br": 0.0, "gzip": 0.3, "identity": 1.0}),
        ("gzip;q=bad", {"br": 0.0, "gzip": 0.0, "identity": 1.0}),
    ],
)
def test_accept_encoding_is_read_as_rfc_9110_says(header: str, expected: dict[str, float]) -> None:
    assert accepted(header) == expected


def test_the_best_accepted_encoding_wins() -> None:
    body = b"bandeau " * 500
    forms = encoded(body)
    assert forms.pick("gzip, br").encoding == "br"
    assert forms.pick("gzip;q=1, br;q=0.5").encoding == "gzip"
    assert forms.pick("").encoding == "identity"
    assert forms.pick("br;q=0, *;q=0").encoding == "identity"  # nothing acceptable: identity
    assert gzip.decompress(forms.pick("gzip").body) == body
    assert brotli.decompress(forms.pick("br").body) == body
    tags = {forms.pick(h).etag for h in ("br", "gzip", "")}
    assert len(tags) == 3  # each representation its own strong ETag


@pytest.fixture(scope="module")
def base(
    tmp_path_factory: pytest.TempPathFactory, policy_text: str
) -> Iterator[tuple[str, Policy]]:
    port = free_port()
    policy = parse_policy(policy_text.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}"))
    settings = Settings(data_dir=tmp_path_factory.mktemp("gz"), port=port, rate_limit=0)
    store = open_store(settings.database_url)
    app = create_app(settings, [policy], keys=KeyRing.generate(), store=store)
    with serving(app, port) as url:
        yield url, policy
    store.close()


def raw_get(url: str, accept: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """A GET and its body as it came over the wire (not decoded), as a browser receives it."""
    with httpx.stream("GET", url, headers={"Accept-Encoding": accept, **headers}) as response:
        return response, b"".join(response.iter_raw())


@pytest.mark.parametrize("path", ["banner.js", "banner.css", "settings.js?lang=fr", "privacy"])
def test_assets_and_pages_are_served_in_the_accepted_encoding(
    base: tuple[str, Policy], path: str
) -> None:
    url = f"{base[0]}{SITE}/{path}"
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    for accept, encoding, decode in (
        ("gzip, deflate, br", "br", brotli.decompress),
        ("gzip", "gzip", gzip.decompress),
    ):
        r, wire = raw_get(url, accept)
        assert r.headers["content-encoding"] == encoding
        assert r.headers["vary"].split(",")[0] == "Accept-Encoding"
        assert decode(wire) == plain.content
        assert len(wire) < len(plain.content)
        again, _ = raw_get(url, accept, **{"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304
        other, _ = raw_get(url, "identity", **{"If-None-Match": r.headers["etag"]})
        assert other.status_code == 200  # another representation, another ETag


def test_the_gpc_sentence_goes_only_to_browsers_that_send_gpc(base: tuple[str, Policy]) -> None:
    """GPC-03: the first layer says why the purposes Global Privacy Control answers are not
    asked; a browser that sends no `Sec-GPC: 1` never shows that sentence, so its banner.js
    does not carry it (fewer bytes), and caches keep the two apart (`Vary`, ETags)."""
    url, policy = base
    sentence = policy.ui_texts("fr")["gpc_notice"].split("{")[0].encode()
    plain = httpx.get(f"{url}{SITE}/banner.js", headers={"Accept-Encoding": "br"})
    gpc = httpx.get(f"{url}{SITE}/banner.js", headers={"Accept-Encoding": "br", "Sec-GPC": "1"})
    assert sentence not in plain.content and sentence in gpc.content
    for response in (plain, gpc):
        assert [v.strip() for v in response.headers["vary"].split(",")] == [
            "Accept-Encoding",
            "Sec-GPC",
        ]
    assert plain.headers["etag"] != gpc.headers["etag"]
    assert len(plain.content) < len(gpc.content)


def test_each_asset_has_its_own_etag(base: tuple[str, Policy]) -> None:
    js = httpx.get(f"{base[0]}{SITE}/banner.js", headers={"Accept-Encoding": "br"})
    css = httpx.get(f"{base[0]}{SITE}/banner.css", headers={"Accept-Encoding": "br"})
    assert js.headers["etag"] != css.headers["etag"]
    stale = httpx.get(
        f"{base[0]}{SITE}/banner.css",
        headers={"Accept-Encoding": "br", "If-None-Match": js.headers["etag"]},
    )
    assert stale.status_code == 200


def test_large_json_is_gzipped_and_decisions_are_not(base: tuple[str, Policy]) -> None:
    url, policy = base
    doc, _ = raw_get(f"{url}/v1/openapi.json", "gzip")
    assert doc.headers["content-encoding"] == "gzip"
    answer = httpx.post(
        f"{url}{SITE}/decisions",
        json=decision_body(policy, "refuse_all"),
        headers={"Origin": policy.origins[0], "Accept-Encoding": "gzip"},
    )
    assert answer.status_code == 201 and "content-encoding" not in answer.headers
