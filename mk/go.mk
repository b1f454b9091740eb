# Go client (clients/go) and its example (examples/go). Included from the root Makefile.
GO ?= go
# A count, not a duration: with a duration Go 1.26's fuzz coordinator can report its own
# deadline as a failure on a loaded machine (go.dev/issue/75804, fixed in Go 1.27).
GO_FUZZTIME ?= 10000x
GO_FUZZ_TARGETS := FuzzParseEndpoint FuzzParseRetryAfter FuzzParseDiscovery FuzzDecodeResponse FuzzSSE

.PHONY: test-go demo-go bench-go bench-go-backpressure

test-go: $(STAMP) ## Go client: gofmt, go vet, go test -race (spec, runtime), short fuzz runs, the example
	@unformatted="$$(cd clients/go && gofmt -l .)$$(cd examples/go && gofmt -l .)"; \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	cd clients/go && $(GO) vet ./...
	cd examples/go && $(GO) vet ./...
	cd clients/go && $(GO) test -race -count=1 ./...
	cd clients/go && for t in $(GO_FUZZ_TARGETS); do \
	  $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(GO_FUZZTIME) . || exit 1; done
	examples/go/run.sh

demo-go: $(STAMP) ## the Go example against the local runtime
	examples/go/run.sh

# The shared nginx target of the Python sections (benchmarks/_target.py), client and nginx pinned
# to different cores; benchmarks/go/README.md says how to run it without nginx.
bench-go: $(STAMP) ## Go benchmark against nginx: Predict vs raw net/http, batches, tensors, SSE parsing (-benchmem)
	$(PY) -m benchmarks.go_bench

# Back-pressure (protocol §14) against examples/capacity under eas serve, the Python section's
# service: fixed vs adaptive concurrency, four adaptive clients, the retry budget against an
# all-503 service (about 2 minutes). Prints the rows the back-pressure section of
# benchmarks/results/go.md records.
bench-go-backpressure: $(STAMP) ## Go back-pressure rows (fixed vs auto, four clients, all-503)
	benchmarks/go/backpressure.sh
