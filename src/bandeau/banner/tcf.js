// bandeau TCF mode: IAB TCF v2.3 (__tcfapi), Google Consent Mode v2 (gtag) and GPP (__gpp) for
// the sites whose policy enables them (docs/tcf.md). Served as tcf.js, apart from the first
// layer, and loaded synchronously in <head> before banner.js and before any ad or Google tag.
//
// This is the readable source; dist/tcf.js is its minified copy (`make banner`), and
// bandeau.tcf.bundle puts the site's TCF config in place of __BANDEAU_TCF__. The server writes
// the TC string: this script sends the reader's TCF choices with the banner's decision (the
// `decide` hook of banner.js), and gets the string back with the answer (the `answer` hook).
// Plain ES2019, no dependency, no eval, nothing fetched from the IAB.
(function () {
  'use strict';

  const config = __BANDEAU_TCF__;
  const win = window;
  const doc = document;
  if (win.__tcfapi && win.__tcfapi.bandeau) return; // a second copy does nothing

  const tcf = config.tcf;
  const gcm = config.gcm;
  const texts = config.texts;
  const STORE_KEY = 'bandeau.tcf';
  const cookieName = config.cookie;

  const element = (tag, attributes, ...children) => {
    const node = doc.createElement(tag);
    for (const name in attributes) {
      const value = attributes[name];
      if (value != null && value !== false) node.setAttribute(name, value === true ? '' : value);
    }
    node.append(...children.flat(9).filter((child) => child != null && child !== false && child !== ''));
    return node;
  };
  const fill = (template, values) => String(template || '').replace(/\{(\w+)\}/g, (_, key) => values[key]);
  const keysOf = (object) => Object.keys(object || {}).map(Number);
  const storage = (use) => {
    try {
      return use(localStorage);
    } catch (error) {
      return undefined;
    }
  };

  // ---- the reader's TCF choices: stored (the server's last answer), or the defaults shown with
  // the UI: no consent, legitimate interests not objected to (TCF-14 cmpuishown)
  const LISTS = ['purposeConsents', 'purposeLegitimateInterests', 'specialFeatureOptins', 'vendorConsents', 'vendorLegitimateInterests'];
  const cookieValue = (doc.cookie.split('; ').find((pair) => pair.startsWith(cookieName + '=')) || '').slice(cookieName.length + 1);
  let stored = storage((s) => JSON.parse(s.getItem(STORE_KEY)));
  // a stored answer counts while the cookie still carries its string and the TCF policy is
  // the same (TCF-08: another policy version means asking again from scratch)
  if (!tcf || !stored || stored.tcString !== cookieValue || stored.policyVersion !== tcf.policyVersion) stored = null;
  const everything = tcf && {
    purposeConsents: tcf.consent,
    purposeLegitimateInterests: tcf.li,
    specialFeatureOptins: keysOf(tcf.specialFeatures),
    vendorConsents: tcf.vendorConsents,
    vendorLegitimateInterests: tcf.vendorLI,
  };
  const shownDefault = tcf && { ...everything, purposeConsents: [], specialFeatureOptins: [], vendorConsents: [], tcString: tcf.initial };
  let current = stored || shownDefault; // what TCData says now
  let controls = null; // checkbox by list name and id, while the preferences are open

  // ---- Google Consent Mode v2 (GCM-01…06): every signal denied before any Google tag, then
  // updated from the reader's choice on every page and after each decision
  const gtag = function () {
    win.dataLayer.push(arguments);
  };
  let lastUpdate = '';
  function allowedTerm(term, consent) {
    if (term.startsWith('tcf:')) return !!current && current.purposeConsents.includes(+term.slice(4));
    return !!consent.purposes[term];
  }
  function updateConsentMode(consent) {
    if (!gcm || !consent.decided) return;
    const update = {};
    Object.keys(gcm.signals).forEach((signal) => {
      const terms = gcm.signals[signal];
      update[signal] = terms.length && terms.every((term) => allowedTerm(term, consent)) ? 'granted' : 'denied';
    });
    const text = JSON.stringify(update);
    if (text !== lastUpdate) gtag('consent', 'update', update);
    lastUpdate = text;
  }
  if (gcm) {
    win.dataLayer = win.dataLayer || [];
    const defaults = { wait_for_update: gcm.wait };
    Object.keys(gcm.signals).forEach((signal) => (defaults[signal] = 'denied'));
    if (gcm.region.length) defaults.region = gcm.region;
    gtag('consent', 'default', defaults);
    if (gcm.redact) gtag('set', 'ads_data_redaction', true);
    if (gcm.passthrough) gtag('set', 'url_passthrough', true);
  }

  // ---- TCData (TCF-13) and the __tcfapi commands (TCF-11, TCF-12)
  let eventStatus = null; // tcloaded | cmpuishown | useractioncomplete, once known
  // Whether the CMP's UI is on screen, read from the page when asked: the first layer shown or
  // the preferences open. (Kept in a variable, it lagged behind the preferences' close event,
  // which comes a task after the dialog is gone.)
  const displayStatus = () =>
    tcf && doc.querySelector('#bandeau .bd-l1:not([hidden]), #bandeau dialog[open]') ? 'visible' : 'hidden';
  const listeners = {};
  let nextListener = 1;

  const flags = (ids, all) => {
    const out = {};
    all.forEach((id) => (out[id] = ids.includes(id)));
    return out;
  };
  function tcData(listenerId) {
    const base = { tcfPolicyVersion: tcf.policyVersion, cmpId: tcf.cmpId, cmpVersion: tcf.cmpVersion, gdprApplies: tcf.gdprApplies, listenerId };
    if (!tcf.gdprApplies) return base;
    const restrictions = {};
    tcf.restrictions.forEach(([purpose, type, vendors]) => {
      restrictions[purpose] = restrictions[purpose] || {};
      vendors.forEach((vendor) => (restrictions[purpose][vendor] = type));
    });
    const purposes = keysOf(tcf.purposes);
    const vendors = tcf.vendors.map((vendor) => vendor.id);
    const data = {
      ...base,
      tcString: current.tcString,
      eventStatus,
      cmpStatus: 'loaded',
      isServiceSpecific: true,
      useNonStandardTexts: false,
      publisherCC: tcf.publisherCC,
      purposeOneTreatment: false,
      purpose: { consents: flags(current.purposeConsents, purposes), legitimateInterests: flags(current.purposeLegitimateInterests, purposes) },
      vendor: {
        consents: flags(current.vendorConsents, vendors),
        legitimateInterests: flags(current.vendorLegitimateInterests, vendors),
        disclosedVendors: flags(vendors, vendors),
      },
      specialFeatureOptins: flags(current.specialFeatureOptins, keysOf(tcf.specialFeatures)),
      publisher: { consents: {}, legitimateInterests: {}, customPurpose: { consents: {}, legitimateInterests: {} }, restrictions },
    };
    if (gcm) data.enableAdvertiserConsentMode = true; // GCM-06
    return data;
  }

  function setStatus(status) {
    eventStatus = status;
    Object.keys(listeners).forEach((id) => listeners[id](tcData(+id), true));
    gppChanged();
  }

  const pingReturn = () => ({
    gdprApplies: tcf.gdprApplies,
    cmpLoaded: true,
    cmpStatus: 'loaded',
    displayStatus: displayStatus(),
    apiVersion: '2.3',
    cmpVersion: tcf.cmpVersion,
    cmpId: tcf.cmpId,
    gvlVersion: tcf.vendorListVersion,
    tcfPolicyVersion: tcf.policyVersion,
  });

  const commands = {
    ping: (callback) => callback(pingReturn(), true),
    addEventListener(callback) {
      const id = nextListener++;
      listeners[id] = callback;
      if (eventStatus) callback(tcData(id), true); // else once the status is known
    },
    removeEventListener(callback, listenerId) {
      const known = listeners[listenerId] !== undefined;
      delete listeners[listenerId];
      callback(known, known);
    },
    // the server's narrowed copy of the list (TCF-10: never the IAB's servers from a browser)
    getVendorList(callback, version) {
      const wanted = version == null || version === 'LATEST' ? tcf.vendorListVersion : version;
      if (wanted !== tcf.vendorListVersion) return callback(null, false);
      fetch(config.api + '/vendor-list.json')
        .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
        .then((list) => callback(list, true), () => callback(null, false));
    },
  };

  function tcfapi(command, version, callback, parameter) {
    if (typeof callback !== 'function') return;
    if (version === 1 || (version != null && version !== 0 && version !== 2) || !commands[command]) {
      callback(null, false);
      return;
    }
    commands[command](callback, parameter);
  }
  tcfapi.bandeau = true;

  // ---- GPP (GPP-04): the EU TCF v2 section, which is the TC string itself (GPP-02)
  const gppListeners = {};
  let nextGppListener = 1;
  const gppString = () => (current.tcString ? tcf.gppHeader + '~' + current.tcString : '');
  const tcfSection = () =>
    current.tcString && {
      Version: 2,
      CmpId: tcf.cmpId,
      CmpVersion: tcf.cmpVersion,
      PolicyVersion: tcf.policyVersion,
      VendorListVersion: tcf.vendorListVersion,
      IsServiceSpecific: true,
      PublisherCountryCode: tcf.publisherCC,
      PurposeConsents: current.purposeConsents,
      PurposeLegitimateInterests: current.purposeLegitimateInterests,
      SpecialFeatureOptins: current.specialFeatureOptins,
      VendorConsents: current.vendorConsents,
      VendorLegitimateInterests: current.vendorLegitimateInterests,
      VendorsDisclosed: tcf.vendors.map((vendor) => vendor.id),
      Created: current.created,
      LastUpdated: current.created,
      ConsentLanguage: current.consentLanguage,
    };
  const gppPing = () => ({
    gppVersion: '1.1',
    cmpStatus: 'loaded',
    cmpDisplayStatus: displayStatus(),
    signalStatus: eventStatus && eventStatus !== 'cmpuishown' ? 'ready' : 'not ready',
    supportedAPIs: ['2:tcfeuv2'],
    cmpId: tcf.cmpId,
    sectionList: current.tcString ? [2] : [],
    applicableSections: tcf.gdprApplies ? [2] : [-1],
    gppString: gppString(),
    parsedSections: current.tcString ? { tcfeuv2: [tcfSection()] } : {},
  });
  const gppEvent = (eventName, listenerId, data) => ({ eventName, listenerId, data, pingData: gppPing() });
  function gppChanged() {
    Object.keys(gppListeners).forEach((id) => {
      gppListeners[id](gppEvent('signalStatus', +id, gppPing().signalStatus), true);
      if (current.tcString) gppListeners[id](gppEvent('sectionChange', +id, 'tcfeuv2'), true);
    });
  }
  const gppCommands = {
    ping: (callback) => callback(gppPing(), true),
    addEventListener(callback) {
      const id = nextGppListener++;
      gppListeners[id] = callback;
      callback(gppEvent('listenerRegistered', id, true), true);
    },
    removeEventListener(callback, id) {
      const known = gppListeners[id] !== undefined;
      delete gppListeners[id];
      callback(gppEvent('listenerRemoved', id, known), known);
    },
    hasSection: (callback, name) => callback(name === 'tcfeuv2' && !!current.tcString, true),
    getSection: (callback, name) => callback(name === 'tcfeuv2' ? tcfSection() || null : null, true),
    getField(callback, path) {
      const [section, field] = String(path).split('.');
      const found = section === 'tcfeuv2' && tcfSection();
      callback(found ? found[field] : null, true);
    },
  };
  function gpp(command, callback, parameter) {
    if (typeof callback !== 'function') return;
    if (!gppCommands[command]) return callback(null, false);
    gppCommands[command](callback, parameter);
  }

  // ---- the locator frames and postMessage calls from iframes (TCF-11, GPP-04)
  function locate(name) {
    for (let frame = win; frame; frame = frame === win.top ? null : frame.parent) {
      try {
        if (frame.frames[name]) return;
      } catch (error) {
        // a cross-origin ancestor without the frame: keep looking up
      }
    }
    // at once, in <head> while there is no <body> yet: iframes of the page may ask already (made
    // later, on a timer as the IAB's stub does without a <body>, a fast ad frame finds no CMP).
    // The two frames are most of this script's main-thread time (bench/tcf.py --trace)
    (doc.body || doc.head || doc.documentElement).append(
      element('iframe', { name, title: name, hidden: true, tabindex: -1, 'aria-hidden': 'true' })
    );
  }
  const answerFrames = (event) => {
    let data = event.data;
    try {
      if (typeof data === 'string') data = JSON.parse(data);
    } catch (error) {
      return; // not a call of ours
    }
    const call = data && (data.__tcfapiCall || data.__gppCall);
    if (!call || !event.source) return;
    const answer = (returnValue, success) => {
      const key = data.__tcfapiCall ? '__tcfapiReturn' : '__gppReturn';
      event.source.postMessage({ [key]: { returnValue, success, callId: call.callId } }, '*');
    };
    if (data.__tcfapiCall) tcfapi(call.command, call.version, answer, call.parameter);
    else gpp(call.command, answer, call.parameter);
  };

  if (tcf) {
    // calls queued by an IAB stub the page inlined before this script are answered now
    const queued = typeof win.__tcfapi === 'function' ? win.__tcfapi() : null;
    const gppQueued = typeof win.__gpp === 'function' && win.__gpp.queue;
    win.__tcfapi = tcfapi;
    win.__gpp = gpp;
    win.addEventListener('message', answerFrames);
    locate('__tcfapiLocator');
    locate('__gppLocator');
    (Array.isArray(queued) ? queued : []).forEach((args) => tcfapi(...args));
    (Array.isArray(gppQueued) ? gppQueued : []).forEach((args) => gpp(...args));
  }

  // ---- the interface: the first layer's TCF paragraph (TCF-UI-01) and, in the preferences,
  // each purpose and each vendor with its consent and its objection (legitimate interest)
  const vendorCount = tcf ? tcf.vendors.length : 0;
  const names = (ids, table) => ids.map((id) => (table[id] || [])[0] || id).join(', ');

  // the policy's stacks first (name and description), then each purpose and special feature
  // no stack covers (TCF-UI-01: purposes or stacks, none shown twice)
  function firstLayerPart() {
    const covered = {};
    tcf.stacks.forEach(([, , purposes, features]) => purposes.concat(features.map((id) => 's' + id)).forEach((id) => (covered[id] = 1)));
    const features = keysOf(tcf.specialFeatures).filter((id) => !covered['s' + id]);
    return element('div', { class: 'bd-tcf' }, [
      element('p', null, fill(texts.intro, { count: vendorCount })),
      element('ul', null, [
        tcf.stacks.map(([name, description]) => element('li', { 'data-bandeau-stack': '' }, [element('b', null, name), ' \u2014 ', description])),
        keysOf(tcf.purposes)
          .filter((id) => !covered[id])
          .map((id) => element('li', null, tcf.purposes[id][0])),
      ]),
      vendorCount && features.length > 0 && element('p', null, [element('b', null, texts.special_features), ' \u2014 ', names(features, tcf.specialFeatures)]),
      element(
        'p',
        null,
        element('a', { href: tcf.page || '#bd-tcf-vendors', 'data-bandeau-open': tcf.page ? null : '' }, fill(texts.vendors_link, { count: vendorCount }))
      ),
    ]);
  }

  // a checkbox bound to one id of one list of the choices
  function box(list, id, label) {
    const input = element('input', { type: 'checkbox', checked: current[list].includes(id), 'data-bandeau-tcf': list + ':' + id });
    controls[list][id] = input;
    return element('label', null, input, ' ' + label);
  }

  function vendorPart(vendor) {
    const declared = (title, ids, table) => ids.length > 0 && element('p', null, [element('b', null, title), ' ', names(ids, table)]);
    const days = vendor.retention;
    const cookieDays = vendor.cookieMaxAgeSeconds > 0 ? Math.ceil(vendor.cookieMaxAgeSeconds / 86400) : 0;
    const link = (href, label) => href && [' ', element('a', { href, rel: 'noopener', target: '_blank' }, label)];
    return [
      tcf.vendorConsents.includes(vendor.id) && box('vendorConsents', vendor.id, texts.consent),
      tcf.vendorLI.includes(vendor.id) && box('vendorLegitimateInterests', vendor.id, texts.legitimate_interest),
      declared(texts.consent, vendor.purposes, tcf.purposes),
      declared(texts.legitimate_interest, vendor.legIntPurposes, tcf.purposes),
      declared(texts.special_purposes, vendor.specialPurposes, tcf.specialPurposes),
      declared(texts.features, vendor.features, tcf.features),
      declared(texts.special_features, vendor.specialFeatures, tcf.specialFeatures),
      declared(texts.data, vendor.dataDeclaration, tcf.dataCategories),
      days != null && element('p', null, fill(texts.retention, { count: days })),
      element('p', null, [
        element('b', null, texts.storage),
        ' ',
        vendor.usesCookies ? fill(texts.cookies, { count: cookieDays }) : texts.no_cookies,
        vendor.usesNonCookieAccess ? ' \u00b7 ' + texts.other_storage : '',
        link(vendor.deviceStorageDisclosureUrl, texts.disclosure),
      ]),
      element('p', null, [link(vendor.privacy, texts.privacy), link(vendor.legIntClaim, texts.legitimate_interest)]),
    ];
  }

  // each vendor's details are built when the reader first opens them: a long vendor list costs
  // nothing until it is read (a vendor never opened keeps its current choices, choicesFor)
  function vendorEntry(vendor) {
    const summary = element('summary', null, vendor.name);
    const entry = element('details', { 'data-bandeau-vendor': vendor.id }, summary);
    // on the summary's click (mouse or keyboard), before the details open; toggle for the rest
    const build = () => entry.childElementCount < 2 && entry.append(...vendorPart(vendor).filter(Boolean));
    summary.addEventListener('click', build);
    entry.addEventListener('toggle', build);
    return entry;
  }

  function preferencesPart() {
    controls = {};
    LISTS.forEach((list) => (controls[list] = {}));
    const purposeRows = keysOf(tcf.purposes).map((id) =>
      element('div', { class: 'bd-p', 'data-bandeau-tcf-purpose': id }, [
        element('h3', null, tcf.purposes[id][0]),
        element('p', null, tcf.purposes[id][1]),
        tcf.consent.includes(id) && box('purposeConsents', id, texts.consent),
        tcf.li.includes(id) && box('purposeLegitimateInterests', id, texts.legitimate_interest),
      ])
    );
    const featureRows = keysOf(tcf.specialFeatures).map((id) =>
      element('div', { class: 'bd-p' }, [element('h3', null, tcf.specialFeatures[id][0]), box('specialFeatureOptins', id, texts.consent)])
    );
    return element('section', { class: 'bd-tcf', id: 'bd-tcf-vendors' }, [
      element('h3', null, texts.title),
      element('p', null, fill(texts.intro, { count: vendorCount })),
      purposeRows,
      featureRows,
      element('h3', null, fill(texts.vendors_link, { count: vendorCount })),
      tcf.vendors.map(vendorEntry),
    ]);
  }

  // What a decision answers: accept all everything, refuse all nothing (legitimate interests
  // included, EDPB-F), save what the boxes say, a placeholder's grant the current choices.
  function choicesFor(action) {
    if (action === 'accept_all') return everything;
    const out = {};
    LISTS.forEach((list) => {
      const shown = controls ? controls[list] : {};
      if (action === 'refuse_all') out[list] = [];
      else if (action === 'save') out[list] = current[list].filter((id) => !shown[id]).concat(keysOf(shown).filter((id) => shown[id].checked));
      else out[list] = current[list].slice();
    });
    return out;
  }

  let bandeauState = { decided: false, purposes: {} };
  const hooks = {
    layer(layer) {
      if (!tcf) return;
      if (!layer.querySelector('.bd-tcf')) layer.querySelector('.bd-sc').append(firstLayerPart());
      if (eventStatus !== 'cmpuishown') setStatus('cmpuishown');
    },
    dialog(dialog) {
      if (!tcf) return;
      dialog.querySelector('.bd-sc').append(preferencesPart());
      if (eventStatus !== 'cmpuishown') setStatus('cmpuishown');
    },
    decide(body, action) {
      if (!tcf) return;
      const choices = choicesFor(action);
      body.tcf = { vendorListVersion: tcf.vendorListVersion, ...choices };
      // as the banner does: what is taken back counts now, what is given once recorded (answer)
      const kept = { ...current };
      LISTS.forEach((list) => (kept[list] = current[list].filter((id) => choices[list].includes(id))));
      current = kept;
      controls = null;
    },
    answer(answer) {
      if (!tcf || !answer.tcf) return;
      current = answer.tcf;
      storage((s) => s.setItem(STORE_KEY, JSON.stringify(current)));
      doc.cookie =
        cookieName + '=' + current.tcString + ';Max-Age=' + answer.max_age + ';Path=/;SameSite=Lax' +
        (location.protocol === 'https:' ? ';Secure' : '') +
        (config.cookieDomain ? ';Domain=' + config.cookieDomain : '');
      setStatus('useractioncomplete');
      updateConsentMode(bandeauState);
    },
  };
  (win.bandeauExtensions = win.bandeauExtensions || []).push(hooks);

  doc.addEventListener('bandeau:change', (event) => updateConsentMode((bandeauState = event.detail)));
  doc.addEventListener('bandeau:ready', (event) => {
    bandeauState = event.detail;
    updateConsentMode(bandeauState);
    if (!tcf || eventStatus) return;
    // decided and a current string: nothing will be shown (tcloaded); decided without one
    // (TCF mode enabled since, another TCF policy): the choices are asked again
    if (bandeauState.decided && stored) setStatus('tcloaded');
    else if (bandeauState.decided) win.bandeau.open();
  });
})();
