# billbot: `make demo` tries it on the embedded SQLite default, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo demo-scripted install install-test catalogs system-deps test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/python -m models.catalogs compile

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python -m models.catalogs compile

## The message catalogs: new sentences into every .po (then translate them), and compile.
catalogs: install
	$(BIN)/python -m models.catalogs update
	$(BIN)/python -m models.catalogs compile

system-deps:
	./scripts/install-system-deps.sh

## The guided invoice conversation in the terminal, on a bundled demo project.
demo: install
	$(BIN)/billbot demo

## The same demo, answered by a script (what a contact would type).
demo-scripted: install
	printf 'INV-0042\n1: 50%%\n2: 3 units\nnone\nsend\n' | $(BIN)/billbot demo

## Installs what the tests need (Debian + PyPI) and runs them all, in TEST_WORKERS processes
## (pytest-xdist, each with its own servers and databases); TEST_WORKERS=0 runs them in this one.
TEST_WORKERS ?= 2
test: install-test system-deps
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadgroup --durations=15 $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m models.catalogs check

bench: install-test system-deps
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
