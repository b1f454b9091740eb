"""`make demo-llm`: `eas serve` in front of the demo chat service, one reply streamed with the
standard library only (what curl -N shows), printed token by token as the events arrive."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "demo-llm-token-0123456789"


def stream_reply(endpoint: str, token: str, question: str) -> None:
    """POST /v1/chat/completions with "stream": true and print each delta as its event arrives."""
    url = urlsplit(endpoint)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    body = {"model": "eas-demo-llm", "messages": [{"role": "user", "content": question}], "stream": True}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    started = time.monotonic()
    conn.request("POST", f"{url.path}/v1/chat/completions", json.dumps(body), headers)
    resp = conn.getresponse()
    print(f"HTTP {resp.status} {resp.getheader('content-type')}; the reply, token by token:\n")
    first, usage = None, None
    while line := resp.readline():  # one SSE line at a time, as it arrives
        if not line.startswith(b"data: "):
            continue
        data = line[6:].strip()
        if data == b"[DONE]":
            break
        event = json.loads(data)
        for choice in event["choices"]:
            text = choice["delta"].get("content")
            if text:
                first = first or time.monotonic() - started
                print(text, end="", flush=True)
        if event.get("usage"):
            usage = event["usage"]
    conn.close()
    print(f"\n\nfirst token after {first * 1000:.0f} ms; usage {usage}" if first else "\n(no tokens)")


def main() -> int:
    cmd = [sys.executable, "-m", "eas_client", "serve", "examples.llm.app:app", "--port", "0"]
    cmd += ["--service", "llm", "--token", TOKEN]
    env = {**os.environ, "LLM_TOKEN_DELAY_MS": os.environ.get("LLM_TOKEN_DELAY_MS", "40")}
    print("$ eas " + " ".join(cmd[3:]).replace(TOKEN, "<token>"))
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        if not banner.startswith("Service start successfully: "):
            print(f"eas serve did not start: {banner!r}", file=sys.stderr)
            return 1
        endpoint = banner.split(": ", 1)[1].strip()
        print(f"serving {endpoint}  (OpenAI base_url: {endpoint}/v1, api_key: the token)\n")
        stream_reply(endpoint, TOKEN, "What does EAS do?")
    finally:
        server.terminate()
        server.wait(30)
        if server.stdout:
            server.stdout.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
