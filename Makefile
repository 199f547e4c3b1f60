# copbot: two commands for a newcomer — `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench mutation clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/copbot run --config config.example.toml

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench all

# Mutation testing (not part of `make test`; scores and equivalent mutants: tools/MUTATION.md):
#   make mutation                                       every configured module, one at a time (hours)
#   make mutation MODULES="bot/features/polls.py"       one module, against the tests found for it
#   make mutation MODULES="bot/domain/when" TESTS="tests/test_when.py tests/test_when_dst.py"
MODULES ?=
TESTS   ?=
JOBS    ?= 2
mutation: $(BIN)/python
	nice -n 10 $(BIN)/python tools/mutation.py --jobs $(JOBS) --modules $(MODULES) --tests $(TESTS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache mutants
