// Klaro 0.7.22, set up as its README shows: this config and klaro.js, both `defer`, in <head>.
// Four purposes like the bandeau demo policy (one service each), texts in French.
var klaroConfig = {
  version: 1,
  elementID: 'klaro',
  storageMethod: 'cookie',
  cookieName: 'klaro',
  cookieExpiresAfterDays: 183,
  lang: 'fr',
  default: false,
  mustConsent: false,
  acceptAll: true,
  hideDeclineAll: false,
  groupByPurpose: true,
  translations: {
    fr: {
      privacyPolicyUrl: '/confidentialite',
      consentNotice: {
        description: 'Avec votre accord, nous et nos partenaires utilisons des traceurs pour {purposes}. Vous pouvez changer d\'avis à tout moment.'
      },
      purposes: {
        necessary: 'Strictement nécessaires',
        analytics: 'Mesure d\'audience',
        social: 'Réseaux sociaux',
        advertising: 'Publicité'
      },
      session: { description: 'Mémoriser vos choix et faire fonctionner le site.' },
      audience: { description: 'Compter les visites et les pages lues.' },
      share: { description: 'Boutons de partage et modules des réseaux sociaux.' },
      ads: { description: 'Publicités adaptées à votre navigation.' }
    }
  },
  services: [
    { name: 'session', title: 'Session du site', purposes: ['necessary'], required: true },
    { name: 'audience', title: 'Mesure interne', purposes: ['analytics'], cookies: [/^_pk_/] },
    { name: 'share', title: 'Boutons de partage', purposes: ['social'], cookies: ['_social_uid'] },
    { name: 'ads', title: 'Régie exemple', purposes: ['advertising'], cookies: ['_ad_id'] }
  ]
};
