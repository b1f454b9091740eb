# One command per job. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help install test test-py lint demo soak bench bench-quick generate checkgenerate test-protobuf-range clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv with the package and the dev tools

lint: $(STAMP) ## ruff + mypy --strict
	$(VENV)/bin/ruff check eas_client tests benchmarks scripts examples allspark
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict benchmarks

test-py: $(STAMP) ## the Python test suite, with a coverage floor on the sans-IO core
	$(PY) -m pytest -q --cov=eas_client._core --cov-report=term:skip-covered --cov-fail-under=95

test: lint test-py checkgenerate test-protobuf-range bench-quick test-go ## every test in every language (what CI runs)

soak: $(STAMP) ## fault soak with 10,000 calls per client (make test runs 2,000)
	SOAK_CALLS=10000 $(PY) -m pytest -q -s tests/soak

demo: $(STAMP) ## local runtime + quickstart processor + calls from the clients
	$(PY) examples/demo.py
	$(MAKE) --no-print-directory demo-go

bench: $(STAMP) ## side-by-side benchmarks -> benchmarks/results/latest.md
	$(PY) -m benchmarks

bench-quick: $(STAMP) ## a < 2 minute smoke run of the benchmarks (no thresholds)
	$(PY) -m benchmarks --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

generate: $(STAMP) ## regenerate protobuf code, spec schemas and payload vectors (deterministic)
	$(PY) scripts/generate_protos.py
	$(PY) scripts/make_schemas.py
	$(PY) -m tests.payloads.make_vectors

checkgenerate: $(STAMP) ## fail if any checked-in generated file differs from a fresh generation
	$(PY) scripts/generate_protos.py --check
	$(PY) scripts/make_schemas.py --check
	$(PY) -m tests.payloads.make_vectors --check

test-protobuf-range: $(STAMP) ## payload tests at the lowest and the newest supported protobuf
	bash scripts/test_protobuf_range.sh
include mk/go.mk
