"""Streaming from an LLM service with eas-client: `eas serve` runs the demo chat service
(examples/llm, an OpenAI-compatible stand-in with no model weights) on a free local port, then the
clients stream from it: ``chat()`` token by token (sync and async), raw events with ``stream()``,
and the official ``openai`` package from ``client.openai()`` when it is installed.

    python examples/streaming.py
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from eas_client import AsyncEASClient, EASClient

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "streaming-example-token"
MESSAGES = [{"role": "user", "content": "What does EAS do?"}]


def sync_calls(endpoint: str) -> None:
    client = EASClient(endpoint, TOKEN)
    print("chat():          ", end="")
    with client.chat(MESSAGES, max_tokens=12) as chat:
        for delta in chat:
            print(delta, end="", flush=True)
    print(f"\n                  usage {chat.usage}, finish_reason {chat.finish_reason!r}")

    body = {"messages": MESSAGES, "stream": True, "max_tokens": 3}
    with client.stream(body, path="v1/chat/completions") as stream:
        kinds = ["[DONE]" if e.data == "[DONE]" else e.json()["object"] for e in stream.iter_events()]
    print(f"stream() events:  {stream.status}, {len(kinds)} events, last {kinds[-1]}")

    result = client.chat(MESSAGES, stream=False, max_tokens=5)
    print(f"chat(stream=False): {result.text!r} ({result.usage})")

    try:
        oai = client.openai()
    except Exception as exc:  # the [openai] extra is optional
        print(f"openai():         skipped ({exc})")
        return
    chunks = oai.chat.completions.create(model="eas-demo-llm", messages=MESSAGES, stream=True, max_tokens=6)
    print("openai():        ", "".join(c.choices[0].delta.content or "" for c in chunks if c.choices))
    oai.close()


async def async_calls(endpoint: str) -> None:
    async with AsyncEASClient(endpoint, TOKEN, auth="signature") as client:
        deltas = [d async for d in client.chat(MESSAGES, max_tokens=6)]
    print(f"async chat() (signed): {''.join(deltas)!r} in {len(deltas)} deltas")


def main() -> int:
    if not (ROOT / "examples" / "llm" / "app.py").exists():
        print("examples/llm (the demo chat service) is not in this tree", file=sys.stderr)
        return 1
    cmd = [sys.executable, "-m", "eas_client", "serve", "examples.llm.app:app", "--port", "0"]
    env = {**os.environ, "LLM_TOKEN_DELAY_MS": os.environ.get("LLM_TOKEN_DELAY_MS", "20")}
    server = subprocess.Popen(
        [*cmd, "--service", "llm", "--token", TOKEN], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()  # the runtime says when it serves
        if not banner.startswith("Service start successfully: "):
            print(f"eas serve did not start: {banner!r}", file=sys.stderr)
            return 1
        endpoint = banner.split(": ", 1)[1].strip()
        print(f"eas serve examples.llm.app:app -> {endpoint}\n")
        sync_calls(endpoint)
        asyncio.run(async_calls(endpoint))
    finally:
        server.terminate()
        server.wait(30)
        if server.stdout is not None:
            server.stdout.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
