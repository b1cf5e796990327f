/* Le Quotidien du Rhône — first-party audience measurement (exempt, AM-01..05).
   One page view = one POST of the page's path to our own server. No third party, no
   identifier shared with another site; the server sets a site-only cookie once. The script is
   gated on the "audience" purpose, so a reader who objected sends nothing. */
(function () {
  "use strict";
  var body = JSON.stringify({ path: location.pathname });
  fetch("/mesure/vue", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: body,
    credentials: "same-origin",
    keepalive: true
  }).catch(function () { /* a lost page view is not an error */ });
})();
