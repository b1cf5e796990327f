// tarteaucitron with one service (the tracker): <script src="tac-setup.js" data-tracker="URL"
// data-deny="true|false">; data-deny="false" hides "Tout refuser" from the first layer.
(function () {
  var me = document.currentScript;
  var tracker = me.getAttribute("data-tracker");
  tarteaucitron.init({privacyUrl: "", hashtag: "#tarteaucitron", cookieName: "tarteaucitron",
    orientation: "bottom", showAlertSmall: false, cookieslist: false,
    DenyAllCta: me.getAttribute("data-deny") === "true", AcceptAllCta: true, highPrivacy: true,
    handleBrowserDNTRequest: false, removeCredit: true, moreInfoLink: false, mandatory: true,
    useExternalCss: false, showIcon: false, groupServices: false});
  tarteaucitron.services.petittraceur = {key: "petittraceur", type: "analytic",
    name: "Petit traceur", uri: "", needConsent: true, cookies: ["_trk_uid"],
    js: function () { tarteaucitron.addScript(tracker); }};
  (tarteaucitron.job = tarteaucitron.job || []).push("petittraceur");
})();
