"""A bare starlette app that reads the body and answers ``True``: the reference the local runtime is
compared with (same framework, same uvicorn settings, no gateway, queue or processor).

Run as ``python -m benchmarks._echo_app <port>``; it serves until terminated.
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def predict(request: Request) -> Response:
    await request.body()
    return Response(b"True", media_type="text/plain")


app = Starlette(routes=[Route("/api/predict/{service}", predict, methods=["POST"])])


if __name__ == "__main__":
    # The same uvicorn settings the local runtime uses, so only the app differs.
    uvicorn.run(
        app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False, lifespan="off"
    )
