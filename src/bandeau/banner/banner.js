// bandeau banner: the first layer, the rule it applies on the page, and the decisions it sends.
// Public contract (markup, window.bandeau, events, cookies): docs/banner.md.
//
// This is the readable source. What a site is served is dist/banner.js, built from it by the
// pinned minifier (`make banner`, scripts/build-banner.mjs); bandeau.banner.render() then puts
// the site config in place of __BANDEAU_CONFIG__. Plain ES2019 in one IIFE, no dependency, no
// eval: it runs under a strict nonce-based Content-Security-Policy.
//
// The rule itself (states, features, pending purposes, which cookies go, what each button
// decides) is the one in bandeau.consent and bandeau.declarations; tests/vectors/consent.json
// runs the same cases against both.
(function () {
  'use strict';

  const config = __BANDEAU_CONFIG__;
  if (window.bandeau) return; // a second copy of the script on a page does nothing
  // The first layer's styles (banner.css, put here by the build): no stylesheet request, and
  // none that blocks the page's first paint. Older browsers without constructable stylesheets
  // link banner.css instead.
  const STYLES = __BANDEAU_CSS__;

  const doc = document;
  let thisScript = doc.currentScript;
  const nonce = thisScript?.nonce || '';
  const PENDING_KEY = 'bandeau.pending'; // localStorage key of a decision not yet acknowledged
  const CONSENT_COOKIE = config.cookie.name;
  const UNSENT_COOKIE = CONSENT_COOKIE + '_p';
  const GATED = '[data-bandeau],[data-bandeau-feature],[data-bandeau-feature-off]';
  const gpc = navigator.globalPrivacyControl === true;
  const purposes = config.purposes;
  const purposeKeys = new Set(purposes.map((purpose) => purpose.key));

  // ---- language. The page speaks a language of the site this bundle has no texts for: hand
  // over to the bundle of that language (same URL with lang=, asked once), which runs instead.
  let lang = doc.documentElement.lang.split('-')[0].toLowerCase();
  if (lang === 'nb' || lang === 'nn') lang = 'no'; // Bokmål and Nynorsk pages: Norwegian words
  if (thisScript?.src && !config.texts[lang] && config.langs.includes(lang)) {
    const url = new URL(thisScript.src);
    if (url.searchParams.get('lang') !== lang) {
      url.searchParams.set('lang', lang);
      thisScript = doc.createElement('script');
      thisScript.src = url;
      thisScript.nonce = nonce;
      doc.head.append(thisScript);
      return;
    }
  }
  if (!config.texts[lang]) lang = config.lang;
  const texts = config.texts[lang] || {};
  const ui = texts.ui || {};
  const purposeTexts = texts.purposes || {};

  // ---- small helpers

  // Extensions loaded before this script (the TCF mode: docs/tcf.md) hook into the layers and
  // the decisions: layer(node), dialog(node), decide(body, action), answer(answer).
  const extend = (hook, ...args) => (window.bandeauExtensions || []).forEach((x) => x[hook]?.(...args));

  // element(tag, attributes, ...children): null and false attributes are left out, true gives
  // an empty attribute; children may be nested arrays, and falsy ones are left out.
  function element(tag, attributes, ...children) {
    const node = doc.createElement(tag);
    for (const name in attributes) {
      const value = attributes[name];
      if (value != null && value !== false) node.setAttribute(name, value === true ? '' : value);
    }
    node.append(...children.flat(9).filter(Boolean));
    return node;
  }
  const fill = (template, value) => String(template || '').replace(/\{\w+\}/g, () => value);
  const purposeName = (key) => (purposeTexts[key] || {}).name || key;
  const isPurpose = (key) => purposeKeys.has(key);
  const focusQuietly = (node) => node.focus({ preventScroll: true });
  const words = (text) => String(text || '').trim().split(/\s+/).filter(Boolean);

  // A declared name is a name, or a prefix when it ends with `*`.
  const matches = (pattern, name) =>
    pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;

  // The declaration that governs a cookie name or a storage key (bandeau.declarations.resolve):
  // the config lists them by precedence, exact names first, then longer prefixes before shorter
  // ones, so the first that matches wins. Each is [pattern, purpose keys, cookie domains].
  const governing = (declarations, name) => declarations.find(([pattern]) => matches(pattern, name));

  function readCookies() {
    const jar = {};
    doc.cookie.split('; ').forEach((pair) => {
      const eq = pair.indexOf('=');
      if (eq > 0) jar[pair.slice(0, eq)] = pair.slice(eq + 1);
    });
    return jar;
  }

  // localStorage can throw (disabled storage, private modes): then there is nothing to keep.
  function withStorage(use) {
    try {
      return use(localStorage);
    } catch (error) {
      return undefined;
    }
  }

  // ---- state, by the rule of bandeau.consent.evaluate

  // The payload of a consent cookie value when it is for this site and has not expired. The
  // banner cannot check the signature: the server does, and decides nothing from this copy.
  function readToken(value) {
    if (!value) return undefined; // no cookie: nothing to parse (and no exception to throw)
    try {
      const base64 = value.split('.')[0].replace(/-/g, '+').replace(/_/g, '/');
      const payload = JSON.parse(atob(base64));
      return payload.s === config.site && payload.x > Date.now() / 1e3 ? payload : undefined;
    } catch (error) {
      return undefined; // not a token: no decision
    }
  }

  // One constructed stylesheet for the document (CSP allows it: no <style>, no attribute).
  function addStyles() {
    if (doc.adoptedStyleSheets && window.CSSStyleSheet) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLES);
      doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
    } else {
      const link = element('link', { rel: 'stylesheet', href: config.api + '/banner.css' });
      link.nonce = nonce;
      doc.head.append(link);
    }
  }

  const jar = readCookies();
  const token = readToken(jar[CONSENT_COOKIE] || '');
  // a choice the server has not acknowledged yet, kept unsigned until its answer replaces it
  const unsent = readToken(jar[UNSENT_COOKIE] || '');

  let consentId = token?.i || null;
  let receiptDecision = token?.d; // the decision the cookie carries, for its receipt
  let states; // purpose key -> allowed
  let features = {}; // feature name -> on
  let pending; // consent purposes never asked in their current version
  let decided;
  let gpcApplied; // purposes GPC answers now, never answered in their current version

  // A purpose keeps its signed answer while the answer's digest is current; otherwise it takes
  // its default, and a consent purpose is pending unless GPC answers it (a `gpc` purpose counts
  // as refused under Global Privacy Control, GPC-03). An answer the server has not acknowledged
  // (`unsigned`) only refuses: a grant counts once it is recorded, so an unsigned grant leaves
  // the purpose as the signed answers have it.
  function applyAnswers(signed, unsigned) {
    states = {};
    pending = [];
    gpcApplied = [];
    purposes.forEach((purpose) => {
      const key = purpose.key;
      if (purpose.kind === 'necessary') return (states[key] = true); // inlined without a digest
      const current = (answers) => answers?.p?.[key]?.[1] === purpose.digest && answers.p[key];
      const answer = current(signed);
      const refusal = current(unsigned) && !current(unsigned)[0];
      if (refusal || answer) states[key] = !refusal && answer[0] === 1;
      else {
        // the default, from bandeau.consent.defaults: only what needs no consent (LAW-01)
        states[key] = !!purpose.default;
        if (purpose.kind === 'consent') (gpc && purpose.gpc ? gpcApplied : pending).push(key);
      }
    });
    decided = !!(signed || unsigned) && !pending.length;
  }
  applyAnswers(token, unsent);

  // A feature is on when every purpose that lists it is allowed.
  function computeFeatures() {
    features = {};
    purposes.forEach((purpose) =>
      (purpose.features || []).forEach((name) => (features[name] = features[name] !== false && states[purpose.key]))
    );
  }

  // EXPR: space-separated terms that must all hold; "key" allowed, "!key" refused. An unknown
  // key counts as refused; an empty expression is false.
  const isAllowed = (key) => isPurpose(key) && states[key];
  function allowed(expression) {
    const terms = words(expression);
    return terms.length > 0 && terms.every((term) => (term[0] === '!' ? !isAllowed(term.slice(1)) : isAllowed(term)));
  }

  const consent = () => ({
    id: consentId,
    decided: !!decided,
    purposes: { ...states },
    features: { ...features },
    pending: [...pending],
  });

  // ---- enforcement on the page

  const activated = new WeakSet(); // gated scripts and embeds already switched on: never again
  const placeholders = new WeakMap(); // gated embed -> its placeholder
  const neededByActivated = {}; // purpose keys that something activated on this page needed

  // One element: features, gated scripts, embeds, any other gated element. Scripts (external or
  // inline, type="text/plain") wait for the parsed DOM (their text is complete then) and go in
  // document order. What an element loads waits in data-bandeau-src (its src, a <link>'s href,
  // an <object>'s data), data-bandeau-srcset and data-bandeau-poster; what shows content (not
  // a pixel, a link or a media source) gets a placeholder.
  function enforce(node) {
    const data = node.dataset || {};
    const expression = data.bandeau;
    const tag = node.tagName;
    if (data.bandeauFeature != null) node.hidden = features[data.bandeauFeature] !== true;
    if (data.bandeauFeatureOff != null) node.hidden = features[data.bandeauFeatureOff] === true;
    if (expression == null || activated.has(node)) return;
    const on = allowed(expression);
    if (tag === 'SCRIPT') {
      if (on && node.type === 'text/plain' && doc.readyState !== 'loading') runScript(node, expression);
    } else if (!data.bandeauSrc) {
      node.hidden = !on;
    } else if (on) {
      markActivated(node, expression);
      if (data.bandeauSrcset) node.srcset = data.bandeauSrcset;
      if (data.bandeauPoster) node.poster = data.bandeauPoster;
      node.setAttribute(tag === 'LINK' ? 'href' : tag === 'OBJECT' ? 'data' : 'src', data.bandeauSrc);
      if (tag === 'SOURCE' && node.parentNode.load) node.parentNode.load();
      node.hidden = false;
      if (placeholders.has(node)) placeholders.get(node).remove();
    } else {
      node.hidden = true;
      if (!placeholders.has(node) && !/^(IMG|LINK|SOURCE|TRACK)$/.test(tag)) addPlaceholder(node, expression);
    }
  }

  function markActivated(node, expression) {
    activated.add(node);
    words(expression).forEach((key) => isPurpose(key) && (neededByActivated[key] = true));
  }

  const enforceAll = () => doc.querySelectorAll(GATED).forEach(enforce);

  // A real script with the same attributes, under this script's nonce; external ones keep their
  // relative order (async false) unless the original said async.
  function runScript(original, expression) {
    markActivated(original, expression);
    const script = doc.createElement('script');
    [...original.attributes].forEach((attribute) => {
      if (!/^(type|data-bandeau|data-type|nonce)$/.test(attribute.name)) {
        script.setAttribute(attribute.name, attribute.value);
      }
    });
    if (original.dataset.type) script.type = original.dataset.type;
    script.nonce = original.nonce || nonce;
    script.async = original.hasAttribute('async');
    script.text = original.text;
    original.replaceWith(script);
  }

  // Before a gated embed: what it needs, and a button that grants just that.
  function addPlaceholder(node, expression) {
    const keys = words(expression).filter((key) => isPurpose(key) && !states[key]);
    if (!keys.length) return;
    const names = keys.map(purposeName).join(', ');
    const placeholder = element('div', { class: 'bd-ph', lang, 'data-bandeau-placeholder': keys.join(' ') }, [
      element('p', null, fill(ui.placeholder, names)),
      element(
        'button',
        { type: 'button', class: 'bd-b', 'data-bandeau-action': 'grant', 'data-bandeau-grant': keys.join(' ') },
        fill(ui.placeholder_button, names)
      ),
    ]);
    placeholders.set(node, placeholder);
    node.before(placeholder);
  }

  // A declaration is refused unless every purpose declaring it is allowed.
  const refused = (declaration, chosen) => !!declaration && !declaration[1].every((key) => chosen[key]);

  // After a decision, what it refuses goes (CNIL-03): the cookies governed by a refused
  // declaration (path /; host-only, on the declared domains and on every parent domain of the
  // page's host), then such localStorage and sessionStorage keys. The consent cookie stays.
  // `chosen`: the states the decision asks for (what it grants is not refused, even before the
  // server has recorded it).
  function deleteRefused(chosen) {
    const labels = location.hostname.split('.');
    const parents = labels.map((_, i) => labels.slice(i).join('.'));
    Object.keys(readCookies()).forEach((name) => {
      const declaration = governing(config.cookies, name);
      if (name === CONSENT_COOKIE || !refused(declaration, chosen)) return;
      ['', ...(declaration[2] || []), ...parents].forEach((domain) => {
        doc.cookie = name + '=;Max-Age=0;Path=/' + (domain ? ';Domain=' + domain : '');
      });
    });
    ['localStorage', 'sessionStorage'].forEach((area) => {
      try {
        const storage = window[area];
        Object.keys(storage).forEach((key) => {
          if (key !== PENDING_KEY && refused(governing(config.storage, key), chosen)) storage.removeItem(key);
        });
      } catch (error) {
        // storage disabled: nothing of it to delete
      }
    });
  }

  // ---- decisions: applied at once, then sent

  // What an action decides, from the states before it (bandeau.consent.decide):
  // accept all allows everything; refuse all refuses every consent purpose and leaves exempt
  // ones as they are (on the preferences layer: as their switch says); save takes each switch;
  // a grant allows its keys and leaves every other purpose as it is.
  function decidedState(purpose, action, layer, before, grantKeys) {
    const key = purpose.key;
    const exempt = purpose.kind === 'exempt';
    if (purpose.kind === 'necessary' || action === 'accept_all') return true;
    if (action === 'grant') return grantKeys.includes(key) || before[key];
    if (action === 'save' || (exempt && layer === 'settings')) return switches[key].checked;
    return exempt && before[key];
  }

  // A secret only this browser knows, kept with the pending decision (in localStorage, for the
  // next page) and sent with it and with every retry: the server keeps only its hash and
  // answers a retry of a stored decision (with the reader's token) only when it carries it, so
  // a decision id read on a receipt hands over nothing. Gone with the pending decision.
  const newSecret = () =>
    btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))))
      .replace(/\+/g, '-')
      .replace(/\//g, '_');

  // What every decision sends; `choices` is filled by the caller.
  const decisionBody = (action, layer, control) => ({
    id: crypto.randomUUID(),
    token: readCookies()[CONSENT_COOKIE] || null,
    action,
    layer,
    control,
    lang,
    page: location.pathname,
    notice: config.notice,
    choices: {},
    gpc,
    client_time: Date.now(),
    secret: newSecret(),
  });

  // action: accept_all | refuse_all | save | grant; layer: first | settings | placeholder (the
  // wire names); control: the id of the control; grantKeys: what a placeholder grants. A grant
  // answers only the purposes it grants, and those never asked stay pending. A script that ran
  // cannot be unrun: when a purpose something activated needed is now refused, the page reloads
  // once the server has answered.
  function decide(action, layer, control, grantKeys) {
    const before = states;
    const isGrant = action === 'grant';
    const body = decisionBody(action, layer, control);
    // refusals take effect now; a grant once the server has recorded it (`send`)
    states = {};
    const chosen = {};
    purposes.forEach((purpose) => {
      const granted = (chosen[purpose.key] = !!decidedState(purpose, action, layer, before, grantKeys));
      states[purpose.key] = granted && before[purpose.key];
      if (purpose.kind !== 'necessary' && (!isGrant || grantKeys.includes(purpose.key))) {
        body.choices[purpose.key] = { granted, digest: purpose.digest };
      }
    });
    extend('decide', body, action);
    pending = isGrant ? pending.filter((key) => !grantKeys.includes(key)) : [];
    decided = !pending.length;
    computeFeatures();
    closePreferences(true);
    deleteRefused(chosen);
    enforceAll();
    send(body).then(() => {
      const unrun = purposes.some((p) => neededByActivated[p.key] && before[p.key] && !states[p.key]);
      if (unrun) location.reload();
    });
    emit('change');
  }

  let latestSent = null; // only the answer to the last decision sent writes the cookie
  let retryDelay = 2e3;

  function writeConsentCookie(answer) {
    doc.cookie =
      CONSENT_COOKIE + '=' + answer.token + ';Max-Age=' + answer.max_age + ';Path=/;SameSite=Lax' +
      (location.protocol === 'https:' ? ';Secure' : '') +
      (config.cookie.domain ? ';Domain=' + config.cookie.domain : '');
  }

  // The choice, unsigned, for the pages read until the server answers (same shape as a token):
  // there it refuses at once and grants nothing (`applyAnswers`), and it tells them that a
  // decision waits in localStorage (`retryUnsent`).
  function writeUnsentCookie(body) {
    const answered = {};
    for (const key in body.choices) answered[key] = [body.choices[key].granted ? 1 : 0, body.choices[key].digest];
    const days = config.cookie.days;
    const payload = { s: config.site, x: (Date.now() / 1e3 + days * 864e2) | 0, p: answered };
    doc.cookie = UNSENT_COOKIE + '=' + btoa(JSON.stringify(payload)) + ';Path=/;SameSite=Lax;Max-Age=' + days * 86400;
  }

  // The decision stays in localStorage until the server answers. A network or server error (or
  // 429) keeps it for a retry (same id: the server dedupes) while the page stays open, with a
  // delay that doubles up to a minute, and on the next page; a rejection (other 4xx) drops it.
  // Either way the reader is told that the choice is not recorded. The banner is the only
  // writer of the consent cookie in the browser: it writes it from the answer, and the answer's
  // signed choices are what the page applies from then on (a grant takes effect here). No
  // credentials go with the request: the server needs none.
  function send(body) {
    const forget = () => {
      if (body !== latestSent) return;
      withStorage((s) => s.removeItem(PENDING_KEY));
      doc.cookie = UNSENT_COOKIE + '=;Max-Age=0;Path=/';
    };
    latestSent = body;
    withStorage((s) => s.setItem(PENDING_KEY, JSON.stringify(body)));
    writeUnsentCookie(body);
    const request = {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    };
    return fetch(config.api + '/decisions', request)
      .then((response) =>
        response.json().then((answer) => {
          if (response.ok) {
            if (body === latestSent) {
              consentId = answer.consent_id;
              receiptDecision = answer.decision_id;
              writeConsentCookie(answer);
              extend('answer', answer);
              applyAnswers(readToken(answer.token));
              computeFeatures();
              if (decided && firstLayer && !firstLayer.hidden && !dialog) closePreferences(true);
              enforceAll();
              announce(ui.saved);
              emit('change');
            }
            forget();
          } else if (response.status < 500 && response.status !== 429) {
            forget();
            announce(ui.offline);
          } else {
            throw new Error(response.status); // kept for a retry
          }
        })
      )
      .catch(() => {
        announce(ui.offline);
        if (body !== latestSent) return;
        retryDelay = Math.min(retryDelay * 2, 6e4);
        setTimeout(() => body === latestSent && send(body), retryDelay);
      });
  }

  // ---- interface

  let root; // #bandeau
  let firstLayer; // built when first needed
  let dialog; // the preferences <dialog> while open
  let liveRegion;
  let icon; // the persistent entry
  let focusBeforeFirstLayer;
  let opener; // what opened the preferences
  let switches; // preferences switches by purpose key (filled by preferences.js)
  let spacer; // room at the end of the page for the first layer
  let loadingPreferences = false;
  let openAt; // the part of the preferences to show first (data-bandeau-open="partners")

  // the buttons of a layer, labelled from `labels` (the preferences bring words of their own)
  const actionBar = (idPrefix, actions, labels = ui) =>
    element(
      'div',
      { class: 'bd-a' },
      actions.map((action) =>
        element(
          'button',
          { type: 'button', class: 'bd-b', id: idPrefix + action.replace('_', '-'), 'data-bandeau-action': action },
          labels[action]
        )
      )
    );

  // the same message twice in a row still gets announced
  const announce = (text) =>
    liveRegion && (liveRegion.textContent = liveRegion.textContent === text ? text + '\u00a0' : text);

  // The purposes of one kind, each with its one-line summary.
  const purposeList = (kind) =>
    element(
      'ul',
      null,
      purposes
        .filter((p) => p.kind === kind)
        .map((p) => element('li', null, [element('b', null, purposeName(p.key)), ' \u2014 ', (purposeTexts[p.key] || {}).short]))
    );
  const gpcRefused = purposes.filter((p) => gpc && p.gpc && !states[p.key]).map((p) => purposeName(p.key));

  // What needs consent, then the exempt measurement the reader can object to (CNIL-05, EDPB-F),
  // why GPC-covered purposes are not asked (GPC-03), and the partners' list (LAW-06).
  const buildFirstLayer = () =>
    element('div', { class: 'bd-l1', role: 'dialog', 'aria-labelledby': 'bd-t', 'aria-describedby': 'bd-d', tabindex: -1 }, [
      element('div', { class: 'bd-sc' }, [
        element('h2', { id: 'bd-t' }, ui.title),
        element('p', { id: 'bd-d' }, ui.intro),
        purposeList('consent'),
        purposes.some((p) => p.kind === 'exempt') && [element('p', null, ui.exempt), purposeList('exempt')],
        gpcRefused.length > 0 && ui.gpc_notice && element('p', null, fill(ui.gpc_notice, gpcRefused.join(', '))),
        config.partners > 0 &&
          element('p', null, element('a', { href: '#bd-partners', 'data-bandeau-open': 'partners' }, fill(ui.partners, config.partners))),
        element('p', null, ui.withdraw),
        element('p', { class: 'bd-m' }, [
          fill(ui.controller, texts.controller),
          config.privacy && [' \u00b7 ', element('a', { href: config.privacy }, ui.privacy_link)],
        ]),
      ]),
      actionBar('bd-', ['accept_all', 'refuse_all', 'customise']),
    ]);

  // Loads preferences.js (served as settings.js) and its stylesheet, then opens.
  function loadPreferences() {
    if (loadingPreferences) return;
    loadingPreferences = true;
    let waiting = 2;
    const loaded = () => {
      if (--waiting) return;
      loadingPreferences = false;
      openPreferences(true);
    };
    const version = config.notice; // names the words and the build: new ones, new URLs
    const sheet = element('link', { rel: 'stylesheet', href: config.api + '/settings.css?v=' + version });
    const script = element('script', { src: config.api + '/settings.js?lang=' + lang + '&v=' + version });
    script.nonce = nonce;
    [sheet, script].forEach((node) => {
      node.onload = node.onerror = loaded;
      doc.head.append(node);
    });
  }

  // The preferences: a modal <dialog> built by preferences.js, which loads with its stylesheet
  // the first time. Esc and the close button go back without deciding. If it cannot load (the
  // server is down), the first layer shows instead: its buttons still decide everything.
  function openPreferences(afterLoading) {
    if (!root || dialog) return;
    const build = window.bandeau._preferences;
    if (!build) {
      if (!afterLoading) return loadPreferences();
      if (!firstLayer) root.append((firstLayer = buildFirstLayer()));
      showFirstLayer(true);
      return;
    }
    opener = doc.activeElement;
    switches = {};
    dialog = build({
      element,
      purposes,
      states,
      purposeTexts,
      ui,
      switches,
      actionBar,
      receiptDecision,
      api: config.api,
    });
    const opened = dialog;
    dialog.oncancel = (event) => {
      event.preventDefault();
      closePreferences();
    };
    // The close event is queued: by the time it fires, the reader may have opened the
    // preferences again (Esc then Enter), and only the dialog it belongs to may close.
    dialog.onclose = () => dialog === opened && closePreferences();
    if (firstLayer) firstLayer.hidden = true;
    extend('dialog', dialog);
    root.append(dialog);
    dialog.showModal();
    const at = openAt && doc.getElementById('bd-' + openAt);
    openAt = '';
    if (at) at.focus();
    else focusQuietly(dialog);
  }

  // afterDecision: a decision was just made. Undecided: back to the first layer. Focus returns
  // to the opener (or, when it is gone, to what had focus before the first layer showed).
  function closePreferences(afterDecision) {
    const closing = dialog;
    let target = opener;
    if (!closing && !afterDecision) return;
    dialog = opener = null;
    if (closing) {
      closing.close();
      closing.remove();
    }
    if (decided) {
      if (firstLayer) firstLayer.hidden = true;
      if (spacer) spacer.hidden = true;
      if (icon) icon.hidden = false;
    } else if (firstLayer) {
      showFirstLayer();
    }
    if (!target?.isConnected || !target.getClientRects()[0]) target = focusBeforeFirstLayer;
    if (target?.focus) focusQuietly(target);
  }

  // The first layer takes focus once the frame that shows it is painted (a task queued from
  // the next animation frame): focusing needs a layout, which is clean by then, so it neither
  // forces one while the page is parsed nor lands inside the page's first rendering.
  function showFirstLayer(takeFocus) {
    firstLayer.hidden = false;
    icon.hidden = true;
    extend('layer', firstLayer);
    if (spacer) spacer.hidden = false;
    if (takeFocus) {
      focusBeforeFirstLayer = doc.activeElement;
      requestAnimationFrame(() => setTimeout(() => focusQuietly(firstLayer)));
    }
  }

  // ---- events, public API, clicks, focus

  let ready = false;
  const emit = (name) => doc.dispatchEvent(new CustomEvent('bandeau:' + name, { detail: consent() }));
  const listeners = new WeakMap(); // subscriber -> its DOM listener

  window.bandeau = {
    consent,
    allowed,
    open: () => openPreferences(),
    close: () => closePreferences(),
    on(name, subscriber) {
      if (!listeners.has(subscriber)) listeners.set(subscriber, (event) => subscriber(event.detail));
      doc.addEventListener('bandeau:' + name, listeners.get(subscriber));
      if (name === 'ready' && ready) subscriber(consent());
    },
    off(name, subscriber) {
      doc.removeEventListener('bandeau:' + name, listeners.get(subscriber));
    },
  };

  doc.addEventListener(
    'click',
    (event) => {
      const control = event.target.closest?.('[data-bandeau-action],[data-bandeau-open]');
      if (!control) return;
      const action = control.dataset.bandeauAction;
      const grant = control.dataset.bandeauGrant;
      if (!action) {
        event.preventDefault();
        openAt = control.dataset.bandeauOpen;
        openPreferences();
      } else if (grant) {
        decide('grant', 'placeholder', 'bd-grant-' + words(grant).join('-'), words(grant));
      } else if (root?.contains(control)) {
        if (action === 'customise') openPreferences();
        else if (action === 'close') closePreferences();
        else decide(action, dialog?.contains(control) ? 'settings' : 'first', control.id);
      }
    },
    true
  );

  // A page element that gets focus is scrolled clear of the first layer (WCAG 2.4.11); a spacer
  // at the end of the page, as tall as the first layer (hidden with the layer), makes room for
  // that at the bottom of the page.
  doc.addEventListener('focusin', (event) => {
    if (!firstLayer || firstLayer.hidden || root.contains(event.target)) return;
    const box = event.target.getBoundingClientRect();
    const layerTop = firstLayer.getBoundingClientRect().top;
    if (box.bottom <= layerTop) return;
    if (!spacer) doc.body.append((spacer = element('div', { class: 'bd-sp' })));
    spacer.style.height = firstLayer.offsetHeight + 'px';
    scrollBy(0, box.bottom - layerTop + 8);
  });

  // ---- start: the styles and the state apply now, to each element as the parser adds it, the
  // interface as soon as <body> exists, "ready" once the document is parsed (then a decision
  // left unsent is retried).
  addStyles();
  computeFeatures();

  // The parser reports every element it adds; a subtree added by code is searched.
  new MutationObserver((records) =>
    records.forEach((record) =>
      record.addedNodes.forEach((node) => {
        if (node.nodeType !== 1) return;
        if (node.matches(GATED)) enforce(node);
        if (doc.readyState !== 'loading' && node.firstElementChild) node.querySelectorAll(GATED).forEach(enforce);
      })
    )
  ).observe(doc.documentElement, { childList: true, subtree: true });

  // The interface goes into the page in one insertion, already in its shown state.
  function buildInterface() {
    liveRegion = element('div', { class: 'bd-sr', role: 'status' });
    icon = element('button', { type: 'button', id: 'bandeau-icon', 'data-bandeau-open': '', 'aria-label': ui.manage });
    if (pending.length) firstLayer = buildFirstLayer();
    root = element('div', { id: 'bandeau', lang }, [liveRegion, icon, firstLayer]);
    if (firstLayer) showFirstLayer(true);
    doc.body.prepend(root);
    enforceAll();
  }

  function whenParsed() {
    enforceAll();
    ready = true;
    emit('ready');
  }

  // A decision the server never acknowledged is sent again (same id) once the page is loaded
  // and idle, unless the reader decided on this page already. Only a page that has the unsent
  // cookie looks for it: the first read of localStorage blocks the page while the browser
  // loads the site's storage, which most pages then never need.
  // A GPC signal that answers purposes for the first time is recorded once (event gpc_applied,
  // GPC-03): the answer's cookie then carries those refusals, so later pages send nothing.
  function retryUnsent() {
    (window.requestIdleCallback || setTimeout)(() => {
      const unsentBody = unsent && withStorage((s) => JSON.parse(s.getItem(PENDING_KEY)));
      if (unsentBody?.id && !latestSent) send(unsentBody);
      if (gpcApplied.length && !latestSent) {
        const body = decisionBody('gpc', 'signal', 'gpc');
        purposes.forEach((p) => gpcApplied.includes(p.key) && (body.choices[p.key] = { granted: false, digest: p.digest }));
        send(body);
      }
    });
  }

  if (unsent || gpcApplied.length) {
    if (doc.readyState === 'complete') retryUnsent();
    else window.addEventListener('load', retryUnsent);
  }
  if (doc.body) buildInterface();
  else doc.addEventListener('DOMContentLoaded', buildInterface);
  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', whenParsed);
  else whenParsed();
})();
