# The two set-up commands of the README: `make run` (the whole system locally) and `make test`.
# Each creates .venv/ on a fresh machine and installs what it needs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Debian packages the tests use: Chromium for the browser tests (Playwright drives it; it cannot
# download its own browser here), CJK fonts so Chinese renders in screenshots, poppler for PDFs,
# binutils for objdump (the deploy tests read the glibc versions Lambda's shared objects need).
DEB_PACKAGES := chromium fonts-noto-cjk poppler-utils binutils

.PHONY: run test bench system-deps font clean miniprogram-deps axe-deps

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# `make run MEMBERS=60000` also seeds that many generated members into Beijing (110000).
run: $(STAMP)
	$(PY) -m devstack $(if $(MEMBERS),--members $(MEMBERS))

# Unit, integration and deploy tests share nothing between processes (in-process moto, temporary
# folders), so they run in parallel, one test file per worker (module fixtures run once). The
# end-to-end tests drive one local stack and one browser per session: run serially after.
test: $(STAMP) system-deps miniprogram-deps axe-deps
	$(PY) -m pytest -n auto --dist loadfile tests/unit tests/integration tests/deploy
	$(PY) -m pytest tests/e2e

# The mini-program's test packages, exactly as miniprogram/package-lock.json pins them.
miniprogram-deps: miniprogram/node_modules/.package-lock.json
miniprogram/node_modules/.package-lock.json: miniprogram/package-lock.json
	cd miniprogram && npm ci --no-audit --no-fund

# axe-core, which the browser tests inject into every page state (WCAG 2.1 A/AA rules), pinned.
axe-deps: tests/e2e/axe/node_modules/.package-lock.json
tests/e2e/axe/node_modules/.package-lock.json: tests/e2e/axe/package-lock.json
	cd tests/e2e/axe && npm ci --no-audit --no-fund

bench: $(STAMP)
	$(PY) -m bench

# Rebuild the bundled certificate font subset from Debian's fonts-noto-cjk (build time only).
font: $(STAMP)
	$(PY) scripts/build_font.py

clean:
	rm -rf $(VENV) .pytest_cache out test-artifacts miniprogram/node_modules tests/e2e/axe/node_modules
