# The two commands a newcomer needs are `make run` and `make test` (see README.md).
# Both create .venv and install the pinned dependencies on first use.

PYTHON  ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
LANDING ?= data/landing
SEED    ?= 42
TEST_WORKERS ?= 2
LINT_PROCESSES ?= 2

.DEFAULT_GOAL := help
.PHONY: help run dev test test-fast lint system-deps docs bench constraints clean spark-demo spark-parity spark-parity-two-nights spark-parity-one-night spark-faults

## help: this list of targets
help:
	@awk '/^## [a-z-]+:/ { sub(/^## /, ""); split($$0, part, ": "); name = part[1]; \
		sub(/^[a-z-]+: /, ""); printf "  %-12s %s\n", name, $$0; next } \
		/^## / && name { sub(/^## /, ""); printf "  %-12s %s\n", "", $$0 }' $(MAKEFILE_LIST)

# the product and its test kit (testkit/: the synthetic generator behind `speccomm generate` and
# the contract oracle, decision 0035), both editable, from the pinned tree
$(STAMP): pyproject.toml testkit/pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]" -e testkit
	touch $(STAMP)

## run: generate demo landing data if the landing folder is empty, then run the whole night
run: $(STAMP)
	@if [ -z "$$(find $(LANDING) -type f 2>/dev/null | head -n 1)" ]; then \
		echo "Landing folder $(LANDING) is empty: generating the demo sample (seed $(SEED))"; \
		$(BIN)/speccomm generate --scale demo --out $(LANDING) --seed $(SEED); \
	fi
	$(BIN)/speccomm nightly --landing $(LANDING)
	@if [ ! -f warehouse/dev/speccomm.duckdb ] && [ -f warehouse/build.duckdb ]; then $(MAKE) --no-print-directory dev; fi

## dev: (re)start dbt's development database (profiles.yml) from last night's build file
## (warehouse/build.duckdb: raw layer and every model; the published file holds only the reader
## schemas), so `dbt build -s <model>+` works on last night's data; `make run` does it once
dev:
	@mkdir -p warehouse/dev
	@if [ -f warehouse/build.duckdb ]; then src=warehouse/build.duckdb; else src=warehouse/speccomm.duckdb; fi; \
		cp $$src warehouse/dev/speccomm.duckdb && \
		echo "dbt's development database: warehouse/dev/speccomm.duckdb (a copy of $$src)"

## test: the whole pytest suite, ruff and mypy included (tests/python/test_lint.py; sqlfluff runs
## in `make lint`, which .ci/run runs after it: docs/decisions/0044; fails if no test ran), on TEST_WORKERS processes (default 2, the machine's cores; each takes
## whole test modules, the slowest first, and the session's demo and core warehouses and first
## night are built once for both: tests/python/conftest.py, tests/python/shared_build.py)
test: $(STAMP) system-deps
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

## test-fast: the tests not marked slow (no warehouse build, no servers), for a quick loop
test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow"

## system-deps: Debian's headless Chromium for the docs-site test and Java 17 for the Spark
## engine (each installed when missing and we may install; otherwise the docs-site test is
## skipped and says why, and the Spark targets say Java is missing)
system-deps:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the docs-site test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@if [ ! -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's openjdk-17-jre-headless for the Spark engine"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	fi

## lint: ruff, the type checker (mypy on speccomm/ and testkit/), the generated checks table, sqlfluff (on LINT_PROCESSES processes, default 2)
lint: $(STAMP)
	$(BIN)/ruff check speccomm testkit tests bench
	$(BIN)/mypy
	$(BIN)/python -m speccomm.quality.catalogue
	@mkdir -p warehouse/lint
	SPECCOMM_DBT_DATABASE=warehouse/lint/speccomm.duckdb DBT_TARGET_PATH=warehouse/lint/target \
		DBT_LOG_PATH=warehouse/lint/logs $(BIN)/sqlfluff lint --processes $(LINT_PROCESSES) models tests/data_tests

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

## spark-demo: a night on Spark (local[2], dbt-spark session) on the demo landing, published
## to $(SPARK_DIR)/demo/speccomm.duckdb (`speccomm nightly --engine spark`, docs/scale-out.md)
SPARK_STAMP := $(VENV)/.spark-installed
SPARK_DIR   ?= /tmp/speccomm-spark
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,spark]" -e testkit
	touch $(SPARK_STAMP)
$(SPARK_DIR)/landing-demo: | $(STAMP)
	$(BIN)/speccomm generate --scale demo --out $@ --seed $(SEED)
spark-demo: $(SPARK_STAMP) system-deps $(SPARK_DIR)/landing-demo
	$(BIN)/speccomm nightly --engine spark --landing $(SPARK_DIR)/landing-demo \
		--warehouse $(SPARK_DIR)/demo/speccomm.duckdb --outbox $(SPARK_DIR)/demo/outbox

## spark-parity: two nights on DuckDB and on a standalone Spark cluster (master, two workers,
## Thrift server: started in $(SPARK_DIR)/cluster, stopped after) from the demo landing: night 1
## the demo less the files received in its newest month, night 2 that month (the cluster's
## incremental models overwrite only the new slices' partitions, decision 0036); every
## published table compared after each night (marts, dq results, run log: rows, money sums,
## except all both ways); the partitions each night wrote, show partitions and the cluster's
## peak memory printed. In CI (.ci/run).
spark-parity: $(SPARK_STAMP) system-deps $(SPARK_DIR)/landing-demo
	$(BIN)/python -m speccomm.spark parity --landing $(SPARK_DIR)/landing-demo --work $(SPARK_DIR)/parity \
		--cluster $(SPARK_DIR)/cluster --two-nights

## spark-parity-two-nights: the same as spark-parity (kept for the name the docs used)
spark-parity-two-nights: spark-parity

## spark-parity-one-night: one full night on each engine from the whole demo landing, compared
spark-parity-one-night: $(SPARK_STAMP) system-deps $(SPARK_DIR)/landing-demo
	$(BIN)/python -m speccomm.spark parity --landing $(SPARK_DIR)/landing-demo --work $(SPARK_DIR)/parity-one \
		--cluster $(SPARK_DIR)/cluster

## spark-faults: the faults a Spark cluster has, on a standalone cluster of its own: a worker
## killed mid-job, an executor out of memory, an unreachable master (tests/python/test_spark_cluster.py)
spark-faults: $(SPARK_STAMP) system-deps
	SPECCOMM_SPARK_CLUSTER_TESTS=1 $(BIN)/pytest tests/python/test_spark_cluster.py -p no:cacheprovider

## constraints: re-resolve the pinned tree after changing pyproject.toml or testkit/pyproject.toml
constraints:
	rm -rf /tmp/speccomm-resolve && $(PYTHON) -m venv /tmp/speccomm-resolve
	/tmp/speccomm-resolve/bin/pip install --quiet -e ".[dev,spark]" -e testkit
	( echo "# Full resolved dependency tree, pinned (pip install -c constraints.txt)."; \
	  echo "# Regenerate with: make constraints"; \
	  /tmp/speccomm-resolve/bin/pip freeze --exclude-editable | sort -f ) > constraints.txt

## clean: remove build output (target, logs, warehouse, outbox)
clean:
	rm -rf target logs warehouse outbox
