"""The demo's fake third parties: a social network (Telegram channel box, share buttons) and an
ad network. Each is its own origin on the host name `localhost`, so that what it stores is a
different site from the article served on 127.0.0.1 (cookies ignore ports).

They behave as real widgets do, which is what the tests need to catch a leak:

- their scripts, once run in the article, write first-party cookies and local storage
  (`_tg_session`, `tg_widget_state`, `_social_uid`, `_ad_id`) and send those identifiers back
  to their own origin in image requests;
- every request they receive is recorded (which third party, path with query, Cookie header),
  so a test sees a request even if the browser's own log missed it.

Nothing here is part of bandeau: it stands in for other companies' code.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RequestLog", "ThirdPartyRequest", "ads_app", "social_app"]


class ThirdPartyRequest(NamedTuple):
    """One request a fake third party received."""

    origin: str  # the third party's own origin, e.g. http://localhost:8001
    path: str  # path and query string
    cookie: str  # the Cookie header as received ("" when none)


class RequestLog(list[ThirdPartyRequest]):
    """Every request seen by the fake third parties, in arrival order (thread-safe appends)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def record(self, item: ThirdPartyRequest) -> None:
        with self._lock:
            self.append(item)

    def since(self, mark: int) -> list[ThirdPartyRequest]:
        with self._lock:
            return list(self[mark:])


class _Recorder:
    """ASGI wrapper that logs each HTTP request before the app answers it."""

    def __init__(self, app: ASGIApp, origin: str, log: RequestLog) -> None:
        self.app, self.origin, self.log = app, origin, log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            query = scope.get("query_string", b"").decode("latin-1")
            path = scope["path"] + (f"?{query}" if query else "")
            self.log.record(ThirdPartyRequest(self.origin, path, headers.get("cookie", "")))
        await self.app(scope, receive, send)


_OPEN = {
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Cache-Control": "no-store",
}

# A 1x1 transparent GIF: the classic tracking pixel.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def _asset(body: str, media_type: str) -> Callable[[Request], Response]:
    data = body.encode()

    def endpoint(request: Request) -> Response:
        return Response(data, media_type=media_type, headers=_OPEN)

    return endpoint


def _pixel(request: Request) -> Response:
    return Response(PIXEL, media_type="image/gif", headers=_OPEN)


# ------------------------------------------------------------------ social network

TELEGRAM_JS = r"""/* "Telegram" channel widget — fake third party of the bandeau demo. */
(function () {
  "use strict";
  var ORIGIN = "__ORIGIN__";
  var YEAR = 395 * 86400;
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? m[1] : "";
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function stylesheet() {
    if (document.querySelector("link[data-tgw]")) return;
    var l = document.createElement("link");
    l.rel = "stylesheet";
    l.href = ORIGIN + "/widgets.css";
    l.setAttribute("data-tgw", "");
    document.head.appendChild(l);
  }
  var en = (document.documentElement.lang || "fr").slice(0, 2) === "en";
  var sid = cookie("_tg_session") || Math.random().toString(36).slice(2, 12);
  document.cookie = "_tg_session=" + sid + "; path=/; max-age=" + YEAR + "; samesite=lax";
  try {
    localStorage.setItem("tg_widget_state", JSON.stringify({ sid: sid, seen: Date.now() }));
  } catch (e) { /* storage may be off */ }
  stylesheet();
  var boxes = document.querySelectorAll("[data-tg-channel]");
  for (var i = 0; i < boxes.length; i++) {
    var box = boxes[i];
    var name = box.getAttribute("data-tg-channel");
    var card = el("div", "tgw");
    var head = el("div", "tgw-head");
    var avatar = el("img", "tgw-avatar");
    avatar.src = ORIGIN + "/avatar.svg";
    avatar.alt = "";
    avatar.width = 44;
    avatar.height = 44;
    var who = el("div", "tgw-who");
    who.appendChild(el("strong", "", box.getAttribute("data-tg-title") || name));
    var subs = en ? "18.2K subscribers" : "18,2\u00a0k abonnés";
    who.appendChild(el("span", "", "t.me/" + name + " · " + subs));
    head.appendChild(avatar);
    head.appendChild(who);
    card.appendChild(head);
    var posts = en
      ? ["Saône freight: the first cooperative barge left the Édouard-Herriot port this morning.",
         "Bike lanes: the Croix-Rousse tunnel stays open during the works.",
         "Tonight at 8 pm: live debate with the candidates of the 3rd district."]
      : ["Fret sur la Saône\u00a0: la première barge de la coopérative a quitté le port " +
           "Édouard-Herriot ce matin.",
         "Pistes cyclables\u00a0: le tunnel de la Croix-Rousse reste ouvert pendant les travaux.",
         "Ce soir à 20\u00a0h\u00a0: débat en direct avec les candidats du 3e arrondissement."];
    var list = el("ul", "tgw-posts");
    for (var j = 0; j < posts.length; j++) list.appendChild(el("li", "", posts[j]));
    card.appendChild(list);
    var join = el("a", "tgw-join", en ? "Join the channel" : "Rejoindre la chaîne");
    join.href = ORIGIN + "/join/" + encodeURIComponent(name);
    join.rel = "noopener";
    card.appendChild(join);
    var px = new Image(1, 1);
    px.alt = "";
    px.className = "tgw-px";
    px.src = ORIGIN + "/tg/pixel.gif?sid=" + sid + "&page=" + encodeURIComponent(location.pathname);
    card.appendChild(px);
    box.textContent = "";
    box.appendChild(card);
    box.setAttribute("data-tg-ready", "");
  }
})();
"""

