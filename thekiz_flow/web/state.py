"""What every request of the web pages shares, kept on the application."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jinja2 import Environment
from starlette.requests import Request

from thekiz_flow.core.enums import Role
from thekiz_flow.service import Service
from thekiz_flow.workflow.config import Settings

ServiceFactory = Callable[[str], Service]  # the actor (a user's e-mail) -> the service
SYSTEM_ACTOR = "web"  # looks up users; never writes


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    roles: Sequence[Role]


@dataclass(frozen=True)
class WebState:
    settings: Settings
    services: ServiceFactory
    templates: Environment
    nav: Sequence[NavItem]

    def system(self) -> Service:
        return self.services(SYSTEM_ACTOR)


def web_state(request: Request) -> WebState:
    state = request.app.state.web
    assert isinstance(state, WebState)
    return state
