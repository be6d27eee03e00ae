# moli — two commands: `make run` (demo content + web server on 127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test bench lint venv clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# reinstall only when pyproject.toml changed since the last install
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install -e '.[dev,bench]'
	touch $(BENCH_STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/moli demo
	$(BIN)/moli serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

# ruff and pytest both run (so one report shows everything); the target fails if either failed
test: $(STAMP)
	@status=0; \
	$(BIN)/ruff check src tests benchmarks || status=1; \
	$(BIN)/pytest || status=1; \
	exit $$status

# every benchmark with --quick; each one's JSON in bench-results/<name>.json (a failing one is
# reported and the others still run)
bench: $(BENCH_STAMP)
	mkdir -p bench-results
	@failed=""; for f in benchmarks/bench_*.py; do \
		name=$$(basename $$f .py); \
		echo "== $$name"; \
		if nice $(BIN)/python $$f --quick > bench-results/$$name.json.tmp; then \
			mv bench-results/$$name.json.tmp bench-results/$$name.json; cat bench-results/$$name.json; echo; \
		else \
			rm -f bench-results/$$name.json.tmp; failed="$$failed $$name"; \
		fi; \
	done; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi
