# Every command a reader or contributor runs. Each target sets itself up:
# it creates .venv with `python3 -m venv` and installs the project (editable)
# with the extras it needs, so `make site` and `make test` work on a fresh clone.

PYTHON ?= python3
export NO_MKDOCS_2_WARNING := 1
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.DEFAULT_GOAL := help
.PHONY: help test lint format pytest mutate site pdf serve bench oracle clean derive

help:
	@echo "make site    build the site into site/ (mkdocs, strict)"
	@echo "make pdf     the whole site as one PDF, site/cnnref.pdf (headless chromium)"
	@echo "make serve   serve the site on http://127.0.0.1:8000"
	@echo "make test    linter (ruff check, ruff format --check) and pytest"
	@echo "make mutate  mutation suite: every planted backprop bug must fail the tests"
	@echo "make bench   speed of cnnref vs naive loops vs PyTorch; generated code; notebooks; proofs"
	@echo "make oracle  install the optional PyTorch oracle (torch==2.13.0)"
	@echo "make format  apply ruff's formatter and safe fixes"
	@echo "make derive  prove the derivations (SymPy), regenerate docs/derivations/ and cnnref/generated/"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# One stamp per extra: reinstall when pyproject.toml changes.
$(VENV)/.installed-%: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[$*]'
	@touch $@

test: lint pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

pytest: $(VENV)/.installed-test
	$(BIN)/pytest

# Each mutant of tests/mutants runs on a temporary copy; the tree is never modified.
mutate: $(VENV)/.installed-test
	$(PY) -m tests.mutants

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

site: $(VENV)/.installed-docs
	$(BIN)/mkdocs build --strict --site-dir site
	@echo "Site built: open $(CURDIR)/site/index.html, or run 'make serve'."

# The print page of the whole site (site/print.html), typeset and printed offline.
pdf: site $(VENV)/.installed-test
	$(PY) docs/hooks/book.py site

serve: $(VENV)/.installed-docs
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

bench: $(VENV)/.installed-test
	$(PY) -m benchmarks.conv
	$(PY) -m benchmarks.generated
	$(PY) -m benchmarks.notebooks
	$(PY) -m benchmarks.derivations

derive: $(VENV)/.installed-derive
	$(PY) -m derivations

oracle: | $(PY)
	$(PY) -m pip install --quiet torch==2.13.0

clean:
	rm -rf site build .pytest_cache .ruff_cache .hypothesis
