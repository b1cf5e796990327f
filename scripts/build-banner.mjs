// Builds the shipped banner from its readable sources with the pinned esbuild (package.json,
// package-lock.json): src/bandeau/banner/{banner,preferences}.{js,css} and tcf.js (the TCF
// mode, docs/tcf.md) -> .../dist/.
//
//   node scripts/build-banner.mjs [OUT_DIR]     (default: src/bandeau/banner/dist)
//
// `make banner` runs it; tests/test_banner_build.py runs it into a temporary folder and fails
// when the committed dist/ differs. The same sources and the same esbuild always give the same
// bytes: no source maps, no banner comment, no timestamps.
import { transformSync } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, '..', 'src', 'bandeau', 'banner');
const out = process.argv[2] || join(source, 'dist');

const common = { minify: true, legalComments: 'none', charset: 'utf8' };
const options = {
  // the browsers the banner needs anyway (crypto.randomUUID, <dialog>): the same as the CSS's
  js: { ...common, loader: 'js', target: ['chrome105', 'firefox121', 'safari15.4'] },
  css: { ...common, loader: 'css', target: ['chrome105', 'firefox121', 'safari15.4'] },
};

// banner.js carries the first layer's styles (minified banner.css, as a string in place of
// __BANDEAU_CSS__): one request, and no render-blocking stylesheet in the page's <head>.
// dist/banner.css is still built: the server serves it for pages that link it.
mkdirSync(out, { recursive: true });
const built = {};
for (const name of ['banner.css', 'banner.js', 'preferences.js', 'preferences.css', 'tcf.js']) {
  const kind = name.endsWith('.js') ? 'js' : 'css';
  let text = readFileSync(join(source, name), 'utf8');
  if (name === 'banner.js') {
    const placeholder = '__BANDEAU_CSS__';
    if (text.split(placeholder).length !== 2) throw new Error(`banner.js must hold ${placeholder} once`);
    text = text.replace(placeholder, () => JSON.stringify(built['banner.css'].trim()));
  }
  built[name] = transformSync(text, options[kind]).code;
  writeFileSync(join(out, name), built[name]);
}
