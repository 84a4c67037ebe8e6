"""``make demo SERVE=1``: the web pages on the demonstration's database, until Ctrl+C.

One sign-in per role, each with a password drawn at random and shown once: printed, never
written to a file. The session cookies are signed with ``THEKIZ_FLOW_SECRET_KEY``, or, if
it is not set, with a key that lives only as long as the server.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.applications import Starlette

from thekiz_flow.core.enums import Role
from thekiz_flow.core.labels import ROLE_NAMES
from thekiz_flow.service import Service
from thekiz_flow.web import create_app
from thekiz_flow.workflow.config import (
    EPHEMERAL_KEY,
    Settings,
    WebSettings,
    secret_key_from,
    session_key,
)

HOST = "127.0.0.1"
PORT = 8000
OFFICE_EMAIL = "buero@example.org"
MINISTRY_EMAIL = "ministerium@example.org"
PASSWORD_BYTES = 12  # 16 characters of a URL-safe alphabet


@dataclass(frozen=True)
class SignIn:
    role: Role
    email: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class DemoSite:
    app: Starlette
    sign_ins: list[SignIn]
    ephemeral_key: bool  # signed with a key of this run only: sign-ins end with the server


def add_sign_ins(service: Service) -> list[SignIn]:
    """The office, the first coach and the ministry, each with a new random password."""
    coach = service.registry.coaches()[0]
    wanted = (
        (Role.OFFICE, OFFICE_EMAIL),
        (Role.COACH, coach.email),
        (Role.MINISTRY, MINISTRY_EMAIL),
    )
    sign_ins = [
        SignIn(role, email, secrets.token_urlsafe(PASSWORD_BYTES)) for role, email in wanted
    ]
    for sign_in in sign_ins:
        service.users.add(sign_in.email, sign_in.role, sign_in.password)  # a coach by e-mail
    return sign_ins


def prepare(service: Service, environ: Mapping[str, str]) -> DemoSite:
    """The sign-ins and the pages acting through ``service``; the server is not started."""
    key, ephemeral = session_key(secret_key_from(environ))
    settings = Settings(
        database_url=service.runtime.engine.url.render_as_string(hide_password=False),
        timezone=service.zone,
        mail=service.runtime.mail,
        digest=service.runtime.digest,
        web=WebSettings(host=HOST, port=PORT, secret_key=key),
    )
    sign_ins = add_sign_ins(service)
    app = create_app(settings, service.acting_as, key)
    return DemoSite(app, sign_ins, ephemeral_key=ephemeral)


def announcement(site: DemoSite) -> str:
    """What the terminal shows: the address and the sign-ins (German)."""
    width = max(len(s.email) for s in site.sign_ins)
    lines = [
        f"Die Web-Seiten laufen auf http://{HOST}:{PORT}/ (beenden mit Strg+C).",
        "Anmeldungen (Passwörter nur hier, sie werden nirgends gespeichert):",
        *(f"  {s.email:<{width}}  {s.password}  ({ROLE_NAMES[s.role]})" for s in site.sign_ins),
    ]
    if site.ephemeral_key:
        lines.append(EPHEMERAL_KEY)
    return "\n".join(lines)


def serve(service: Service, environ: Mapping[str, str]) -> None:
    """Sign-ins, the address, then the pages on HOST:PORT until Ctrl+C."""
    import uvicorn  # the server loads only when it runs

    from thekiz_flow.web.logs import hide_feed_tokens

    site = prepare(service, environ)
    print(announcement(site), flush=True)
    hide_feed_tokens()
    uvicorn.run(site.app, host=HOST, port=PORT, log_level="warning")
    service.runtime.engine.dispose()
