# Careweave: make demo | make test   (CI runs `make test` through .ci/run on a fresh machine)
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# uv: never download a Python; use the machine's 3.11. Plain `uv` if it runs, else `python3 -m uv`
# (a pyenv shim can exist with no uv behind it). Recursive (?=) so it is re-resolved after
# system-deps has installed uv.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON ?= python3.11
export UV_LINK_MODE ?= copy
export UV_NO_PROGRESS := 1
UV ?= $(shell if uv --version >/dev/null 2>&1; then echo uv; else echo python3 -m uv; fi)
RUN = $(UV) run --frozen

# pytest arguments: by default one worker per core, at most 4 (each worker has its own test
# database and, for the browser tests, its own chromium). PYTEST_ARGS="-x -k consent" for one.
PYTEST_ARGS ?= -n auto --maxprocesses 4
TIMEFORMAT := took %1Rs
export TIMEFORMAT

.PHONY: help system-deps install python-deps assets messages demo test lint typecheck \
        test-sqlite test-postgres lock bench clean

help:
	@echo "make demo         install, migrate, load demo data, serve on http://127.0.0.1:8000"
	@echo "make test         system deps, install, ruff, import contracts, mypy, pytest on SQLite then PostgreSQL"
	@echo "make install      uv sync --frozen (with dev group), browser assets, compilemessages"
	@echo "make lint | typecheck | test-sqlite | test-postgres | lock | bench | clean"

system-deps:
	@scripts/install-system-deps.sh $(if $(filter 1,$(WITH_BENCH)),--with-bench)

install:
	@scripts/install-system-deps.sh --build-only
	@$(MAKE) python-deps assets messages

python-deps:
	@echo "==> uv sync --frozen"
	@time $(UV) sync --frozen

assets:
	@echo "==> browser assets"
	@time scripts/build-assets.sh

messages:
	@if [ -n "$$(find careweave -name '*.po' -print -quit 2>/dev/null)" ]; then \
	  echo "==> compilemessages"; \
	  CAREWEAVE_DEBUG=1 $(RUN) careweave compilemessages --ignore .venv --ignore node_modules; \
	else echo "==> compilemessages: no .po files yet, skipped"; fi

# Debug off, as in production, so that a refused record shows the real 404 page; plain http
# on loopback (CAREWEAVE_INSECURE_HTTP=1) with a development secret key; WhiteNoise serves
# the static files (collected into ./staticfiles, as a deployment would). SQLite file
# ./careweave.sqlite3 unless DATABASE_URL says otherwise; DEMO_ADDR=127.0.0.1:8001 for
# another port. The audit sealer (docs/adr/0012) runs beside the server, as a background
# job of the same shell: it is stopped by PID when the server stops (Ctrl-C included).
DEMO_ADDR ?= 127.0.0.1:8000
demo: export CAREWEAVE_INSECURE_HTTP ?= 1
demo: export SECRET_KEY ?= careweave-demo-only-not-secret-do-not-use-in-production-5a1c9e7f
demo: install
	$(RUN) careweave migrate
	$(RUN) careweave demo --reset
	$(RUN) careweave collectstatic --noinput --verbosity 0
	@echo "==> serving http://$(DEMO_ADDR)/ (debug off): sign in with a username above"
	@echo "==> alongside, stopped with the server: the audit sealer (careweave audit seal --follow)"
	@echo "    and the task worker (careweave db_worker: e-mail notifications of safety flags)"
	@$(RUN) careweave audit seal --follow & sealer=$$!; \
	  $(RUN) careweave db_worker & worker=$$!; \
	  trap 'kill $$sealer $$worker 2>/dev/null || true; wait $$sealer $$worker 2>/dev/null || true' EXIT; \
	  $(RUN) careweave runserver $(DEMO_ADDR)

# Runs every check even when an earlier one fails (make -k), then exits non-zero if any did.
test: export CAREWEAVE_TEST := 1
test:
	@echo "==> system dependencies"
	@time scripts/install-system-deps.sh $(if $(filter 1,$(WITH_BENCH)),--with-bench)
	@$(MAKE) install
	@$(MAKE) -k lint typecheck test-sqlite test-postgres || { echo "make test: FAILED (see above)"; exit 1; }
	@echo "make test: all checks passed"

# Settings need CAREWEAVE_TEST=1 (or a SECRET_KEY) to import: mypy's django plugin imports them.
lint typecheck: export CAREWEAVE_TEST := 1
# uv lock --check: install uses --frozen, so catch a pyproject.toml changed without `uv lock`.
lint:
	@echo "==> uv lock --check, ruff check, lint-imports"
	@$(UV) lock --check || { echo "uv.lock is out of date: run 'make lock' and commit uv.lock"; exit 1; }
	@time $(RUN) ruff check .
	@time $(RUN) lint-imports

typecheck:
	@echo "==> mypy careweave"
	@time $(RUN) mypy careweave

# SQLite (in-memory test database), browser tests included.
test-sqlite: export CAREWEAVE_TEST := 1
test-sqlite:
	@echo "==> pytest on SQLite (with browser tests)"
	@time env -u DATABASE_URL $(RUN) pytest -q $(PYTEST_ARGS)

# PostgreSQL 15, throwaway server; browser tests skipped (they ran on SQLite).
test-postgres: export CAREWEAVE_TEST := 1
test-postgres:
	@echo "==> pytest on PostgreSQL (without browser tests)"
	@time scripts/pg-test.sh $(RUN) pytest -q -m "not browser" $(PYTEST_ARGS)

lock:
	$(UV) lock

# PostgreSQL + gunicorn + wrk; BENCH_ARGS e.g. "--people 20000 --duration 10" for a quick run.
BENCH_ARGS ?=
bench:
	@scripts/install-system-deps.sh --with-bench
	@$(MAKE) install
	$(RUN) python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf .venv node_modules careweave/static/vendor staticfiles .mypy_cache .ruff_cache .pytest_cache
	find careweave -name '*.mo' -path '*/locale/*' -delete 2>/dev/null || true
	find . -name __pycache__ -type d -not -path './.venv/*' -not -path './node_modules/*' -prune -exec rm -rf {} +
