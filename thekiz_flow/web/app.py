"""The web application: every area's routes, the signed session cookie, the security
headers and the error pages."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Route

from thekiz_flow.service.users import SESSION_TTL
from thekiz_flow.web import assets, health, pages
from thekiz_flow.web.endpoints import checks_csrf
from thekiz_flow.web.errors import HANDLERS
from thekiz_flow.web.headers import SecurityHeaders
from thekiz_flow.web.render import environment
from thekiz_flow.web.state import SYSTEM_ACTOR, ServiceFactory, WebState
from thekiz_flow.workflow.config import Settings

SESSION_COOKIE = "thekiz_session"
SAFE_METHODS = {"GET", "HEAD"}
MAX_BODY = 1024 * 1024  # bytes of a form


def create_app(settings: Settings, service_factory: ServiceFactory, secret_key: str) -> Starlette:
    """The pages, acting through ``service_factory(email)``; cookies signed with ``secret_key``."""
    routes = pages.routes()
    _require_csrf_checks(routes)
    templates_dir = service_factory(SYSTEM_ACTOR).workflow.templates_dir
    app = Starlette(
        routes=[*routes, *assets.routes(templates_dir), *health.routes()],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=int(SESSION_TTL.total_seconds()),  # the session ends in the database
                same_site="lax",
                https_only=settings.web.secure_cookies,
            ),
        ],
        exception_handlers=HANDLERS,
        max_body_size=MAX_BODY,
    )
    templates = environment(templates_dir, settings.timezone)
    app.state.web = WebState(settings, service_factory, templates, pages.nav())
    return app


def _require_csrf_checks(routes: list[BaseRoute]) -> None:
    """Every route that changes something must check the CSRF token: @action does."""
    unchecked = [
        route.path
        for route in routes
        if isinstance(route, Route)
        and set(route.methods or ()) - SAFE_METHODS
        and not checks_csrf(route.endpoint)
    ]
    if unchecked:
        raise RuntimeError(f"routes without a CSRF check (use @action): {unchecked}")
