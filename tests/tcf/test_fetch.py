"""The vendor list on the server (TCF-10): fetched from a URL (a loopback server standing in
for the publisher's mirror of the IAB's list) with compression asked for, cached exactly for
the max-age received, revalidated with its ETag, and each version used archived."""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bandeau.tcf.fetch import VendorListArchive, VendorListSource
from bandeau.tcf.gvl import VendorListError


class Upstream:
    """A loopback HTTP server serving one vendor list, gzipped, with Cache-Control and ETag;
    it records every request's headers."""

    def __init__(self, gvl: dict[str, Any], max_age: int | None = 600) -> None:
        self.gvl = gvl
        self.max_age = max_age
        self.requests: list[dict[str, str]] = []
        self.status = 200
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                upstream.requests.append(dict(self.headers))
                body = json.dumps(upstream.gvl).encode()
                etag = '"' + hashlib.sha256(body).hexdigest()[:12] + '"'
                if upstream.status != 200:
                    self.send_response(upstream.status)
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("Cache-Control", f"max-age={upstream.max_age}")
                    self.end_headers()
                    return
                packed = gzip.compress(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("ETag", etag)
                if upstream.max_age is not None:
                    self.send_header("Cache-Control", f"public, max-age={upstream.max_age}")
                self.send_header("Content-Length", str(len(packed)))
                self.end_headers()
                self.wfile.write(packed)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v3/vendor-list.json"

    def __enter__(self) -> Upstream:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def gvl(vectors: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(vectors["gvlFixture"])


@pytest.fixture
def upstream(gvl: dict[str, Any]) -> Iterator[Upstream]:
    with Upstream(gvl) as server:
        yield server


def test_one_request_per_max_age_window(upstream: Upstream, tmp_path: Path) -> None:
    """TCF-10: one upstream request per max-age window, asking for compressed content."""
    clock = Clock()
    source = VendorListSource(upstream.url, VendorListArchive(tmp_path), clock=clock)
    assert source.get().vendorListVersion == 120
    for _ in range(5):
        clock.now += 100
        source.get()
    assert len(upstream.requests) == 1
    assert upstream.requests[0]["Accept-Encoding"] == "gzip, deflate, br"
    clock.now += 101  # 601 s after the first answer: its max-age (600) has passed
    assert source.get().vendorListVersion == 120
    assert len(upstream.requests) == 2
    assert upstream.requests[1]["If-None-Match"]  # revalidated, answered 304
    clock.now += 599
    source.get()
    assert len(upstream.requests) == 2  # the 304's max-age counts too


def test_a_new_version_is_archived_and_the_previous_kept(
    upstream: Upstream, gvl: dict[str, Any], tmp_path: Path
) -> None:
    """TCF-08, TCF-10: each version used is archived; the one before stays usable."""
    clock = Clock()
    archive = VendorListArchive(tmp_path / "archive")
    source = VendorListSource(upstream.url, archive, clock=clock)
    first = source.current()
    upstream.gvl = {**gvl, "vendorListVersion": 121}
    clock.now += 601
    second = source.current()
    assert (first.archived.version, second.archived.version) == (120, 121)
    assert [a.version for a in archive.versions()] == [120, 121]
    previous = source.previous()
    assert previous is not None and previous.gvl.vendorListVersion == 120
    kept = json.loads(second.archived.path.read_text()) if second.archived.path else {}
    assert kept["vendorListVersion"] == 121
    assert second.archived.reference == f"gvl-v121-sha256:{second.archived.sha256}"
    assert hashlib.sha256(second.archived.path.read_bytes()).hexdigest() == second.archived.sha256  # type: ignore[union-attr]


def test_without_max_age_the_refresh_period_applies(gvl: dict[str, Any]) -> None:
    with Upstream(gvl, max_age=None) as server:
        clock = Clock()
        source = VendorListSource(server.url, refresh_seconds=50, clock=clock)
        source.get()
        clock.now += 49
        source.get()
        assert len(server.requests) == 1
        clock.now += 2
        source.get()
        assert len(server.requests) == 2


def test_a_failed_refresh_keeps_the_last_good_list(upstream: Upstream) -> None:
    """An upstream error after a good list: the list in use stays, the error is logged."""
    clock = Clock()
    source = VendorListSource(upstream.url, clock=clock)
    source.get()
    upstream.status = 503
    clock.now += 601
    assert source.get().vendorListVersion == 120


def test_no_list_at_all_is_a_clear_error(upstream: Upstream, tmp_path: Path) -> None:
    upstream.status = 404
    with pytest.raises(VendorListError, match="url: the server answered 404"):
        VendorListSource(upstream.url).get()
    with pytest.raises(VendorListError, match="file: cannot read it as a vendor list"):
        VendorListSource(str(tmp_path / "absent.json")).get()


def test_a_broken_list_names_its_problems(upstream: Upstream, gvl: dict[str, Any]) -> None:
    """TCF-09: a fetched list is checked like a file."""
    upstream.gvl = {**gvl, "gvlSpecificationVersion": 2}
    with pytest.raises(VendorListError, match="gvlSpecificationVersion"):
        VendorListSource(upstream.url).get()


def test_a_file_and_a_key_of_it(tmp_path: Path, gvl: dict[str, Any]) -> None:
    """A file, or one key of a JSON file (`PATH#key`), read again when it changes."""
    path = tmp_path / "lists.json"
    path.write_text(json.dumps({"gvlFixture": gvl}))
    clock = Clock()
    source = VendorListSource(f"{path}#gvlFixture", clock=clock)
    assert source.get().vendorListVersion == 120
    path.write_text(json.dumps({"gvlFixture": {**gvl, "vendorListVersion": 122}}))
    clock.now += 2
    assert source.get().vendorListVersion == 122
