# Confide: the commands a developer runs and CI runs (`make help` lists them).
#
# Works on a fresh clone with nothing but python3 (3.11+), pip and make (plus node/npm once
# frontend/ exists): uv is bootstrapped into .tools/, the locked environment into .venv/.
# CI (.ci/run) runs `make check` and `make sbom`, exactly as a developer would.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:
MAKEFLAGS += --no-builtin-rules --no-print-directory

PYTHON ?= python3
UV_VERSION := 0.13.9
SEMGREP_VERSION := 1.179.0
CYCLONEDX_NPM_VERSION := 6.0.1

TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_STAMP := $(TOOLS)/.uv-$(UV_VERSION)
VENV := .venv
VENV_STAMP := $(VENV)/.synced
BIN := $(VENV)/bin
REPORTS := reports
FRONTEND := frontend

# Installed modules are compiled to bytecode once, so `confide serve` starts in well under a
# second instead of compiling ~900 modules on every start (see benchmarks/startup.py).
export UV_COMPILE_BYTECODE := 1
# llama-cpp-python compiles from source: a portable build (the native one crashes on CPUs that
# report AMX they cannot use). uv caches the built wheel.
export CMAKE_ARGS := -DGGML_NATIVE=OFF
# uv must never fetch a Python build (only PyPI is reachable): use the machine's python3.
export UV_PYTHON_DOWNLOADS := never
# semgrep runs offline: no version check, no metrics.
export SEMGREP_ENABLE_VERSION_CHECK := 0
export SEMGREP_SEND_METRICS := off

# semgrep lives in its own uv-cached environment, pinned by .semgrep/constraints.txt, never in
# the project's .venv (its dependencies would fight the app's).
SEMGREP := $(UV) tool run --from semgrep==$(SEMGREP_VERSION) \
	--constraints .semgrep/constraints.txt semgrep
SEMGREP_FLAGS := --metrics=off --disable-version-check --quiet

PYTEST := $(BIN)/python -m pytest
COVERAGE := --cov=confide --cov-report=term-missing
PYTEST_ARGS ?=
# Advisories accepted after review, e.g. AUDIT_ACCEPT="PYSEC-2024-1 GHSA-xxxx". Each one must be
# listed in SECURITY.md with its reason.
AUDIT_ACCEPT ?=

HAVE_FRONTEND := $(wildcard $(FRONTEND)/package.json)
HAVE_FRONTEND_LOCK := $(wildcard $(FRONTEND)/package-lock.json)

