/* TCF ad slot — fake third party of the bandeau demo (`bandeau demo --tcf`). It runs in its own
 * cross-origin iframe, as a real ad does, so it reaches the page's CMP the way the IAB's CMP API
 * says: it finds the __tcfapiLocator frame in an ancestor and talks to it with postMessage. It
 * shows whether it got consent as TCF vendor 755 (purpose 1, and vendor consent). */
(function () {
  "use strict";
  var VENDOR = 755;
  var status = document.getElementById("status");
  var detail = document.getElementById("detail");
  var locator = null;
  for (var frame = window; frame; frame = frame === window.top ? null : frame.parent) {
    try {
      if (frame.frames.__tcfapiLocator) { locator = frame; break; }
    } catch (e) { /* keep looking up */ }
  }
  function show(state, text, more) {
    status.setAttribute("data-tcf-status", state);
    status.textContent = text;
    detail.textContent = more || "";
  }
  if (!locator) { show("no-cmp", "No CMP found: no ad."); return; }
  window.addEventListener("message", function (event) {
    var data = event.data && event.data.__tcfapiReturn;
    if (!data || data.callId !== "bd-ad-1") return;
    var tc = data.returnValue;
    if (!data.success || !tc) { show("error", "The CMP answered with an error."); return; }
    if (!tc.gdprApplies) { show("consent", "GDPR does not apply: ad shown."); return; }
    var consent = !!(tc.purpose.consents[1] && tc.vendor.consents[VENDOR]);
    var li = !!tc.vendor.legitimateInterests[VENDOR];
    document.documentElement.setAttribute("data-tc-string", tc.tcString || "");
    document.documentElement.setAttribute("data-event-status", tc.eventStatus || "");
    if (tc.eventStatus === "cmpuishown") {
      show("waiting", "The reader has not chosen yet: no personalised ad.", "eventStatus: cmpuishown");
    } else {
      show(consent ? "consent" : "no-consent",
        consent ? "Consent received: personalised ad." : "No consent: no personalised ad.",
        "eventStatus: " + tc.eventStatus + " · legitimate interest: " + (li ? "yes" : "objected"));
    }
  });
  locator.postMessage({ __tcfapiCall: { command: "addEventListener", version: 2, callId: "bd-ad-1" } }, "*");
})();
