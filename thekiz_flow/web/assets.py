"""The pages' style sheet and script: files beside the templates, served without sign-in
(the login page needs them too) and kept by browsers for an hour."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ASSETS = {"site.css": "text/css; charset=utf-8", "site.js": "text/javascript; charset=utf-8"}
CACHE = "public, max-age=3600"


def routes(templates_dir: Path) -> list[Route]:
    """One route per asset, read once from ``templates_dir/web``."""

    def serve(name: str, media_type: str) -> Route:
        body = (templates_dir / "web" / name).read_bytes()

        async def endpoint(request: Request) -> Response:
            return Response(body, media_type=media_type, headers={"Cache-Control": CACHE})

        return Route(f"/static/{name}", endpoint, methods=["GET"])

    return [serve(name, media_type) for name, media_type in ASSETS.items()]