SHARE_JS = r"""/* Share buttons — fake third party of the bandeau demo. */
(function () {
  "use strict";
  var ORIGIN = "__ORIGIN__";
  var YEAR = 395 * 86400;
  var m = document.cookie.match(/(?:^|; )_social_uid=([^;]*)/);
  var uid = m ? m[1] : "s" + Math.random().toString(36).slice(2, 12);
  document.cookie = "_social_uid=" + uid + "; path=/; max-age=" + YEAR + "; samesite=lax";
  if (!document.querySelector("link[data-tgw]")) {
    var l = document.createElement("link");
    l.rel = "stylesheet";
    l.href = ORIGIN + "/widgets.css";
    l.setAttribute("data-tgw", "");
    document.head.appendChild(l);
  }
  var en = (document.documentElement.lang || "fr").slice(0, 2) === "en";
  var nets = [["telegram", "Telegram"], ["mastodon", "Mastodon"], ["bluesky", "Bluesky"]];
  var spots = document.querySelectorAll("[data-share]");
  for (var i = 0; i < spots.length; i++) {
    var spot = spots[i];
    var url = spot.getAttribute("data-share") || location.href;
    var bar = document.createElement("div");
    bar.className = "shw";
    for (var j = 0; j < nets.length; j++) {
      var a = document.createElement("a");
      a.className = "shw-btn shw-" + nets[j][0];
      a.href = ORIGIN + "/share/" + nets[j][0] + "?url=" + encodeURIComponent(url);
      a.rel = "noopener";
      a.textContent = (en ? "Share on " : "Partager sur ") + nets[j][1];
      bar.appendChild(a);
    }
    var px = new Image(1, 1);
    px.alt = "";
    px.className = "tgw-px";
    px.src = ORIGIN + "/share/pixel.gif?uid=" + uid + "&url=" + encodeURIComponent(url);
    bar.appendChild(px);
    spot.textContent = "";
    spot.appendChild(bar);
    spot.setAttribute("data-share-ready", "");
  }
})();
"""

WIDGETS_CSS = """/* Styles of the fake social widgets (bandeau demo). */
.tgw{font:15px/1.45 "Liberation Sans",Arial,sans-serif;color:#17212b;background:#fff;
  border:1px solid #d3dce4;border-radius:10px;padding:14px 16px}
.tgw-head{display:flex;gap:12px;align-items:center;margin-bottom:10px}
.tgw-avatar{border-radius:50%;flex:none}
.tgw-who{display:flex;flex-direction:column;line-height:1.25}
.tgw-who span{color:#4b5b6b;font-size:13px}
.tgw-posts{list-style:none;margin:0 0 12px;padding:0}
.tgw-posts li{background:#eef5fb;border-radius:8px;padding:8px 10px;margin-bottom:6px;
  font-size:14px}
.tgw-join{display:block;text-align:center;background:#1d6fa5;color:#fff;font-weight:700;
  text-decoration:none;border-radius:6px;padding:9px 12px}
.tgw-join:hover,.tgw-join:focus{background:#155a87}
.tgw-px{position:absolute;width:1px;height:1px;opacity:0}
.shw{display:flex;flex-wrap:wrap;gap:8px}
.shw-btn{font:600 14px/1 "Liberation Sans",Arial,sans-serif;color:#fff;text-decoration:none;
  border-radius:999px;padding:9px 14px}
.shw-telegram{background:#1d6fa5}.shw-mastodon{background:#563acc}.shw-bluesky{background:#0a63c9}
.shw-btn:focus-visible{outline:3px solid #111;outline-offset:2px}
"""

AVATAR_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 44 44" width="44" height="44">
<circle cx="22" cy="22" r="22" fill="#8b1e2d"/>
<text x="22" y="28" text-anchor="middle" font-family="Georgia,serif" font-size="17"
 font-weight="700" fill="#fff">QR</text></svg>
