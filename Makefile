# Thin, idempotent wrappers: each target creates .venv and installs the project when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-warehouse

.PHONY: setup run serve serve-api test lint format bench bench-api bench-import bench-batch bench-sql bench-suggest demo-data clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/leadscore warm-up || echo "warm-up failed (above): the app's first page prepares the demo itself"
	touch $(STAMP)

# Spark and dbt, for the SQL export's tests only (the 'warehouse' extra)
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,warehouse]'
	touch $(TEST_STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/python -m ui.launch

# For a team: the app on a shared store (LEADSCORE_DB_URL, e.g. PostgreSQL), listening on
# every address; sign-in comes from .streamlit/secrets.toml (see the README's "For a team").
serve: setup
	@test -n "$$LEADSCORE_DB_URL" || { echo "set LEADSCORE_DB_URL to the team's store, e.g. postgresql+psycopg://leadscore@db/leadscore"; exit 2; }
	$(BIN)/python -m ui.launch --server.address 0.0.0.0 --server.port $${PORT:-8501} --server.headless true

# The scoring API over the same store (keys from the Team page or `leadscore api-keys`)
serve-api: setup
	$(BIN)/leadscore serve --host 0.0.0.0 --port $${API_PORT:-8600} --workers $${API_WORKERS:-2}

test: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# glsm (a published lead-scoring package, a bench peer) pins old numpy and pydantic, so it
# gets an environment of its own; without it the bench skips that line and says so.
.venv-glsm/bin/python:
	-$(PYTHON) -m venv .venv-glsm && .venv-glsm/bin/python -m pip install --quiet glsm

bench: setup .venv-glsm/bin/python
	$(BIN)/python bench/bench_scoring.py
	$(BIN)/python bench/bench_browser.py

bench-suggest: setup
	$(BIN)/python bench/bench_suggest.py

bench-sql: setup
	$(BIN)/python bench/bench_sql.py

bench-api: setup
	$(BIN)/python bench/bench_api.py

bench-import: setup
	$(BIN)/python bench/bench_import.py

bench-batch: setup
	$(BIN)/python bench/bench_batch.py

demo-data: setup
	$(BIN)/leadscore demo-data --out data/demo

clean:
	rm -rf $(VENV) .venv-glsm data/demo .pytest_cache .ruff_cache
