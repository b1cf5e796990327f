# The developer contract: the same commands for people, the README and CI.
#   make demo   run the demo news site with its banner (SQLite, http://127.0.0.1:8000/)
#   make demo-tcf  the same in TCF mode (TCF_VENDOR_LIST=the vendor list, TCF_TRANSLATIONS=its
#                  purposes' translations, docs/tcf.md)
#   make test   install what the tests need, then lint, type-check and run every test
#   make check  lint and type-check only
#   make bench  run the benchmarks under bench/
#   make banner rebuild the shipped banner (src/bandeau/banner/dist/) from its readable sources

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo demo-tcf test check bench install install-dev browser banner

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python node_modules/.package-lock.json
	$(BIN)/pip install --quiet -e '.[dev]'

# The banner's minifier: esbuild at the exact version of package-lock.json. Only building the
# banner needs it (the built files are committed, so pip installs need no Node).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

banner: node_modules/.package-lock.json
	node scripts/build-banner.mjs

# Debian's Chromium drives the browser tests (Playwright's own download is not used).
browser:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium'"; exit 1; fi; }

demo: install
	$(BIN)/bandeau demo

# The demo in TCF mode over the shared test vendor list, read where it is (docs/tcf.md).
TCF_VENDOR_LIST ?= ../shared/tcf/vectors.json\#gvlFixture
# bandeau's own French texts for the test list's purposes (not the IAB's: tests/tcf/fixtures)
TCF_TRANSLATIONS ?= tests/tcf/fixtures/purposes-{lang}.json
demo-tcf: install
	$(BIN)/bandeau demo --tcf --vendor-list "$(TCF_VENDOR_LIST)" --translations "$(TCF_TRANSLATIONS)"

check: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: install-dev browser check
	$(BIN)/pytest -q

bench: install-dev browser
	$(BIN)/python bench/run.py
