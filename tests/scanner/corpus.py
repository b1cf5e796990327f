"""The scanner's fixture corpus, served on loopback: 127.0.0.1 is the site, 127.0.0.2 a tracker
(a script that writes an identifier cookie, a pixel whose response sets a third-party cookie),
127.0.0.3 the origin of a consent banner shown in an iframe. The CMPs' code is served from the
project's node_modules (pinned in package.json); pages are in tests/scanner/corpus/."""

from __future__ import annotations

import mimetypes
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).parents[2]
PAGES = Path(__file__).parent / "corpus"
MODULES = ROOT / "node_modules"
CMPS = ("vanilla-cookieconsent", "klaro", "tarteaucitronjs")
FIXTURES = sorted(p.name for p in PAGES.iterdir() if (p / "index.html").exists())


@dataclass
class Corpus:
    site: str
    tracker: str
    frame: str

    def url(self, fixture: str) -> str:
        return f"{self.site}/{fixture}/"


def _free(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _handler(corpus: Corpus) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            return None

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == "/assets/px.gif":
                self._send(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif", cookie=True)
                return
            file = self._file(path)
            if file is None or not file.is_file():
                self._send(b"not found", "text/plain", status=404)
                return
            body = file.read_bytes()
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if file.suffix == ".html":
                text = body.decode().replace("{{TRACKER}}", corpus.tracker + "/assets")
                body = text.replace("{{FRAME}}", corpus.frame + "/assets").encode()
                kind = "text/html; charset=utf-8"
            self._send(body, kind)

        def _file(self, path: str) -> Path | None:
            parts = [p for p in path.split("/") if p and p not in (".", "..")]
            if not parts:
                return None
            if parts[0] == "node_modules" and len(parts) > 2 and parts[1] in CMPS:
                return MODULES.joinpath(*parts[1:])
            if parts[0] == "assets":
                return PAGES.joinpath(*parts)
            if parts[0] in FIXTURES:
                name = "page2.html" if parts[1:] == ["page2"] else "index.html"
                page = PAGES / parts[0] / name
                return page if page.exists() else PAGES / parts[0] / "index.html"
            return None

        def _send(self, body: bytes, kind: str, status: int = 200, cookie: bool = False) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            if cookie:  # the tracker's own identifier, as a third-party cookie (one year)
                self.send_header(
                    "Set-Cookie", "trk_id=7f3a9c1e5b2d; Max-Age=31536000; SameSite=None; Secure"
                )
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def serving_corpus() -> Iterator[Corpus]:
    hosts = {"site": "127.0.0.1", "tracker": "127.0.0.2", "frame": "127.0.0.3"}
    ports = {k: _free(h) for k, h in hosts.items()}
    corpus = Corpus(**{k: f"http://{hosts[k]}:{ports[k]}" for k in hosts})
    servers = [ThreadingHTTPServer((hosts[k], ports[k]), _handler(corpus)) for k in hosts]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    try:
        yield corpus
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()
