# The two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TEST_SETTINGS := civic_site.settings.test

.PHONY: run test install install-test lint check migrate seed messages bench bench-tools clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	touch $@

install: $(VENV)/.installed

# Test-only packages (requirements-test.txt: the reference libraries tests compare against), on top of
# the runtime ones; only the test path (lint, check, test) installs them, never `make run`.
$(VENV)/.test-installed: requirements.txt requirements-test.txt | $(VENV)/.installed
	$(BIN)/python -m pip install -r requirements-test.txt
	touch $@

install-test: $(VENV)/.test-installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	@echo ""
	@echo "Torino Partecipa: http://127.0.0.1:8000/  (admin: http://127.0.0.1:8000/admin/, logins above)"
	@echo ""
	$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: install-test
	$(BIN)/ruff check .

check: install-test
	DJANGO_SETTINGS_MODULE=$(TEST_SETTINGS) $(BIN)/python manage.py check
	DJANGO_SETTINGS_MODULE=$(TEST_SETTINGS) $(BIN)/python manage.py makemigrations --check --dry-run

# Extra pytest arguments, e.g. make test PYTEST_ARGS="-k polls" (CI uses it to share the work: see .ci/run).
PYTEST_ARGS ?=
test: lint check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The benchmark (not part of make test): every public page as a fraction of a bare Django view, under
# load on gunicorn with production settings, plus queries per page; see README "Benchmarks".
# Options through BENCH_ARGS, e.g. make bench BENCH_ARGS="--small" or BENCH_ARGS="--lighthouse".
BENCH_ARGS ?=
bench: install
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# Lighthouse for `--lighthouse`, at the version pinned in benchmarks/package-lock.json (needs npm).
bench-tools:
	cd benchmarks && npm ci --ignore-scripts --no-audit --no-fund

# Regenerate translation catalogues (needs GNU gettext; the .po/.mo files are committed).
messages: install
	$(BIN)/python manage.py makemessages -l it --ignore=.venv --ignore=staticfiles --ignore=media
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
