"""Calendar links: each coach's private iCal feed, and the feed itself.

A coach makes, renews and revokes their own link, the office anyone's. The address is
shown once, in the answer to the action that made it: only a hash of its token is kept.
The feed needs no sign-in (calendars cannot sign in): its token is the credential, an
unknown or revoked one answers 404.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.enums import Role
from thekiz_flow.core.model import Coach
from thekiz_flow.service.feeds import feed_path
from thekiz_flow.web.coach_choice import CHOICES, coach_search
from thekiz_flow.web.endpoints import Context, action, page
from thekiz_flow.web.errors import Forbidden
from thekiz_flow.web.state import NavItem, web_state

PATH = "/feeds"
ROLES = (Role.OFFICE, Role.COACH)
NOT_YOURS = "Sie können nur Ihren eigenen Kalender-Link verwalten."
CALENDAR = "text/calendar; charset=utf-8"


def _page(ctx: Context, new: tuple[Coach, str] | None = None) -> Response:
    """The office's: the coaches the search finds (a few at a time), the one whose link was
    just made among them; a coach's: their own."""
    search = coach_search(ctx)
    more = 0
    if ctx.user.role == Role.OFFICE:
        coaches, total = ctx.service.registry.coach_choices(search, CHOICES)
        more = total - len(coaches)
    else:
        own = ctx.service.registry.coaches_by_id([ctx.user.coach_id or 0])
        coaches = list(own.values())
    if new is not None and new[0].id not in {c.id for c in coaches}:
        coaches.insert(0, new[0])
    created = ctx.service.feeds.issued([c.id for c in coaches])
    return ctx.render(
        "web/feeds.html.j2",
        title="Kalender-Abos",
        rows=[(coach, created.get(coach.id)) for coach in coaches],
        new=new,
        office=ctx.user.role == Role.OFFICE,
        search=search,
        more=more,
    )


def _coach_id(ctx: Context) -> str:
    """The coach of the address: the office's choice, or a coach themselves."""
    coach_id: int = ctx.request.path_params["coach_id"]
    if ctx.user.role != Role.OFFICE and ctx.user.coach_id != coach_id:
        raise Forbidden(NOT_YOURS)
    return str(coach_id)


@page(*ROLES)
def feeds(ctx: Context) -> Response:
    return _page(ctx)


@action(*ROLES)
def renew(ctx: Context) -> Response:
    coach, token = ctx.service.feeds.create(_coach_id(ctx))
    base = web_state(ctx.request).settings.web.base_url or str(ctx.request.base_url).rstrip("/")
    return _page(ctx, (coach, base + feed_path(token)))


@action(*ROLES)
def revoke(ctx: Context) -> Response:
    coach = ctx.service.feeds.revoke(_coach_id(ctx))
    return ctx.redirect(PATH, f"Kalender-Link von {coach.name} widerrufen.")


def _calendar(request: Request) -> Response:
    token: str = request.path_params["token"]
    body = web_state(request).system().feeds.calendar(token)
    return Response(body, media_type=CALENDAR, headers={"Cache-Control": "private, no-cache"})


async def calendar(request: Request) -> Response:
    """The feed: no session, the token in the address is the credential."""
    return await run_in_threadpool(_calendar, request)


routes = [
    Route(PATH, feeds, methods=["GET"]),
    Route(PATH + "/{coach_id:id}/renew", renew, methods=["POST"]),
    Route(PATH + "/{coach_id:id}/revoke", revoke, methods=["POST"]),
    Route(PATH + "/{token}.ics", calendar, methods=["GET"]),
]
nav = [NavItem(PATH, "Kalender-Abos", ROLES)]
