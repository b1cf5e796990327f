// A fake analytics/ads tracker, served by the "third party" (another loopback address): it
// writes an identifier cookie on the page's site and asks its own server for a pixel that
// sets a third-party cookie.
(function () {
  var id = Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  document.cookie = "_trk_uid=" + id + "; max-age=" + 390 * 86400 + "; path=/";
  var src = document.currentScript ? document.currentScript.src : "";
  var img = new Image();
  img.src = src.replace(/\/[^/]*$/, "/px.gif") + "?uid=" + id;
})();
