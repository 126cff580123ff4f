# dossier — `make` sets everything up and builds the example briefing;
# `make test` runs the test suite. `make help` lists the other targets.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSDEPS := $(VENV)/.sysdeps
PDF    := build/briefing.pdf

SOURCES  := $(shell find src/dossier -type f \( -name '*.py' -o -name '*.lua' -o -name '*.csl' \) 2>/dev/null)
THEME    := $(shell find templates -type f 2>/dev/null)
CONTENT  := $(shell find content -type f 2>/dev/null)

.PHONY: all help test test-fast test-check lint constraints bench check preview clean distclean print email archive
# Never delete a PDF because a rebuild failed: the previous one stays.
.PRECIOUS: $(PDF) build/briefing-%.pdf

all: $(PDF)

help:
	@echo "make            set up (.venv, system packages) and build $(PDF)"
	@echo "make test       run the test suite"
	@echo "make test-fast  the quick loop (seconds): the tests that neither lay out a PDF nor run pandoc"
	@echo "make test-check every check short of layout: test-fast plus the tests that run pandoc (minutes)"
	@echo "make print      build/briefing-print.pdf: duplex, sections on right-hand pages, URLs printed"
	@echo "make email      build/briefing-email.pdf: the smallest faithful file, its size reported"
	@echo "make archive    build/briefing-archive.pdf: PDF/A-3 and PDF/UA-1 with its sources attached"
	@echo "make check      check content/ without writing a PDF"
	@echo "make lint       ruff check, ruff format --check, mypy --strict"
	@echo "make constraints  re-pin constraints.txt to what .venv has (after make test passes)"
	@echo "make bench      time builds (RUNS=3 fresh processes, SCALES=1 or 1,10,50: tens of minutes, PEER_SCALES=SCALES): example and its phases,"
	@echo "                synthetic dossiers, watch and make after an edit, no-op make, two at once, Typst and pandoc+xelatex peers; build/bench.json"
	@echo "make preview    every page of the PDF on one contact sheet, build/preview.png"
	@echo "make clean      remove build/"

$(SYSDEPS): scripts/sysdeps.sh
	bash scripts/sysdeps.sh
	@mkdir -p $(VENV) && touch $@

$(STAMP): pyproject.toml constraints.txt $(SYSDEPS)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "error: Python 3.11 or newer is needed (PYTHON=$(PYTHON))" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	# Precompiled bytecode saves ~0.8 s per cold build where PYTHONDONTWRITEBYTECODE is set.
	$(BIN)/python -m compileall -q src/dossier $(VENV)/lib >/dev/null || true
	touch $@

$(PDF): $(STAMP) $(SOURCES) $(THEME) $(CONTENT)
	$(BIN)/dossier build content -o $@

print: build/briefing-print.pdf
email: build/briefing-email.pdf
archive: build/briefing-archive.pdf

build/briefing-%.pdf: $(STAMP) $(SOURCES) $(THEME) $(CONTENT)
	$(BIN)/dossier build content --profile $* -o $@

check: $(STAMP)
	$(BIN)/dossier check content

test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadfile

# The layout marker is set by tests/conftest.py on every test that builds or typesets a PDF;
# slow marks the few others that take tens of seconds.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not layout and not slow and not pandoc"

test-check: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadfile -m "not layout and not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy

constraints: $(STAMP)
	{ sed -n '1,3p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable; } > constraints.tmp && mv constraints.tmp constraints.txt

preview: build/preview.png

build/preview.png: $(PDF) scripts/preview.py
	$(BIN)/python scripts/preview.py $(PDF) $@

bench: $(STAMP)
	PYTHONPATH=src $(BIN)/python scripts/bench.py --scales $(or $(SCALES),1) --runs $(or $(RUNS),3) $(if $(PEER_SCALES),--peer-scales $(PEER_SCALES))

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV)
