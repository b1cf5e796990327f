/* Share buttons — fake third party of the bandeau demo. */
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
