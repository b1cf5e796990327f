// Klaro in Turkish, a language outside the EU and EEA word lists of our detector: only
// autoconsent's Klaro rule can answer this banner (issue 12, item 3).
var klaroConfig = {
  version: 1, elementID: "klaro", storageMethod: "cookie", cookieName: "klaro",
  cookieExpiresAfterDays: 180, default: false, mustConsent: false, acceptAll: true,
  hideDeclineAll: false, lang: "tr",
  translations: {tr: {
    consentNotice: {description: "Kitlemizi ölçmek için, onayınızla çerez kullanıyoruz."},
    ok: "Kabul et", decline: "Reddet", purposes: {analytics: "Analitik"}}},
  services: [{name: "tracker", title: "Tracker", purposes: ["analytics"], cookies: [/^_trk/]}]
};
