#!/usr/bin/env bash
# The Go rows of the back-pressure benchmark: starts examples/capacity under `eas serve` twice
# (as is, and answering 503 to everything) on free 127.0.0.1 ports, runs TestBackpressure,
# stops both. EAS_BP_INPUTS scales the batch (default 5000). Run from anywhere, after `make install`:
#   make bench-go-backpressure   (or benchmarks/go/backpressure.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
py="$root/.venv/bin/python"
token="bench-backpressure-token"
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cap_port="$(free_port)"
fail_port="$(free_port)"
app=(examples/capacity/app.py --app-json examples/capacity/app.json --token "$token")
cd "$root"
"$py" -m eas_client serve "${app[@]}" --port "$cap_port" >/dev/null 2>&1 &
cap_pid=$!
"$py" -m eas_client serve "${app[@]}" --port "$fail_port" --faults '{"rate_503": 1.0}' >/dev/null 2>&1 &
fail_pid=$!
trap 'kill "$cap_pid" "$fail_pid" 2>/dev/null || true; wait "$cap_pid" "$fail_pid" 2>/dev/null || true' EXIT
for port in "$cap_port" "$fail_port"; do
  for _ in $(seq 1 150); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then break; fi
    sleep 0.2
  done
done
cd benchmarks/go
EAS_BP_CAPACITY_URL="http://127.0.0.1:$cap_port" EAS_BP_503_URL="http://127.0.0.1:$fail_port" EAS_BP_TOKEN="$token" \
  go test -count=1 -run '^TestBackpressure$' -v -timeout 170s .
