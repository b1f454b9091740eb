#!/usr/bin/env bash
# Starts the quickstart (2 instances, token) and tensor processors with `eas serve` on free ports,
# runs Example.java against them with the built jar, and stops both servers; then the streaming
# example, which serves its own token stream.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
jar="$root/clients/java/target/eas-client-0.1.0-SNAPSHOT.jar"
eas="$root/.venv/bin/eas"
tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

started=""
start() { # name app args... ; sets $started to the service URL ($pids keeps the server's pid: the subshell execs it)
  local name="$1" app="$2"; shift 2
  : >"$tmp/$name.log" # exists before the background server opens it, so the first grep finds a file
  # A file is given by its path; a module:app target is imported from the repository root.
  local target="$root/$app"
  case "$app" in *:*) target="$app" ;; esac
  (cd "$root" && exec "$eas" serve "$target" --host 127.0.0.1 --port 0 "$@") >"$tmp/$name.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 300); do
    if grep -q '^Service start successfully: ' "$tmp/$name.log"; then
      started="$(sed -n 's/^Service start successfully: //p' "$tmp/$name.log" | head -1)"
      return 0
    fi
    sleep 0.1
  done
  echo "eas serve $app did not start:" >&2; cat "$tmp/$name.log" >&2; return 1
}

token="demo-token-123"
start quickstart examples/quickstart/app.py --service demo --token "$token" --instances 2
url="$started"
start tensor examples/tensor/app.py --service tensor
tensor_url="$started"
java -cp "$jar" "$root/examples/java/Example.java" "$url" "$token" "$tensor_url"
# Streaming: against examples/llm (an OpenAI-compatible chat service) under eas serve when the
# repository has it, then self-contained (its own token stream on 127.0.0.1), see the file's header.
if [ -f "$root/examples/llm/app.py" ]; then
  start llm examples.llm.app:app --service llm --token "$token"
  java -cp "$jar" "$root/examples/java/StreamExample.java" "$started" "$token"
fi
java -cp "$jar" "$root/examples/java/StreamExample.java"
