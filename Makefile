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
	@echo "make pdf      print the whole book to _build/pdf/l1reg-book.pdf and check it (Chromium, poppler)"
	@echo "make site     the site (HTML book, PDF, .nojekyll) in _build/site, committed to the local gh-pages branch"
	@echo "make site-dir the same site in _build/site, without the commit (what the Pages workflow publishes)"
	@echo "make refresh  re-run notebooks and store their outputs (NB=chapters/NAME.ipynb for one)"
	@echo "make bench    time l1reg against its loop version and Keras, make test and a book build (slow; BENCH_ARGS=--help)"
	@echo "make study    recompute chapter 09's whole study into chapters/09-payoff-study.json (about 45 min on 2 cores)"
	@echo "make study-check  the same into _build/study, compared with the committed file (what CI runs)"
	@echo "make rivals-study recompute chapter 06's study into chapters/06-rivals-study.json (about 7 minutes on 2 cores)"
	@echo "make rivals-check the same into _build/study, compared with the committed file (what CI runs)"
	@echo "make clean    remove the built book"
	@echo "make setup    only the virtual environment .venv (the other targets do it when needed)"
	@echo "make lint     ruff over the library, the tests, the benchmarks and the build extensions"

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
# EXECUTE=0 (or empty) leaves the configuration's "off" alone.
BOOK_EXECUTE = $(if $(filter 1,$(EXECUTE)),cache,$(filter-out 0,$(EXECUTE)))
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

# Chapter 09's study is too slow for a notebook: this recomputes all of it into the file
# committed beside the chapter (written whole or not at all), and the chapter recomputes
# a subset and checks it against the file. STUDY_JOBS cells run at a time.
STUDY := chapters/09-payoff-study.json
STUDY_JOBS ?= 2
.PHONY: study
study: $(READY)
	$(BIN)/python -m l1reg.studies.payoff_study $(STUDY) --jobs $(STUDY_JOBS)

# What CI runs: the whole study again, into _build, compared with the committed file
# (each method's mean accuracy per cell within 1 point, 90 % of the choices the same).
.PHONY: study-check
study-check: $(READY)
	$(BIN)/python -m l1reg.studies.payoff_study _build/study/09-payoff-study.json --jobs $(STUDY_JOBS) \
		--check $(STUDY)

# Chapter 06's study of L1 and its rivals (a few minutes): the same pattern, its own file.
RIVALS := chapters/06-rivals-study.json
.PHONY: rivals-study rivals-check
rivals-study: $(READY)
	$(BIN)/python -m l1reg.studies.rivals_study $(RIVALS)

# What CI runs: the rivals study again, into _build, compared with the committed file.
rivals-check: $(READY)
	$(BIN)/python -m l1reg.studies.rivals_study _build/study/06-rivals-study.json --check $(RIVALS)

# The stored outputs must hold on other CPUs too: nbval once per variant (the machine, an
# AVX2 laptop, an older AVX machine, an SSE4.2 machine without AVX), NumPy's, OpenBLAS's and XLA's wider paths switched
# off in turn; tests/run_portable.py says what each variant changes. VARIANTS=avx2 for one.
VARIANTS ?= machine,avx2,avx,sse
.PHONY: test-portable
test-portable: $(READY)
	$(BIN)/python tests/run_portable.py --variants $(VARIANTS) --numprocesses=$(JOBS) --dist=loadscope

# The browser test, kept out of `make test`: every page of _toc.yml in headless Chromium
# (title, images and their alt text, typeset math, console, no request leaving localhost),
# served under a sub-path as GitHub Pages serves it (BOOK_SITE_PATH, default /l1reg/), a
# search, and chapter 02's slider by mouse and keyboard; screenshots in _build/screenshots/.
# Needs chromium and chromedriver (.ci/run installs Debian's). The book build before it is
# incremental: only what changed is rebuilt.
.PHONY: serve test-html
test-html: book
	$(BIN)/python -m pytest browser_tests/test_book.py --book-html=_build/html

# The whole book as one PDF, printed by the headless Chromium the browser test drives:
# Jupyter Book's singlehtml build (the book on one page) is typeset by MathJax, its
# solutions unfolded and its animation frozen on one frame, then printed by DevTools'
# Page.printToPDF (A4, the outline as bookmarks, page numbers); browser_tests/test_pdf.py
# then checks the PDF with poppler's tools (Debian: poppler-utils).
PDF := _build/pdf/l1reg-book.pdf
.PHONY: pdf
pdf: $(READY)
	BOOK_EXECUTE=$(BOOK_EXECUTE) $(BIN)/jupyter-book build . --builder singlehtml -W -n --keep-going
	$(BIN)/python browser_tests/print_pdf.py --html _build/singlehtml --out $(PDF)
	$(BIN)/python -m pytest browser_tests/test_pdf.py --book-pdf=$(PDF) --book-singlehtml=_build/singlehtml
	@echo "The PDF: $(CURDIR)/$(PDF)"

# The site as GitHub Pages serves it, in _build/site: the HTML book, the PDF beside it and
# .nojekyll (without it, Pages runs Jekyll, which drops every folder whose name starts with
# an underscore: _static, _images, _sources). The Pages workflow publishes this folder.
SITE := _build/site
.PHONY: site-dir site
# book and pdf share _build/.doctrees: never build them at once (make -j).
.NOTPARALLEL: site-dir
site-dir: book pdf
	rm -rf $(SITE)
	cp -r _build/html $(SITE)
	cp $(PDF) $(SITE)/
	touch $(SITE)/.nojekyll
	@echo "The site: $(CURDIR)/$(SITE)"

# ... committed to the local branch gh-pages (ghp-import -n keeps .nojekyll). Nothing is
# pushed: `git push origin gh-pages` publishes it where Pages serves a branch.
site: site-dir
	$(BIN)/ghp-import -n -b gh-pages -m "Site built from $$(git rev-parse --short HEAD)" $(SITE)
	@echo "Branch gh-pages: $$(git log -1 --format='%h %s' gh-pages)"

# The built book on this machine only (127.0.0.1); builds it first if there is none.
PORT ?= 8000
serve:
	@test -f _build/html/index.html || $(MAKE) book
	@echo "The book: http://127.0.0.1:$(PORT)/  (Ctrl-C stops the server)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# Re-execute notebooks top to bottom in a fresh kernel and store the new outputs,
# which become what nbval checks. Review the diff before committing it. Each notebook is
# written atomically (a failed run leaves it as it was) and a failing one is named.
NB ?= $(NOTEBOOKS)
refresh: $(READY)
	$(BIN)/python tests/refresh_notebooks.py $(NB)

# The speed benchmark: one table of times and ratios, and the speed targets as PASS/FAIL.
# All sections with 5 repetitions take a long while (make test and the book build are run
# six times each); for less, e.g. make bench BENCH_ARGS="--sections demo,sizes,digits".
.PHONY: bench
bench: $(READY)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

clean:
	rm -rf _build
