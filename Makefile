# The two commands a newcomer needs are `make run` and `make test` (see README.md).
# Both create .venv and install the pinned dependencies on first use.

PYTHON  ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
LANDING ?= data/landing
SEED    ?= 42

.DEFAULT_GOAL := help
.PHONY: help run test test-fast lint system-deps docs bench constraints clean

## help: this list of targets
help:
	@awk '/^## [a-z-]+:/ { sub(/^## /, ""); split($$0, part, ": "); name = part[1]; \
		sub(/^[a-z-]+: /, ""); printf "  %-12s %s\n", name, $$0; next } \
		/^## / && name { sub(/^## /, ""); printf "  %-12s %s\n", "", $$0 }' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

## run: generate demo landing data if the landing folder is empty, then run the whole night
run: $(STAMP)
	@if [ -z "$$(find $(LANDING) -type f 2>/dev/null | head -n 1)" ]; then \
		echo "Landing folder $(LANDING) is empty: generating the demo sample (seed $(SEED))"; \
		$(BIN)/speccomm generate --scale demo --out $(LANDING) --seed $(SEED); \
	fi
	$(BIN)/speccomm nightly --landing $(LANDING)

## test: lint SQL and Python, then the whole pytest suite (fails if no test ran)
test: $(STAMP) system-deps lint
	$(BIN)/pytest

## test-fast: the tests not marked slow (no warehouse build, no servers), for a quick loop
test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow"

## system-deps: Debian's headless Chromium for the docs-site test (installed when missing
## and we may install; otherwise that one test is skipped and says why)
system-deps:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the docs-site test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

## lint: ruff, the type checker (mypy on speccomm/), the generated checks table, sqlfluff
lint: $(STAMP)
	$(BIN)/ruff check speccomm tests bench
	$(BIN)/mypy
	$(BIN)/python -m speccomm.quality.catalogue
	@mkdir -p warehouse/lint
	SPECCOMM_DBT_DATABASE=warehouse/lint/speccomm.duckdb DBT_TARGET_PATH=warehouse/lint/target \
		DBT_LOG_PATH=warehouse/lint/logs $(BIN)/sqlfluff lint models tests/data_tests

## docs: the dbt docs site in target/docs (open static_index.html, or serve the folder)
docs: $(STAMP)
	$(BIN)/speccomm docs --out target/docs

## bench: the warehouse-core benchmark (bench/core_build.py) on a generated landing folder,
## pathfinder by default (BENCH_SCALE=national: about 15 minutes and 3.2 GB); the other
## benchmarks and their figures: docs/performance.md
BENCH_SCALE ?= pathfinder
BENCH_DIR   ?= /tmp/speccomm-bench
bench: $(STAMP)
	@if [ ! -d $(BENCH_DIR)/landing-$(BENCH_SCALE) ]; then \
		$(BIN)/speccomm generate --scale $(BENCH_SCALE) --out $(BENCH_DIR)/landing-$(BENCH_SCALE) --seed $(SEED); \
	fi
	$(BIN)/python -m bench.core_build --landing $(BENCH_DIR)/landing-$(BENCH_SCALE) --workdir $(BENCH_DIR)/core

## constraints: re-resolve the pinned tree after changing pyproject.toml
constraints:
	rm -rf /tmp/speccomm-resolve && $(PYTHON) -m venv /tmp/speccomm-resolve
	/tmp/speccomm-resolve/bin/pip install --quiet -e ".[dev]"
	( echo "# Full resolved dependency tree, pinned (pip install -c constraints.txt)."; \
	  echo "# Regenerate with: make constraints"; \
	  /tmp/speccomm-resolve/bin/pip freeze --exclude-editable | sort -f ) > constraints.txt

## clean: remove build output (target, logs, warehouse, outbox)
clean:
	rm -rf target logs warehouse outbox
