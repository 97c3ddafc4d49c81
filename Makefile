# Thin, idempotent wrappers: each target creates .venv and installs the project when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-warehouse

.PHONY: setup run test lint format bench bench-batch bench-sql bench-suggest demo-data clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Spark and dbt, for the SQL export's tests only (the 'warehouse' extra)
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,warehouse]'
	touch $(TEST_STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/streamlit run app.py

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

bench-batch: setup
	$(BIN)/python bench/bench_batch.py

demo-data: setup
	$(BIN)/leadscore demo-data --out data/demo

clean:
	rm -rf $(VENV) .venv-glsm data/demo .pytest_cache .ruff_cache
