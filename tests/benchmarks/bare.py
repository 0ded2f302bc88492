"""A bare aiohttp handler, the ceiling the web pages are measured against.

Run as `python -m tests.benchmarks.bare PORT`; serves "ok" at / until killed.
"""

import sys

from aiohttp import web


async def ok(request: web.Request) -> web.Response:
    return web.Response(text="ok")


if __name__ == "__main__":
    app = web.Application()
    app.router.add_get("/", ok)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
