// A homemade banner: <script src="/assets/homemade.js" data-tracker="URL"
// data-mode="plain|shadow|closed"> (shadow: in an open shadow root; closed: in a closed one).
// It stores the reader's choice in the "consentement" cookie (6 months) and loads the tracker
// only after acceptance. Once the reader has chosen, a small floating "Cookies"
// button brings the banner back (EDPB-H), unless data-withdraw="none"; data-withdraw="icon":
// an unnamed floating icon does (a cookie drawn in SVG, only its class says so);
// data-withdraw="menu": the page's own [data-manage] link (in a menu to open first) does;
// data-withdraw="closed-icon": the same icon inside a closed shadow root (its host says
// nothing); data-withdraw="bare-icon": the icon with nothing in its markup that says cookie.
(function () {
  var me = document.currentScript;
  var tracker = me.getAttribute("data-tracker");
  var mode = me.getAttribute("data-mode") || "plain";
  var how = me.getAttribute("data-withdraw") || "button";
  var withdraw = how !== "none";
  function choice() {
    var m = document.cookie.match(/(?:^|; )consentement=(\w+)/);
    return m ? m[1] : null;
  }
  function load() {
    if (!tracker) return;
    var s = document.createElement("script");
    s.src = tracker;
    document.head.appendChild(s);
  }
  function decide(value, root) {
    document.cookie = "consentement=" + value + "; max-age=" + 182 * 86400 + "; path=/";
    root.remove();
    if (value === "oui") load();
    manage();
  }
  function again() {
    document.cookie = "consentement=; max-age=0; path=/";
    location.reload();
  }
  function manage() {
    if (!withdraw) return;
    if (how === "menu") {
      var link = document.querySelector("[data-manage]");
      if (link) link.addEventListener("click", function (e) { e.preventDefault(); again(); });
      return;
    }
    if (how === "icon" || how === "closed-icon" || how === "bare-icon") {
      var icon = document.createElement("div");
      if (how !== "bare-icon") icon.className = "floating-cookie-icon";
      var place = "position:fixed;left:8px;bottom:8px;z-index:9999;";
      icon.setAttribute("style", (how === "closed-icon" ? "" : place) +
        "width:40px;height:40px;cursor:pointer");
      icon.innerHTML = "<svg viewBox='0 0 40 40' width='40' height='40'>" +
        "<circle cx='20' cy='20' r='18' fill='#c8923c'/><circle cx='13' cy='14' r='3' " +
        "fill='#5a3a12'/><circle cx='25' cy='24' r='3' fill='#5a3a12'/></svg>";
      icon.addEventListener("click", again);
      var parent = document.body || document.documentElement;
      if (how === "closed-icon") {
        var host = document.createElement("div");
        host.setAttribute("style", place);
        host.attachShadow({ mode: "closed" }).appendChild(icon);
        icon = host;
      }
      parent.appendChild(icon);
      return;
    }
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = "Cookies"; // short: a control, not a banner, for the detector
    b.setAttribute("style", "position:fixed;left:8px;bottom:8px;z-index:9999;padding:8px");
    b.addEventListener("click", function () {
      document.cookie = "consentement=; max-age=0; path=/";
      location.reload();
    });
    (document.body || document.documentElement).appendChild(b);
  }
  function later(f) {
    if (document.body) f(); else document.addEventListener("DOMContentLoaded", f);
  }
  if (choice() === "oui") { load(); later(manage); return; }
  if (choice() === "non") { later(manage); return; }
  function build(container, host) {
    var box = document.createElement("div");
    box.className = "bn";
    box.innerHTML =
      "<p>Nous utilisons des cookies pour mesurer l'audience, avec votre consentement. " +
      "Vous pouvez changer d'avis à tout moment.</p>" +
      "<button type='button' data-v='oui'>Tout accepter</button> " +
      "<button type='button' data-v='non'>Tout refuser</button>";
    box.addEventListener("click", function (e) {
      var v = e.target.getAttribute && e.target.getAttribute("data-v");
      if (v) decide(v, host);
    });
    container.appendChild(box);
  }
  function show() {
    var host = document.createElement("div");
    host.setAttribute("style", "position:fixed;bottom:0;left:0;right:0;z-index:9999;" +
      "background:#fff;border-top:2px solid #333;padding:1em;font:16px sans-serif");
    if (mode === "shadow" || mode === "closed") {
      var root = host.attachShadow({ mode: mode === "closed" ? "closed" : "open" });
      build(root, host);
    } else {
      build(host, host);
    }
    document.body.appendChild(host);
  }
  if (document.body) show(); else document.addEventListener("DOMContentLoaded", show);
})();
