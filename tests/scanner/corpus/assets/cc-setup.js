// vanilla-cookieconsent 3, configured as its documentation shows: one optional category
// (analytics); scripts of the page marked data-category="analytics" run only once it is allowed.
// A page that sets window.ccShowAfterMs first (cc-late.js) gets the banner that much later.
CookieConsent.run({
  autoShow: !window.ccShowAfterMs,
  categories: {necessary: {enabled: true, readOnly: true}, analytics: {}},
  language: {default: "en", translations: {en: {
    consentModal: {
      title: "We use cookies",
      description: "We measure our audience with cookies, with your consent. You can change your mind at any time.",
      acceptAllBtn: "Accept all", acceptNecessaryBtn: "Reject all", showPreferencesBtn: "Manage preferences"},
    preferencesModal: {
      title: "Cookie preferences", acceptAllBtn: "Accept all", acceptNecessaryBtn: "Reject all",
      savePreferencesBtn: "Save preferences",
      sections: [{title: "Analytics", description: "Audience measurement.", linkedCategory: "analytics"}]}
  }}}
});
if (window.ccShowAfterMs) setTimeout(function () { CookieConsent.show(); }, window.ccShowAfterMs);
