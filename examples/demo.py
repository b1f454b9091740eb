"""`make demo`: the local EAS runtime serving the quickstart processor, called by the sync client,
the async batch client (with a progress bar), the `eas predict` CLI and a direct-mode client."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from pathlib import Path

from eas_client import AsyncEASClient, EASClient
from eas_client.testing import LocalRuntime

APP = Path(__file__).resolve().parent / "quickstart" / "app.py"
TOKEN = "demo-token-0123456789"


def main() -> None:
    rng = random.Random(7)
    rows = [f"{rng.randint(0, 50)} {rng.randint(90, 210)}".encode() for _ in range(300)]
    with LocalRuntime(APP, service="demo", token=TOKEN, instances=3) as rt:
        print(
            f"local runtime: {rt.endpoint} (+ {len(rt.instance_urls)} instances behind its discovery API)\n"
        )

        with EASClient(rt.endpoint, TOKEN) as client:
            print("EASClient.predict(b'2 105') ->", client.predict(b"2 105"))
            print("EASClient.predict(b'2 103') ->", client.predict(b"2 103"))

        async def batch() -> list[object]:
            async with AsyncEASClient(rt.endpoint, TOKEN) as client:
                return await client.predict_many(rows, concurrency=32, progress=True)

        results = asyncio.run(batch())
        trues = sum(1 for r in results if r == b"True")
        print(
            f"AsyncEASClient.predict_many: {len(results)} rows -> {trues} True, {len(results) - trues} False"
        )
        for row, result in list(zip(rows, results, strict=True))[:3]:
            print(f"  {row.decode():>7} -> {result!r}")

        cli = [sys.executable, "-m", "eas_client", "predict", rt.endpoint, "-d", "2 105", "--token", TOKEN]
        out = subprocess.run(cli, capture_output=True, text=True, check=True, timeout=60).stdout.strip()
        print(f"eas predict {rt.endpoint} -d '2 105' ->", out)

        with EASClient(rt.base_url, TOKEN, service_name="demo", endpoint_type="direct") as direct:
            answers = direct.predict_many([b"2 105"] * 30, concurrency=3)
        per_instance = [rt.stats(i)["requests"] for i in range(3)]
        print(f"direct mode: {len(answers)} calls spread over the instances as {per_instance}")
    print("\nruntime stopped")


if __name__ == "__main__":
    main()
