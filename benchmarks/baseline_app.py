"""The floor for the sandbox's throughput: a bare Starlette app on uvicorn that only parses
the JSON body and answers 202 with ``{}``, as the sandbox answers a stored message, on the
same HTTP implementation (h11) the sandbox runs on."""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def messages(request: Request) -> Response:
    await request.json()
    return JSONResponse({}, status_code=202)


async def home(request: Request) -> Response:
    return Response("ok")


app = Starlette(routes=[Route("/messages", messages, methods=["POST"]), Route("/", home)])

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
        lifespan="off",
        http="h11",
    )
