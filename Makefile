# Every target builds or reuses the virtual environment in .venv from pyproject.toml,
# so a fresh machine needs nothing but Python 3.11+. Running a node installs only
# what a running node needs; the test tools (Playwright, mypy, ruff, hypothesis…)
# come with the first `make test`, `make lint`, `make bench` or `make faults`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed-test
DATA ?= data
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run demo test lint bench sim faults translations clean-venv

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# First use initialises a node in ./data (keys, config, database); later uses reuse it.
run: $(RUN_STAMP)
	@test -f $(DATA)/config.toml || $(BIN)/hubnet init --data-dir $(DATA) \
		--name "$${HUBNET_NAME:-My hub}" --url "http://$(HOST):$(PORT)"
	$(BIN)/hubnet run --data-dir $(DATA) --host $(HOST) --port $(PORT)

# Three hubs peered in a line on ports 8081-8083, with sample data (./demo-data).
demo: $(RUN_STAMP)
	$(BIN)/python -m node.demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# tests/browser drive Debian's Chromium (Playwright's own browser download fails here).
# A file target: once /usr/bin/chromium exists this does nothing. Needs root, as CI has.
/usr/bin/chromium:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

# tests/browser/test_year.py moves a real node's clock with Debian's libfaketime.
/usr/bin/faketime:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends faketime

# tests/integration/test_deploy.py installs into a temporary root (systemd-sysusers makes
# the user) and checks the unit with systemd-analyze verify: both come with systemd.
/usr/bin/systemd-analyze:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd

# tests/integration/test_proxies.py runs deploy/'s nginx.conf and Caddyfile with Debian's
# nginx and caddy in front of a node.
/usr/sbin/nginx:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light

/usr/bin/caddy:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends caddy

# tests/integration/test_onion.py runs Debian's tor with deploy/torrc (off the network)
# to make a hidden service. Installing it starts no daemon where systemd is not running.
/usr/sbin/tor:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tor

# tests/integration/test_fediverse_interop.py runs two independent ActivityPub
# implementations: bovine (PyPI), in a virtual environment of its own (it pins an older
# cryptography than the node's), and the Fedify library (npm, version pinned in
# tests/interop/package.json; Fedify's CLI package downloads a prebuilt binary when
# installed, which cannot be fetched here). Node.js and npm come from Debian.
INTEROP := tests/interop/.venv/.installed
$(INTEROP): tests/interop/requirements.txt tests/interop/package.json /usr/bin/npm
	test -x tests/interop/.venv/bin/python || $(PYTHON) -m venv tests/interop/.venv
	tests/interop/.venv/bin/pip install --quiet -r tests/interop/requirements.txt
	cd tests/interop && npm install --no-package-lock --no-audit --no-fund --silent
	touch $(INTEROP)

/usr/bin/npm:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm

# make bench loads the HTTP rows with wrk, a C client that costs the machine little.
/usr/bin/wrk:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk

# tests/browser/test_lighthouse.py runs Lighthouse (pinned in tests/lighthouse/package.json)
# with Node.js (the /usr/bin/npm target above) and Debian's Chromium.
# Lighthouse's own dependencies only: none of them downloads a browser.
LIGHTHOUSE := tests/lighthouse/node_modules/lighthouse/package.json
$(LIGHTHOUSE): tests/lighthouse/package.json tests/lighthouse/package-lock.json | /usr/bin/npm
	cd tests/lighthouse && npm ci --no-audit --no-fund --loglevel=error
	touch $(LIGHTHOUSE)

test: $(STAMP) lint /usr/bin/chromium /usr/bin/faketime /usr/bin/systemd-analyze \
		/usr/sbin/nginx /usr/bin/caddy /usr/sbin/tor $(INTEROP) $(LIGHTHOUSE)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# The fault suite at full scale (docs/RELIABILITY.md): 200 SIGKILLs, partition rounds,
# a peer down for a minute, 100,000 fuzzed requests; then a table of the figures.
# `make test` runs the same tests at a small scale. SOAK_KILLS etc. override.
# The soak tests (mostly waiting on restarts and outages) and the rest (mostly the
# fuzzed node's CPU) run side by side; each appends its figures to the report.
FAULTS_REPORT := .faults-report.jsonl
FAULTS_PYTEST := SOAK=full SOAK_REPORT=$(FAULTS_REPORT) $(BIN)/python -m pytest -q -p no:cacheprovider
faults: $(STAMP)
	rm -f $(FAULTS_REPORT)
	$(FAULTS_PYTEST) tests/faults/test_soak.py & soak=$$!; \
	$(FAULTS_PYTEST) tests/faults/test_fuzz.py tests/faults/test_privacy.py \
		tests/faults/test_durability.py tests/faults/test_attacks.py tests/faults/test_crowds.py; rest=$$?; \
	wait $$soak; soak=$$?; \
	$(BIN)/python -m tests.faults.summary $(FAULTS_REPORT); \
	test $$soak = 0 && test $$rest = 0

bench: $(STAMP) /usr/bin/wrk
	$(BIN)/python -m tests.benchmarks

# A simulated day of 10, 100 and 1,000 hubs: what each hub stores and sends, how fast a
# message spreads, and full against selective replication (docs/ARCHITECTURE.md,
# "A thousand hubs"). Takes several minutes on one core.
sim: $(STAMP)
	$(BIN)/python -m tests.benchmarks.simulation --old-witness-rule --lean-witness 300

# The pages' words: extract every marked text into web/translations/messages.pot and
# add the new ones to each language's .po (docs/ARCHITECTURE.md, "Languages"); then
# translate the empty msgstr entries. The .po is compiled when the node starts. The
# services' refusals and words are extracted by the names keywords.txt lists.
translations: $(RUN_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ $(addprefix -k,$(file <web/translations/keywords.txt)) \
		--no-location --sort-output --omit-header -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations \
		--no-fuzzy-matching --ignore-obsolete --width 100

clean-venv:
	rm -rf $(VENV)
