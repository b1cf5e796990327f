// The IAB's reference library, @iabtcf/core (pinned in package.json), on the other side of
// tests/tcf/test_reference.py. Reads one JSON request on stdin:
//   {"decode": [tcString, ...]}  ->  [model, ...]   (bandeau's JSON names, see docs/tcf.md)
//   {"encode": [model, ...]}     ->  [tcString, ...]
// and writes the answers as a JSON array on stdout. A string the library cannot decode, or a
// model it cannot encode, is answered with {"error": message}.
import { GVL, PurposeRestriction, TCModel, TCString } from '@iabtcf/core';

const ID_SETS = [
  'specialFeatureOptins', 'purposeConsents', 'purposeLegitimateInterests', 'vendorConsents',
  'vendorLegitimateInterests', 'vendorsDisclosed', 'vendorsAllowed', 'publisherConsents',
  'publisherLegitimateInterests', 'publisherCustomConsents', 'publisherCustomLegitimateInterests',
];
const SCALARS = [
  'version', 'cmpId', 'cmpVersion', 'consentScreen', 'consentLanguage', 'vendorListVersion',
  'policyVersion', 'isServiceSpecific', 'purposeOneTreatment', 'publisherCountryCode',
  'numCustomPurposes',
];
// The one name that differs: TCF 2.2 renamed UseNonStandardStacks to UseNonStandardTexts, and
// bandeau uses the new name; @iabtcf/core 1.5.6 still has the old one.
const OLD_NAME = 'useNonStandardStacks';

function idsOf(vector) {
  const ids = [];
  vector.forEach((isSet, id) => { if (isSet) ids.push(id); });
  return ids.sort((a, b) => a - b);
}

function modelOf(tcModel) {
  const out = {};
  for (const name of SCALARS) out[name] = tcModel[name];
  out.useNonStandardTexts = tcModel[OLD_NAME];
  out.created = tcModel.created.toISOString();
  out.lastUpdated = tcModel.lastUpdated.toISOString();
  for (const name of ID_SETS) out[name] = idsOf(tcModel[name]);
  const restrictions = tcModel.publisherRestrictions;
  out.publisherRestrictions = restrictions.getRestrictions().map((r) => ({
    purposeId: r.purposeId,
    restrictionType: r.restrictionType,
    vendorIds: restrictions.getVendors(r).sort((a, b) => a - b),
  }));
  return out;
}

// A vendor list made for one model: its vendors are the model's disclosed vendors (the library
// discloses every vendor of its list), each declaring every purpose for consent, legitimate
// interest and flexibility, so that the library's silent sanitising keeps every bit and every
// restriction the model holds.
function vendorListFor(model) {
  const every = Array.from({ length: 24 }, (_, i) => i + 1);
  const purposes = Object.fromEntries(every.map((id) => [id, { id, name: `Purpose ${id}` }]));
  const vendors = {};
  for (const id of model.vendorsDisclosed) {
    vendors[id] = {
      id, name: `Vendor ${id}`, purposes: every, legIntPurposes: every, flexiblePurposes: every,
      specialPurposes: [], features: [], specialFeatures: [],
    };
  }
  return {
    gvlSpecificationVersion: 3,
    vendorListVersion: model.vendorListVersion,
    tcfPolicyVersion: model.policyVersion,
    lastUpdated: model.created,
    purposes, specialPurposes: {}, features: {}, specialFeatures: {}, stacks: {},
    vendors,
  };
}

async function encode(model) {
  const gvl = new GVL(vendorListFor(model));
  // The consent language is the vendor list's. Changing it offline means giving the library
  // the translated texts first (here the same: a string carries only the language's code).
  const { purposes, specialPurposes, features, specialFeatures, stacks } = gvl;
  const texts = { purposes, specialPurposes, features, specialFeatures, stacks };
  GVL.LANGUAGE_CACHE.set(model.consentLanguage, texts);
  await gvl.changeLanguage(model.consentLanguage);
  const tcModel = new TCModel(gvl);
  for (const name of ['cmpId', 'cmpVersion', 'consentScreen', 'isServiceSpecific',
    'purposeOneTreatment', 'publisherCountryCode', 'numCustomPurposes']) {
    tcModel[name] = model[name];
  }
  tcModel[OLD_NAME] = model.useNonStandardTexts;
  tcModel.created = new Date(model.created);
  tcModel.lastUpdated = new Date(model.lastUpdated);
  for (const name of ID_SETS) {
    if (name !== 'vendorsDisclosed' && name !== 'vendorsAllowed') tcModel[name].set(model[name]);
  }
  for (const r of model.publisherRestrictions) {
    const restriction = new PurposeRestriction(r.purposeId, r.restrictionType);
    for (const id of r.vendorIds) tcModel.publisherRestrictions.add(id, restriction);
  }
  return TCString.encode(tcModel, { segments: model.segments });
}

async function answer(work) {
  try {
    return await work();
  } catch (e) {
    return { error: String(e && e.message ? e.message : e) };
  }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
  const request = JSON.parse(input);
  const answers = [];
  for (const s of request.decode || []) answers.push(await answer(() => modelOf(TCString.decode(s))));
  for (const m of request.encode || []) answers.push(await answer(() => encode(m)));
  process.stdout.write(JSON.stringify(answers));
});