# The web app is built into the Python package (gitignored; wheels ship it). The stamps make
# `make run` and `make test` run `npm ci` only when the lockfile changes and `npm run build`
# only when a source, a config file or the installed packages change.
APP_DIR := src/confide/static/app
APP_STAMP := $(APP_DIR)/index.html
NPM_STAMP := $(FRONTEND)/node_modules/.installed
FRONTEND_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/public -type f 2>/dev/null) \
	$(wildcard $(FRONTEND)/index.html $(FRONTEND)/*.config.* $(FRONTEND)/tsconfig.json)

.PHONY: help env app run test test-frontend lint typecheck fmt sast sast-registry sbom audit \
	check clean distclean bench

help: ## list the targets
	@echo "usage: make TARGET"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)

# --- environment ---------------------------------------------------------------------------

$(UV_STAMP):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	touch $@

# Re-synced only when the lock, pyproject.toml or uv itself changes.
$(VENV_STAMP): $(UV_STAMP) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

env: $(VENV_STAMP) ## bootstrap uv into .tools/ and the locked dependencies into .venv/

$(NPM_STAMP): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	touch $@

# The built index.html is the stamp: vite writes it last, and a wheel ships nothing extra.
$(APP_STAMP): $(NPM_STAMP) $(FRONTEND_SOURCES)
	cd $(FRONTEND) && npm run build
	touch $@

app: $(APP_STAMP) ## build the web app into src/confide/static/app/ (when its sources changed)

# --- run -----------------------------------------------------------------------------------

run: $(VENV_STAMP) $(APP_STAMP) ## migrate, then serve on http://127.0.0.1:8080 (CONFIDE_* env vars apply)
	@# Compile our own modules too (PYTHONDONTWRITEBYTECODE may be set): a faster start.
	$(BIN)/python -m compileall -q src
	$(BIN)/confide migrate
	exec $(BIN)/confide serve

# --- tests ---------------------------------------------------------------------------------

# $(call pytest,DB,FLAGS): one pass of the whole suite. pytest's exit status 5 means it
# collected no test at all: that is a broken suite, never a pass.
define pytest
	@echo "== pytest on $(1)"
	@status=0; \
	$(PYTEST) --db=$(1) $(2) --junitxml=$(REPORTS)/junit-$(1).xml $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then \
		echo "make test: FAILED -- pytest collected no tests on $(1) (exit status 5)." >&2; \
		echo "A run that tests nothing is not a pass: check testpaths and test names." >&2; \
		exit 1; \
	fi; \
	exit $$status
endef

# PostgreSQL tests run against 127.0.0.1:5432 (or CONFIDE_TEST_POSTGRES_URL); the suite skips
# them, with the reason, when that server is unreachable.
# The browser tests (tests/e2e/) drive the built app in Chromium; they run in the SQLite pass.
test: $(VENV_STAMP) $(APP_STAMP) test-frontend ## web app checks, the suite on SQLite (with coverage floor), then PostgreSQL
	@mkdir -p $(REPORTS)
	$(call pytest,sqlite,$(COVERAGE))
	$(call pytest,postgresql,)

test-frontend: $(NPM_STAMP) ## the web app's unit tests (vitest) and type checks (svelte-check)
	cd $(FRONTEND) && npm test
	cd $(FRONTEND) && npm run check

bench: $(VENV_STAMP) ## run the benchmarks (on demand; figures, not pass/fail; ~20 min)
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/stream.py
	$(BIN)/python benchmarks/history.py --chats 20000  # the issue's 100,000: run it by hand

# --- static checks -------------------------------------------------------------------------

lint: $(VENV_STAMP) ## ruff check (including flake8-bandit S rules) and ruff format --check
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	exit $$status

typecheck: $(VENV_STAMP) ## mypy --strict (configured in pyproject.toml) on src/ and scripts/
	$(BIN)/mypy
	$(BIN)/mypy scripts

fmt: $(VENV_STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix . || true  # what cannot be fixed is listed; `make lint` fails on it
	$(BIN)/ruff format .

# Rule tests: .semgrep/tests/<rules>.py holds annotated cases for .semgrep/rules/<rules>.yml;
# .semgrep/tests/scope/ checks the rules' path scoping, which `semgrep --test` ignores.
sast: $(VENV_STAMP) ## bandit (no HIGH allowed), semgrep with our rules (and their tests), secrets scan, eslint
	@echo "== bandit on src/ (every finding is listed; a HIGH severity one fails)"
	$(BIN)/bandit -c pyproject.toml -r src --quiet --exit-zero
	@$(BIN)/bandit -c pyproject.toml -r src --quiet --severity-level high > /dev/null || { \
		echo "bandit: HIGH severity finding(s) above: fix them (an accepted one needs" \
			"'# nosec BXXX' with its reason, and an entry in SECURITY.md)" >&2; exit 1; }
	@echo "bandit: no HIGH severity finding"
	@echo "== semgrep: rule tests"
	$(SEMGREP) --test $(SEMGREP_FLAGS) --config .semgrep/rules .semgrep/tests
	@echo "== semgrep: path scoping"
	@mkdir -p $(REPORTS)
	$(SEMGREP) scan $(SEMGREP_FLAGS) --no-git-ignore --config .semgrep/rules \
		--json --output $(REPORTS)/semgrep-scope.json .semgrep/tests/scope
	$(BIN)/python scripts/semgrep_scope_check.py $(REPORTS)/semgrep-scope.json .semgrep/tests/scope
	@echo "== semgrep on src/ and frontend/src/ (Confide's invariants)"
	$(SEMGREP) scan $(SEMGREP_FLAGS) --error --no-git-ignore --config .semgrep/rules \
		src $(wildcard $(FRONTEND)/src)
	@echo "semgrep: no findings"
	@echo "== detect-secrets over the tracked files (new secrets fail; .secrets.baseline lists the audited ones)"
	@# On a copy: the hook rewrites its baseline when only line numbers moved (exit 3), which is
	@# no finding; `make sast` never changes a tracked file. Offline: no plugin verifies anything.
	@cp .secrets.baseline $(REPORTS)/secrets.baseline
	@files=(); while IFS= read -r -d '' f; do \
		[ -f "$$f" ] && [ "$$f" != .secrets.baseline ] && files+=("$$f"); \
	done < <(git ls-files -z); \
	status=0; $(BIN)/detect-secrets-hook --baseline $(REPORTS)/secrets.baseline "$${files[@]}" \
		|| status=$$?; \
	if [ $$status -eq 3 ]; then \
		echo "detect-secrets: no new secret (line numbers moved; refresh the baseline as SECURITY.md says)"; \
	elif [ $$status -ne 0 ]; then \
		echo "detect-secrets: new potential secret(s) above: remove them, or audit them into" \
			".secrets.baseline (SECURITY.md says how)" >&2; exit 1; \
	else echo "detect-secrets: no new secret"; fi
# frontend/package.json's "lint" script runs eslint with typescript-eslint, eslint-plugin-svelte
# and eslint-plugin-security (their recommended configs).
ifneq ($(HAVE_FRONTEND),)
	@echo "== eslint (frontend/)"
	cd $(FRONTEND) && npm ci --no-audit --no-fund && npm run lint
else
	@echo "== eslint: skipped (no frontend/package.json yet)"
endif

# Needs the network (semgrep.dev), so .github/workflows/security.yml runs it, not `make check`.
sast-registry: $(UV_STAMP) ## semgrep's registry rules (p/python, p/owasp-top-ten) too; needs network
	@mkdir -p $(REPORTS)
	$(SEMGREP) scan --metrics=off --disable-version-check --error --no-git-ignore \
		--config p/python --config p/owasp-top-ten --config .semgrep/rules \
		--sarif-output=$(REPORTS)/semgrep.sarif src $(wildcard $(FRONTEND)/src)

# --- supply chain --------------------------------------------------------------------------

# The Python SBOM covers the runtime dependencies (what ships); the npm one the whole lockfile,
# since a bundled frontend keeps what it ships in devDependencies too.
sbom: $(VENV_STAMP) ## CycloneDX SBOMs of the locked Python (and npm) dependencies in reports/
	@mkdir -p $(REPORTS)
	$(UV) export --frozen --no-dev --no-emit-project --no-hashes --format requirements-txt \
		--quiet --output-file $(REPORTS)/requirements-runtime.txt
	@# A requirements file has no dependency graph; cyclonedx-py warns about that every time.
	PYTHONWARNINGS="ignore:The Component this BOM is describing" \
	$(BIN)/cyclonedx-py requirements --pyproject pyproject.toml --mc-type application \
		--output-reproducible --output-format JSON \
		--output-file $(REPORTS)/sbom-python.cdx.json $(REPORTS)/requirements-runtime.txt
	$(BIN)/python scripts/check_sbom.py $(REPORTS)/sbom-python.cdx.json \
		--requirements $(REPORTS)/requirements-runtime.txt
ifneq ($(HAVE_FRONTEND_LOCK),)
	cd $(FRONTEND) && npx --yes @cyclonedx/cyclonedx-npm@$(CYCLONEDX_NPM_VERSION) \
		--package-lock-only --output-reproducible --output-format JSON \
		--output-file ../$(REPORTS)/sbom-npm.cdx.json package.json
	$(BIN)/python scripts/check_sbom.py $(REPORTS)/sbom-npm.cdx.json
else
	@echo "sbom: no npm SBOM (no frontend/package-lock.json yet)"
endif

# Checks every locked package, dev tools included. Exit 3 when the advisory services could not
# be reached (0 with CI=true or AUDIT_ALLOW_OFFLINE=1); real findings always fail.
audit: $(VENV_STAMP) ## pip-audit and npm audit; says COULD NOT CHECK when offline, never "clean"
	@mkdir -p $(REPORTS)
	$(UV) export --frozen --no-emit-project --no-hashes --format requirements-txt \
		--quiet --output-file $(REPORTS)/requirements-locked.txt
	$(BIN)/python scripts/audit.py --requirements $(REPORTS)/requirements-locked.txt \
		--npm-dir $(FRONTEND) --reports $(REPORTS) $(foreach id,$(AUDIT_ACCEPT),--accept $(id))

# --- all together --------------------------------------------------------------------------

check: lint typecheck test sast ## lint, types, tests, SAST, then the audit (offline tolerated)
	AUDIT_ALLOW_OFFLINE=$${AUDIT_ALLOW_OFFLINE:-1} $(MAKE) audit

clean: ## remove reports and caches (keeps .venv/, .tools/ and data/)
	rm -rf $(REPORTS) .pytest_cache .mypy_cache .ruff_cache htmlcov .coverage .coverage.* coverage.xml
	find $(wildcard src tests scripts benchmarks) -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean ## also remove .venv/, .tools/, node_modules and the built app (never data/)
	rm -rf $(VENV) $(TOOLS) $(FRONTEND)/node_modules $(APP_DIR)
