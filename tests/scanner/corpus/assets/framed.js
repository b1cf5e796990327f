// A banner inside an iframe served by another origin (as some CMPs do): the frame posts the
// reader's choice; the page stores it and loads the tracker only after acceptance.
(function () {
  var me = document.currentScript;
  var tracker = me.getAttribute("data-tracker");
  var frameUrl = me.getAttribute("data-frame");
  function load() {
    var s = document.createElement("script");
    s.src = tracker;
    document.head.appendChild(s);
  }
  var m = document.cookie.match(/(?:^|; )consent_frame=(\w+)/);
  if (m) { if (m[1] === "yes") load(); return; }
  function show() {
    var f = document.createElement("iframe");
    f.src = frameUrl;
    f.title = "Cookies";
    f.setAttribute("style", "position:fixed;bottom:0;left:0;width:100%;height:180px;" +
      "border:0;z-index:10000;background:#fff");
    document.body.appendChild(f);
    window.addEventListener("message", function (e) {
      if (!e.data || !e.data.consent) return;
      document.cookie = "consent_frame=" + e.data.consent + "; max-age=" + 182 * 86400 + "; path=/";
      f.remove();
      if (e.data.consent === "yes") load();
    });
  }
  if (document.body) show(); else document.addEventListener("DOMContentLoaded", show);
})();
