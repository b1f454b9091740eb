#!/usr/bin/env bash
# Runs the Go example against two local runtimes (`eas serve`) on free ports, then stops them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
eas="$root/.venv/bin/eas"
logs="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$logs"; }
trap cleanup EXIT

# start <name> <args…>: start eas serve in the background (in this shell, so cleanup sees its pid)
start() {
  local name="$1"; shift
  "$eas" serve "$@" --port 0 >"$logs/$name.log" 2>&1 &
  pids+=("$!")
}

# url <name>: wait for that runtime's service URL
url() {
  for _ in $(seq 1 300); do
    if grep -m1 -o 'http://[^ ]*/api/predict/[^ ]*' "$logs/$1.log"; then return 0; fi
    sleep 0.1
  done
  cat "$logs/$1.log" >&2; return 1
}

start quickstart "$root/examples/quickstart/app.py" --service demo --token T --instances 2
start tensor "$root/examples/tensor/app.py" --service tensor
demo="$(url quickstart)"
tensor="$(url tensor)"
# The chat is streamed from the OpenAI-compatible demo service (examples/llm) when this tree has it
# and the runtime serves it; otherwise the example streams from its own scripted stand-in.
llm=""
if [ -f "$root/examples/llm/app.py" ]; then
  cd "$root" # in this shell, so cleanup sees the runtime's pid
  LLM_TOKEN_DELAY_MS=5 PYTHONPATH="$root" start llm examples.llm.app:app --service llm --token T
  llm="$(url llm)" || { echo "examples/llm did not start; streaming from the scripted stand-in" >&2; llm=""; }
fi
cd "$here"
go run . -endpoint "$demo" -token T -tensor "$tensor" ${llm:+-llm "$llm"}
