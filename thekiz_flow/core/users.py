"""The users of the web pages and their signed-in browsers, as the store holds them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from thekiz_flow.core.enums import Role


@dataclass(frozen=True)
class User:
    id: int
    email: str  # lower case
    role: Role
    coach_id: int | None  # a coach's user: the coach
    created_at: datetime
    disabled: bool


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: its user (active) and the CSRF token its forms carry."""

    id: int
    user: User
    csrf_token: str
    last_seen_at: datetime
