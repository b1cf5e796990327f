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
  js: { ...common, loader: 'js', target: 'es2019' },
  css: { ...common, loader: 'css', target: ['chrome105', 'firefox121', 'safari15.4'] },
};

mkdirSync(out, { recursive: true });
for (const name of ['banner.js', 'banner.css', 'preferences.js', 'preferences.css', 'tcf.js']) {
  const kind = name.endsWith('.js') ? 'js' : 'css';
  const { code } = transformSync(readFileSync(join(source, name), 'utf8'), options[kind]);
  writeFileSync(join(out, name), code);
}
