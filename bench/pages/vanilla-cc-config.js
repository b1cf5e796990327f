// vanilla-cookieconsent 3.1.0, set up as its "Getting started" page shows: the stylesheet in
// <head>, this module at the end of <body>, importing the UMD build then calling run().
// Four categories like the bandeau demo policy, texts in French. hideFromBots is off: by default
// the banner hides itself from automated browsers (navigator.webdriver), as Playwright's is.
import '/npm/vanilla-cookieconsent/dist/cookieconsent.umd.js';

CookieConsent.run({
  hideFromBots: false,
  categories: {
    necessary: { enabled: true, readOnly: true },
    analytics: {},
    social: {},
    advertising: {}
  },
  language: {
    default: 'fr',
    translations: {
      fr: {
        consentModal: {
          title: 'Vos choix sur les cookies',
          description: 'Avec votre accord, nous et nos partenaires utilisons des traceurs pour mesurer l\'audience, afficher des modules de réseaux sociaux et des publicités adaptées. Vous pouvez changer d\'avis à tout moment.',
          acceptAllBtn: 'Tout accepter',
          acceptNecessaryBtn: 'Tout refuser',
          showPreferencesBtn: 'Paramétrer vos choix'
        },
        preferencesModal: {
          title: 'Paramètres des cookies',
          acceptAllBtn: 'Tout accepter',
          acceptNecessaryBtn: 'Tout refuser',
          savePreferencesBtn: 'Enregistrer mes choix',
          closeIconLabel: 'Fermer',
          sections: [
            { title: 'Strictement nécessaires', description: 'Faire fonctionner le site et mémoriser vos choix.', linkedCategory: 'necessary' },
            { title: 'Mesure d\'audience', description: 'Compter les visites et les pages lues.', linkedCategory: 'analytics' },
            { title: 'Réseaux sociaux', description: 'Boutons de partage, commentaires et modules des réseaux sociaux.', linkedCategory: 'social' },
            { title: 'Publicité', description: 'Publicités adaptées à votre navigation.', linkedCategory: 'advertising' }
          ]
        }
      }
    }
  }
});
