/* Ad tag — fake third party of the bandeau demo: an identifier and a tracking pixel. */
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
