// bandeau preferences: the second layer, loaded the first time a reader opens it
// (docs/banner.md; the server serves it as settings.js). Readable source: the shipped copy is
// dist/preferences.js, built by the pinned minifier; bandeau.banner.render_preferences() puts
// the details (each purpose's description, what refusing changes, its services, cookies and
// lifetimes, and the words they need) in place of __BANDEAU_DETAILS__.
//
// banner.js calls bandeau._preferences(shared) and shows the dialog it returns. `shared` holds:
// element (its element builder), purposes, states (purpose key -> allowed, now), purposeTexts
// (names and summaries), ui (the first layer's words), switches (filled here: switch by purpose key),
// actionBar (its button bar builder), receiptDecision (the decision the cookie carries), api.
(function () {
  'use strict';

  const details = __BANDEAU_DETAILS__;
  const detailsByPurpose = details.purposes;

  window.bandeau._preferences = function (shared) {
    const { element, purposeTexts, states, switches } = shared;
    const ui = { ...shared.ui, ...details.ui }; // the first layer's words and the details' own

    // The services disclosure: each service's name and hosts, then a line per cookie.
    function servicesList(services) {
      return element(
        'details',
        null,
        element('summary', null, ui.services),
        element(
          'ul',
          null,
          services.map((service) =>
            element(
              'li',
              null,
              element('b', null, service.name),
              ' ' + service.hosts.join(' '),
              service.cookies.map((cookie) => [
                element('br'),
                cookie.name + ' \u2014 ' + ui.lifetime + ' ' + cookie.lifetime,
              ])
            )
          )
        )
      );
    }

    // One row: the band and the state in words follow the switch as it moves.
    function purposeRow(purpose) {
      const key = purpose.key;
      const text = purposeTexts[key] || {};
      const detail = detailsByPurpose[key] || {};
      const services = detail.services || [];
      const necessary = purpose.kind === 'necessary';
      const id = 'bd-c-' + key;
      const band = element('span', { class: 'bd-band', 'data-bandeau-band': '' });
      const stateLabel = element('span', { class: 'bd-st' });
      const toggle = element('input', { type: 'checkbox', role: 'switch', id, checked: states[key], disabled: necessary });
      const showState = () => {
        const on = toggle.checked;
        band.dataset.state = on ? 'allowed' : 'refused';
        stateLabel.textContent = necessary ? ui.always_on : on ? ui.allowed : ui.refused;
        toggle.ariaChecked = on;
      };
      toggle.onchange = showState;
      showState();
      if (!necessary) switches[key] = toggle;
      return element('section', { class: 'bd-p', 'data-bandeau-purpose': key }, [
        band,
        element('div', { class: 'bd-r' }, [element('h3', null, element('label', { for: id }, text.name || key)), stateLabel, toggle]),
        element('p', null, detail.description || text.short),
        detail.refusal && element('p', null, [element('b', null, ui.refusal_label), ' \u2014 ', detail.refusal]),
        services.length > 0 && servicesList(services),
      ]);
    }

    const receipt =
      shared.receiptDecision &&
      element(
        'p',
        { class: 'bd-m' },
        element('a', { href: shared.api + '/decisions/' + shared.receiptDecision + '/receipt', download: '' }, ui.receipt)
      );

    return element('dialog', { class: 'bd-l2', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'bd-t2', tabindex: -1 }, [
      element('div', { class: 'bd-hd' }, [
        element('h2', { id: 'bd-t2' }, ui.settings_title),
        element('button', { type: 'button', class: 'bd-x', id: 'bd-close', 'data-bandeau-action': 'close', 'aria-label': ui.close }, '\u00d7'),
      ]),
      element('div', { class: 'bd-sc' }, shared.purposes.map(purposeRow), receipt),
      shared.actionBar('bd-s-', ['accept_all', 'refuse_all', 'save'], ui),
    ]);
  };
})();
