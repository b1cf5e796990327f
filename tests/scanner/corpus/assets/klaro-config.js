// Klaro's configuration: one service (the tracker) under analytics, nothing allowed by default.
var klaroConfig = {
  version: 1, elementID: "klaro", storageMethod: "cookie", cookieName: "klaro",
  cookieExpiresAfterDays: 180, default: false, mustConsent: false, acceptAll: true,
  hideDeclineAll: false, lang: "en",
  translations: {en: {
    consentNotice: {description: "We use cookies to measure our audience, with your consent."},
    purposes: {analytics: "Analytics"}}},
  services: [{name: "tracker", title: "Tracker", purposes: ["analytics"], cookies: [/^_trk/]}]
};
