# The two commands a reader needs are `make book` and `make test`; both set up the
# virtual environment in .venv first if it is missing or out of date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))

.PHONY: help setup book test lint refresh clean

help:
	@echo "make book     build the HTML book into _build/html (sets up .venv first)"
	@echo "make test     ruff, unit tests and nbval over every notebook, in one run"
	@echo "make refresh  re-run notebooks and store their outputs (NB=chapters/NAME.ipynb for one)"
	@echo "make clean    remove the built book"

setup: $(READY)

$(READY): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	touch $(READY)

book: $(READY)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book: $(CURDIR)/_build/html/index.html"

lint: $(READY)
	$(BIN)/ruff check code tests

test: lint
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-cell-timeout=600 tests chapters

# Re-execute notebooks top to bottom in a fresh kernel and store the new outputs,
# which become what nbval checks. Review the diff before committing it.
NB ?= $(NOTEBOOKS)
refresh: $(READY)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False $(NB)

clean:
	rm -rf _build
