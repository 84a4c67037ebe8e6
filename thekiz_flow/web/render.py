"""Rendering the pages: the project's Jinja2 templates under ``templates/web/``.

Every page extends ``web/_layout.html.j2``; ``render`` passes it the signed-in ``user``,
the session's ``csrf_token``, the ``messages`` flashed by the last action and the ``nav``
entries the user's role may see.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from thekiz_flow.core.german import GERMAN_FILTERS, date_time
from thekiz_flow.core.labels import ROLE_NAMES
from thekiz_flow.web import csrf
from thekiz_flow.web.auth import current_user
from thekiz_flow.web.state import web_state

_FLASH = "flash"


def environment(templates_dir: Path, zone: ZoneInfo) -> Environment:
    """The templates of the pages, autoescaped, with the German filters (``german``)."""
    templates = Environment(
        loader=FileSystemLoader(templates_dir),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def local_time(value: datetime) -> str:
        return date_time(value, zone)

    templates.filters.update(GERMAN_FILTERS, local_time=local_time)
    templates.globals.update(role_names=ROLE_NAMES)
    return templates


def flash(request: Request, message: str) -> None:
    """A message for the next page shown to this session (after a redirect)."""
    request.session[_FLASH] = [*request.session.get(_FLASH, []), message]


def render(
    request: Request,
    template: str,
    values: Mapping[str, object] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """``template`` with ``values`` and what the layout needs."""
    state = web_state(request)
    user = current_user(request)
    context = {
        "user": user,
        "csrf_token": csrf.token(request),
        "csrf_field": csrf.FIELD,
        "messages": request.session.pop(_FLASH, []),
        "nav": [] if user is None else [i for i in state.nav if user.role in i.roles],
        "path": request.url.path,
        **(values or {}),
    }
    html = state.templates.get_template(template).render(context)
    return HTMLResponse(html, status_code=status)


def redirect(request: Request, path: str, message: str | None = None) -> RedirectResponse:
    """After an action: to ``path`` (303, so the browser GETs it), with a message shown there."""
    if message is not None:
        flash(request, message)
    return RedirectResponse(path, status_code=303)
