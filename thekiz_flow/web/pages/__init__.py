"""The pages, one module per area.

Each module has ``routes`` (Starlette routes of ``@page`` and ``@action`` functions) and
``nav`` (its entries in the navigation). A new area is a new module listed in AREAS.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from thekiz_flow.web.pages import (
    account,
    calendar,
    centre_files,
    centres,
    coaches,
    corrections,
    digests,
    districts,
    feeds,
    forecast,
    login,
    mail_templates,
    outbox,
    overview,
    planning,
    privacy,
    sessions,
    stages,
    statements,
    trainings,
    users,
    visits,
)
from thekiz_flow.web.state import NavItem

AREAS = (
    login,
    overview,
    centre_files,
    centres,
    stages,
    planning,
    sessions,
    visits,
    corrections,
    calendar,
    trainings,
    coaches,
    outbox,
    mail_templates,
    digests,
    districts,
    forecast,
    statements,
    feeds,
    users,
    privacy,
    account,
)


def routes() -> list[BaseRoute]:
    return [route for area in AREAS for route in area.routes]


def nav() -> list[NavItem]:
    return [item for area in AREAS for item in area.nav]
