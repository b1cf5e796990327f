// tarteaucitron 1.34.0, set up as its README shows: tarteaucitron.min.js then this init in
// <head>; the services are queued at the end of <body>. It then loads its French texts, its
// services catalogue and its stylesheet by itself. One catalogue service per category like the
// bandeau demo policy (analytics, social, advertising). Google Consent Mode is off so that no
// service loads a Google script before consent (the bench allows loopback traffic only).
var tarteaucitronForceLanguage = 'fr';
tarteaucitron.init({
  privacyUrl: '/confidentialite',
  bodyPosition: 'bottom',
  hashtag: '#tarteaucitron',
  cookieName: 'tarteaucitron',
  orientation: 'bottom',
  groupServices: false,
  showDetailsOnClick: true,
  serviceDefaultState: 'wait',
  showAlertSmall: false,
  cookieslist: false,
  showIcon: true,
  iconPosition: 'BottomRight',
  adblocker: false,
  DenyAllCta: true,
  AcceptAllCta: true,
  highPrivacy: true,
  handleBrowserDNTRequest: false,
  removeCredit: false,
  moreInfoLink: true,
  useExternalCss: false,
  useExternalJs: false,
  mandatory: true,
  mandatoryCta: true,
  googleConsentMode: false,
  bingConsentMode: false,
  pianoConsentMode: false,
  softConsentMode: false,
  partnersList: false
});
