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
    const fill = (template, value) => String(template).replace(/\{\w+\}/g, value);
    const ui = { ...shared.ui, ...details.ui }; // the first layer's words and the details' own

    // A link to a party's privacy policy, when the policy gives one.
    const policyLink = (url) =>
      url && [' \u00b7 ', element('a', { href: url, rel: 'noopener', target: '_blank' }, ui.provider_policy)];

    // The services disclosure: each service's name, provider (with its privacy policy) and
    // hosts, then a line per cookie (LAW-06).
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
              service.provider && ' (' + service.provider + ')',
              policyLink(service.privacy_policy),
              service.hosts.length > 0 && [element('br'), service.hosts.join(' ')],
              service.cookies.map((cookie) => [
                element('br'),
                cookie.name + ' \u2014 ' + ui.lifetime + ' ' + cookie.lifetime,
              ])
            )
          )
        )
      );
    }

    // One row, a group named by the purpose (A11Y-01): the band and the state in words follow
    // the switch as it moves. Exempt measurement needs no consent: its switch is an objection
    // ("I object", ticked = measurement off), never a consent (EDPB-F); `switches` still reads
    // as "allowed" for the banner.
    function purposeRow(purpose) {
      const key = purpose.key;
      const text = purposeTexts[key] || {};
      const detail = detailsByPurpose[key] || {};
      const services = detail.services || [];
      const necessary = purpose.kind === 'necessary';
      const exempt = purpose.kind === 'exempt';
      const id = 'bd-c-' + key;
      const nameId = 'bd-n-' + key;
      const band = element('span', { class: 'bd-band', 'data-bandeau-band': '' });
      const stateLabel = element('span', { class: 'bd-st' });
      const toggle = element('input', {
        type: 'checkbox',
        role: 'switch',
        id,
        checked: exempt ? !states[key] : states[key],
        disabled: necessary,
        'aria-labelledby': exempt ? null : nameId,
      });
      const allowed = () => (exempt ? !toggle.checked : toggle.checked);
      const showState = () => {
        const on = allowed();
        band.dataset.state = on ? 'allowed' : 'refused';
        stateLabel.textContent = necessary ? ui.always_on : exempt ? (on ? ui.exempt_state : ui.objected) : on ? ui.allowed : ui.refused;
        toggle.ariaChecked = toggle.checked;
      };
      toggle.onchange = showState;
      showState();
      if (!necessary) switches[key] = exempt ? { get checked() { return allowed(); } } : toggle;
      return element('section', { class: 'bd-p', role: 'group', 'aria-labelledby': nameId, 'data-bandeau-purpose': key }, [
        band,
        element('div', { class: 'bd-r' }, [
          element('h3', { id: nameId }, text.name || key),
          stateLabel,
          exempt ? element('label', { class: 'bd-o' }, [ui.object, toggle]) : toggle,
        ]),
        element('p', null, detail.description || text.short),
        detail.refusal && element('p', { class: 'bd-rf' }, [element('b', null, ui.refusal_label), ' \u2014 ', detail.refusal]),
        services.length > 0 && servicesList(services),
      ]);
    }

    // Every third party that receives data, with its privacy policy and purposes (CNIL-05).
    const partners =
      details.partners.length > 0 &&
      element('section', { class: 'bd-pt', 'aria-labelledby': 'bd-partners' }, [
        element('h3', { id: 'bd-partners', tabindex: -1 }, fill(ui.partners, details.partners.length)),
        element(
          'ul',
          null,
          details.partners.map((partner) =>
            element('li', null, [element('b', null, partner.name), ' \u2014 ', partner.purposes.join(', '), policyLink(partner.privacy_policy)])
          )
        ),
      ]);

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
      element('div', { class: 'bd-sc' }, shared.purposes.map(purposeRow), partners, receipt),
      shared.actionBar('bd-s-', ['accept_all', 'refuse_all', 'save'], ui),
    ]);
  };
})();
