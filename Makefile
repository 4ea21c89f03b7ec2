# The two commands a reader needs are `make book` and `make test`; both set up the
# virtual environment in .venv first if it is missing or out of date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))

.PHONY: help setup book test lint refresh clean

help:
	@echo "make book     build the HTML book into _build/html from the stored outputs (EXECUTE=1 runs the notebooks)"
	@echo "make test     ruff, unit tests, docstring examples and nbval over every notebook, in one run"
	@echo "make test-portable  nbval over every notebook once per CPU variant (machine, AVX2, AVX, SSE4.2)"
	@echo "make serve    serve the built book at http://127.0.0.1:8000/ (PORT=8001 for another port)"
	@echo "make test-html build the book, then open every page in headless Chromium and check it"
	@echo "make refresh  re-run notebooks and store their outputs (NB=chapters/NAME.ipynb for one)"
	@echo "make bench    time l1reg against its loop version and Keras, make test and a book build (slow; BENCH_ARGS=--help)"
	@echo "make clean    remove the built book"

setup: $(READY)

$(READY): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	touch $(READY)

# The book is built from the outputs stored in the notebooks (make test proves them).
# EXECUTE=1 executes the notebooks for this build (cached in _build/.jupyter_cache, so
# only those changed since the last executed build run again); EXECUTE=force runs all.
EXECUTE ?=
BOOK_EXECUTE = $(if $(filter 1,$(EXECUTE)),cache,$(EXECUTE))
book: $(READY)
	BOOK_EXECUTE=$(BOOK_EXECUTE) $(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book: $(CURDIR)/_build/html/index.html"

lint: $(READY)
	$(BIN)/ruff check code tests benchmarks browser_tests _ext conftest.py

# The docstring examples of l1reg run too (--doctest-modules over code/l1reg). One worker
# per core (pytest-xdist); --dist loadscope keeps each notebook in one worker, cells in order.
# JOBS=0 runs everything in this one process, JOBS=1 in one worker.
JOBS ?= auto
test: lint
	$(BIN)/python -m pytest -n $(JOBS) --dist loadscope --nbval --nbval-current-env \
		--nbval-cell-timeout=600 --doctest-modules tests chapters code/l1reg

# The stored outputs must hold on other CPUs too: nbval once per variant (the machine, an
# AVX2 laptop, an older AVX machine, an SSE4.2 machine without AVX), NumPy's, OpenBLAS's and XLA's wider paths switched
# off in turn; tests/run_portable.py says what each variant changes. VARIANTS=avx2 for one.
VARIANTS ?= machine,avx2,avx,sse
.PHONY: test-portable
test-portable: $(READY)
	$(BIN)/python tests/run_portable.py --variants $(VARIANTS) --numprocesses=$(JOBS) --dist=loadscope

# The browser test, kept out of `make test`: every page of _toc.yml in headless Chromium
# (title, images, typeset math, console, no request leaving localhost) and a search;
# screenshots in _build/screenshots/. Needs chromium and chromedriver (.ci/run installs
# Debian's). The book build before it is incremental: only what changed is rebuilt.
.PHONY: serve test-html
test-html: book
	$(BIN)/python -m pytest browser_tests --book-html=_build/html

# The built book on this machine only (127.0.0.1); builds it first if there is none.
PORT ?= 8000
serve:
	@test -f _build/html/index.html || $(MAKE) book
	@echo "The book: http://127.0.0.1:$(PORT)/  (Ctrl-C stops the server)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# Re-execute notebooks top to bottom in a fresh kernel and store the new outputs,
# which become what nbval checks. Review the diff before committing it.
NB ?= $(NOTEBOOKS)
refresh: $(READY)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False $(NB)

# The speed benchmark: one table of times and ratios, and the speed targets as PASS/FAIL.
# All sections with 5 repetitions take a long while (make test and the book build are run
# six times each); for less, e.g. make bench BENCH_ARGS="--sections demo,sizes,digits".
.PHONY: bench
bench: $(READY)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

clean:
	rm -rf _build
