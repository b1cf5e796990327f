// vanilla-cookieconsent 3 on a slow site: its consent modal is built when the script runs
// (#cc-main is in the page) and shown three seconds later, with no request in between, so
// the network has long been quiet when the banner appears (autoShow off, then show()).
CookieConsent.run({
  autoShow: false,
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
setTimeout(function () { CookieConsent.show(); }, 3000);
