"""The shipped banner is the build of its readable sources, by the pinned minifier (issue 7).

`src/bandeau/banner/dist/` is committed so that a pip install needs no Node; these tests rebuild
it with the esbuild of package-lock.json (`make install-dev` installs it) and fail when the
committed copy is stale, and check that what runs is what `build_hash()` names.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from bandeau.banner import (
    DETAILS_TOKEN,
    SHIPPED,
    TOKEN,
    _as_inlined,
    build_hash,
    render,
    render_preferences,
)
from bandeau.banner.config import details_for, site_config
from bandeau.notices import notice_for
from bandeau.policy import Policy
from bandeau.server.compression import encoded

ROOT = Path(__file__).parents[1]
DIST = ROOT / "src" / "bandeau" / "banner" / "dist"
BUILD = ROOT / "scripts" / "build-banner.mjs"
FIRST_LAYER_BUDGET = 6144  # bytes on the wire as served: banner.js, with its styles (DESIGN 7)
BROWSER_ACCEPTS = "gzip, deflate, br, zstd"  # what Chromium sends


def build_into(out: Path) -> dict[str, bytes]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "esbuild").is_dir():
        pytest.fail(
            "the banner's minifier is not installed: run `make install-dev` (npm ci)",
            pytrace=False,
        )
    subprocess.run([node, str(BUILD), str(out)], check=True, cwd=ROOT, timeout=120)
    return {name: (out / name).read_bytes() for name in SHIPPED}


def test_committed_bundle_is_the_build_of_the_sources(tmp_path: Path) -> None:
    built = build_into(tmp_path)
    stale = [name for name in SHIPPED if (DIST / name).read_bytes() != built[name]]
    assert not stale, f"dist/{', dist/'.join(stale)} is stale: run `make banner` and commit it"


def test_same_sources_give_the_same_bytes(tmp_path: Path) -> None:
    assert build_into(tmp_path / "a") == build_into(tmp_path / "b")


def test_build_hash_names_the_shipped_bytes() -> None:
    digest = hashlib.sha256()
    for name in SHIPPED:
        data = (DIST / name).read_bytes()
        digest.update(b"%d\0" % len(data) + data)
    assert build_hash() == digest.hexdigest()[:16]


def test_render_inlines_the_config_into_the_built_script(policy: Policy) -> None:
    bundle = render(site_config(policy, "https://consent.example/v1/sites/lequotidien", "fr"))
    shipped = (DIST / "banner.js").read_bytes()
    before, _, after = shipped.partition(TOKEN.encode())
    assert bundle.js.startswith(before) and bundle.js.endswith(after)
    assert TOKEN.encode() not in bundle.js
    assert b'"site":"lequotidien"' in bundle.js
    # the notice the server adds names the build and the words: no build or version of its own
    assert b'"build":' not in bundle.js and b'"version":' not in bundle.js
    assert bundle.css == (DIST / "banner.css").read_bytes()
    preferences = render_preferences(details_for(policy, "fr"))
    assert DETAILS_TOKEN.encode() not in preferences.js
    assert preferences.css == (DIST / "preferences.css").read_bytes()


def test_first_layer_fits_its_budget_on_the_wire(policy: Policy) -> None:
    """DESIGN 7: the demo site's first layer in each of its languages, as the server sends it to
    a browser (the encoding `negotiated` picks for Chromium's `Accept-Encoding`), is at most
    6,144 bytes, for a browser that sends Global Privacy Control and for one that does not
    (only the first gets the GPC sentence). It is one file: the snippet loads no stylesheet,
    banner.js carries its styles."""
    sizes = {}
    api = "http://127.0.0.1:8000/v1/sites/lequotidien"
    for lang in policy.languages:
        for gpc_reader in (False, True):
            config = site_config(policy, api, lang, gpc_reader=gpc_reader)
            bundle = render({**config, "notice": notice_for(policy, lang).id})  # as the server
            served = encoded(bundle.js).pick(BROWSER_ACCEPTS)
            assert served.encoding == "br"
            sizes[lang, gpc_reader] = len(served.body)
    assert max(sizes.values()) <= FIRST_LAYER_BUDGET, sizes


def test_the_script_carries_the_first_layer_styles(policy: Policy) -> None:
    """The build puts the minified banner.css into banner.js (one request, and no stylesheet
    that blocks the page's first paint, issue 9)."""
    bundle = render(site_config(policy, "http://127.0.0.1:8000/v1/sites/lequotidien", "fr"))
    assert bundle.css.strip() in bundle.js  # no quote or backslash in it needs escaping
    assert b"__BANDEAU_CSS__" not in bundle.js


def test_the_inlined_config_leaves_out_what_only_strictly_necessary_purposes_govern(
    policy: Policy,
) -> None:
    """Issue 9 (bytes): the banner never refuses a strictly necessary purpose, so its digest,
    its default and the declarations only it governs stay out of banner.js; a necessary
    declaration that a wider declared prefix would otherwise govern stays in, so that every
    name resolves as bandeau.declarations.resolve says."""
    config = site_config(policy, "https://consent.example/v1/sites/lequotidien", "fr")
    inlined = _as_inlined(config)
    necessary = next(p for p in inlined["purposes"] if p["kind"] == "necessary")
    assert necessary == {"key": "necessary", "kind": "necessary"}
    assert [entry[0] for entry in inlined["cookies"]] == [
        entry[0] for entry in config["cookies"] if entry[1] != ["necessary"]
    ]
    assert len(inlined["cookies"]) < len(config["cookies"])

    declarations = [
        ["_lq_session", ["necessary"], []],  # a wider prefix below would govern it: kept
        ["csrftoken", ["necessary"], []],  # nothing else matches it: left out
        ["_lq_*", ["advertising"], []],
    ]
    shaped = {**config, "cookies": declarations, "storage": [["cart", ["necessary"]]]}
    kept = _as_inlined(shaped)
    assert [entry[0] for entry in kept["cookies"]] == ["_lq_session", "_lq_*"]
    assert kept["storage"] == []