"""


def _join(request: Request) -> Response:
    return HTMLResponse("<!doctype html><title>Canal</title><p>Fake social network.</p>")


def social_app(origin: str, log: RequestLog) -> ASGIApp:
    """The fake social network at `origin` (http://localhost:PORT+1)."""
    routes = [
        Route(
            "/telegram.js",
            _asset(TELEGRAM_JS.replace("__ORIGIN__", origin), "text/javascript; charset=utf-8"),
        ),
        Route(
            "/share.js",
            _asset(SHARE_JS.replace("__ORIGIN__", origin), "text/javascript; charset=utf-8"),
        ),
        Route("/widgets.css", _asset(WIDGETS_CSS, "text/css; charset=utf-8")),
        Route("/avatar.svg", _asset(AVATAR_SVG, "image/svg+xml")),
        Route("/tg/pixel.gif", _pixel),
        Route("/share/pixel.gif", _pixel),
        Route("/join/{name}", _join),
        Route("/share/{network}", _join),
    ]
    return _Recorder(Starlette(routes=routes), origin, log)


# ------------------------------------------------------------------ ad network

AD_JS = r"""/* Ad tag — fake third party of the bandeau demo: an identifier and a tracking pixel. */
(function () {
  "use strict";
  var ORIGIN = "__ORIGIN__";
  var m = document.cookie.match(/(?:^|; )_ad_id=([^;]*)/);
  var id = m ? m[1] : "ad" + Math.random().toString(36).slice(2, 14);
  document.cookie = "_ad_id=" + id + "; path=/; max-age=" + (395 * 86400) + "; samesite=lax";
  var px = new Image(1, 1);
  px.alt = "";
  px.src = ORIGIN + "/px.gif?ad_id=" + id + "&page=" + encodeURIComponent(location.pathname);
  document.documentElement.setAttribute("data-ad-tag", "ready");
})();
"""

AD_HTML = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Publicité</title>
<link rel="stylesheet" href="__ORIGIN__/ad.css"></head>
<body><a class="ad" href="__ORIGIN__/click?c=saone" target="_blank" rel="noopener">
<img src="__ORIGIN__/ad-visual.svg" alt="" width="96" height="96">
<span class="copy"><span class="brand">Croisières de la Saône</span>
<strong>De Lyon à Mâcon au fil de l'eau</strong>
<span>Deux jours, une cabine, vingt-deux écluses. Départs tous les samedis.</span>
<span class="cta">Réserver</span></span></a></body></html>
"""

AD_CSS = """html,body{margin:0;height:100%}
body{font:14px/1.35 "Liberation Sans",Arial,sans-serif}
.ad{box-sizing:border-box;display:flex;flex-direction:column;gap:10px;justify-content:center;
  height:100%;padding:16px 18px;color:#0d2b3e;text-decoration:none;text-align:left;
  background:linear-gradient(160deg,#fdf3df,#e4f1f7)}
.ad img{flex:none;border-radius:8px;width:64px;height:64px}
.copy{display:flex;flex-direction:column;gap:4px}
.brand{font-size:11px;letter-spacing:.08em;text-transform:uppercase;color:#4b5b6b}
strong{font:700 20px/1.2 Georgia,"DejaVu Serif",serif}
.cta{align-self:flex-start;margin-top:6px;background:#0d5c7d;color:#fff;font-weight:700;
  border-radius:4px;padding:6px 14px}
"""

AD_VISUAL = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96" width="96" height="96">
<rect width="96" height="96" fill="#f6c86b"/><circle cx="70" cy="28" r="12" fill="#fff4d1"/>
<path d="M0 62 Q24 54 48 62 T96 62 V96 H0Z" fill="#2c7fa8"/>
<path d="M18 60 h54 l-8 10 h-40z" fill="#fff"/><rect x="30" y="50" width="26" height="10"
 fill="#0d5c7d"/></svg>
"""


def ads_app(origin: str, log: RequestLog) -> ASGIApp:
    """The fake ad network at `origin` (http://localhost:PORT+2)."""

    def ad_html(request: Request) -> Response:
        return HTMLResponse(AD_HTML.replace("__ORIGIN__", origin), headers=_OPEN)

    routes = [
        Route(
            "/ad.js", _asset(AD_JS.replace("__ORIGIN__", origin), "text/javascript; charset=utf-8")
        ),
        Route("/ad.html", ad_html),
        Route("/ad.css", _asset(AD_CSS, "text/css; charset=utf-8")),
        Route("/ad-visual.svg", _asset(AD_VISUAL, "image/svg+xml")),
        Route("/px.gif", _pixel),
        Route("/click", _join),
    ]
    return _Recorder(Starlette(routes=routes), origin, log)
