# One command per job. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help install check test test-py lint demo demo-llm soak soak-queue bench bench-quick generate checkgenerate check-install test-protobuf-range clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv with the package and the dev tools

# Ray and Spark (~1.1 GB) only for the tests that run them, not for `make check`.
ENGINES := $(VENV)/.engines
$(ENGINES): $(STAMP)
	$(PY) -m pip install -q -e '.[dev,ray,spark]'
	touch $(ENGINES)

PY_SOURCES := eas_client tests benchmarks scripts examples allspark.py

lint: $(STAMP) ## ruff check, ruff format --check, mypy --strict
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict benchmarks

test-py: $(STAMP) $(ENGINES) ## the Python test suite, with a coverage floor on the sans-IO core
	$(PY) -m pytest -q --cov=eas_client._core --cov-report=term:skip-covered --cov-fail-under=95

# The pure and in-process tests: no servers, no subprocesses, no sleeps.
UNIT_TESTS := tests/core tests/payloads tests/packaging tests/spec/test_vectors.py \
	tests/spec/test_corpus.py tests/spec/test_limit_vectors.py tests/spec/test_stream_vectors.py \
	tests/spec/test_queue_vectors.py tests/client/test_call_loop.py \
	tests/client/test_direct_router.py tests/test_public_api.py

check: $(STAMP) ## the fast loop while editing: lint + unit tests (well under a minute)
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest -q $(UNIT_TESTS)

test: lint test-py checkgenerate check-install test-protobuf-range bench-quick test-go test-java ## every test in every language (what CI runs)

demo-llm: $(STAMP) ## eas serve in front of examples/llm (OpenAI-compatible): a reply streamed token by token, then the Python client's chat()/stream()/openai()
	$(PY) examples/llm/demo.py
	$(PY) examples/streaming.py

soak: $(STAMP) ## fault soak with 10,000 calls per client (make test runs 2,000)
	SOAK_CALLS=10000 QUEUE_SOAK_ITEMS=10000 $(PY) -m pytest -q -s tests/soak

soak-queue: $(STAMP) ## queue soak: 10,000 inputs through `eas serve --async`, killed twice (make test runs 2,000)
	QUEUE_SOAK_ITEMS=10000 $(PY) -m pytest -q -s tests/soak/test_queue_soak.py

demo: $(STAMP) ## local runtime + quickstart processor + calls from the clients (predict, then 1,000 inputs through eas serve --async)
	$(PY) examples/demo.py
	$(PY) examples/async_inference.py
	$(MAKE) --no-print-directory demo-llm
	$(MAKE) --no-print-directory demo-go
	$(MAKE) --no-print-directory demo-java

bench: $(STAMP) ## side-by-side benchmarks, every language -> benchmarks/results/{latest,go,java}.md
	$(PY) -m benchmarks
	$(MAKE) --no-print-directory bench-go
	$(MAKE) --no-print-directory bench-go-backpressure
	$(MAKE) --no-print-directory bench-java
	$(MAKE) --no-print-directory bench-java-sse
	$(MAKE) --no-print-directory bench-java-backpressure

bench-quick: $(STAMP) ## a < 2 minute smoke run of the benchmarks (no thresholds)
	$(PY) -m benchmarks --quick

clean: ## remove the venv and tool caches
	rm -rf $(VENV) .venv-install .pytest_cache .mypy_cache .ruff_cache

generate: $(STAMP) ## regenerate protobuf code, spec schemas and payload vectors (deterministic)
	$(PY) scripts/generate_protos.py
	$(PY) scripts/make_schemas.py
	$(PY) -m tests.payloads.make_vectors

checkgenerate: $(STAMP) ## fail if any checked-in generated file differs from a fresh generation
	$(PY) scripts/generate_protos.py --check
	$(PY) scripts/make_schemas.py --check
	$(PY) -m tests.payloads.make_vectors --check

check-install: ## a fresh venv with `pip install .` must hold neither protobuf nor urllib3
	rm -rf .venv-install && $(PYTHON) -m venv .venv-install
	.venv-install/bin/python -m pip install -q .
	@if .venv-install/bin/python -m pip list 2>/dev/null | grep -iE '^(protobuf|urllib3) '; then \
		echo "a plain install pulled the packages above; they belong in extras"; exit 1; fi
	@echo "plain install: no protobuf, no urllib3"

test-protobuf-range: $(STAMP) ## payload tests at the lowest and the newest supported protobuf
	bash scripts/test_protobuf_range.sh
include mk/go.mk
include mk/java.mk
