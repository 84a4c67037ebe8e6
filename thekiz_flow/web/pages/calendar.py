"""The calendar: one month of coaching sessions, site visits and trainings.

``/calendar?month=2026-03&coach=1&district=Jena`` shows the month's planned and held
sessions and visits (of the coach's centres, of the district's centres) and the trainings
of the catalogue, each linking to its page. It reads only the month's activities and
their centres; the coach is chosen by a search (``web/coach_choice.py``). A coach sees
their own at first (as on the sessions page); the office everyone's. Wide screens get a
grid of weeks, a phone the days that have something, one below the other (site.css).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.activity_list import month_start
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.model import Activity, ActivityFilter, Centre
from thekiz_flow.service import Service
from thekiz_flow.web.auth import READERS
from thekiz_flow.web.coach_choice import COACH_SEARCH, coach_choice, coach_search
from thekiz_flow.web.endpoints import Context, page
from thekiz_flow.web.pages.sessions import coach_filter
from thekiz_flow.web.state import NavItem

CALENDAR = "/calendar"
SHOWN = (ActivityStatus.PLANNED, ActivityStatus.HELD)  # cancelled ones are not in the calendar
WEEKDAY_HEADS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")


@dataclass(frozen=True)
class Entry:
    """One line of a day: what it is, for whom, and where it leads."""

    kind: str  # "coaching", "site_visit" or "training": the entry's style
    label: str  # "Begleittermin", "Besuch", "Fortbildung"
    text: str
    link: str
    held: bool = False


@dataclass(frozen=True)
class Day:
    day: date
    entries: list[Entry]
    closed: str | None  # a public holiday's name (weekends are plain)
    today: bool


def month_days(first: date) -> list[date]:
    """Every day of the month that starts on ``first``."""
    following = (first + timedelta(days=31)).replace(day=1)
    return [first + timedelta(days=n) for n in range((following - first).days)]


def neighbours(first: date) -> tuple[date, date]:
    """The first days of the month before and after."""
    return (first - timedelta(days=1)).replace(day=1), (first + timedelta(days=31)).replace(day=1)


def _district(service: Service, given: str) -> str | None:
    if not given:
        return None
    if given not in service.workflow.districts:
        raise InvalidInput("district", f"unbekannter Kreis {given!r}")
    return given


def _shown(activity: Activity, centre: Centre, coach: int | None, district: str | None) -> bool:
    """Whether the filters keep an activity: a coach's sessions and their centres' visits."""
    if activity.status not in SHOWN:
        return False
    if district is not None and centre.district != district:
        return False
    if coach is None:
        return True
    if activity.kind == ActivityKind.SITE_VISIT:
        return centre.coach_id == coach
    return activity.coach_id == coach


def _entry(activity: Activity, centre: Centre, coach_names: dict[int, str]) -> Entry:
    place = f"{centre.name} ({centre.district})"
    held = activity.status == ActivityStatus.HELD
    link = f"/centres/{centre.id}"
    if activity.kind == ActivityKind.SITE_VISIT:
        return Entry("site_visit", "Besuch", place, link, held)
    coach = coach_names.get(activity.coach_id or 0)
    return Entry("coaching", "Begleittermin", f"{place}{', ' + coach if coach else ''}", link, held)


def _link(month: date, coach: int | None, district: str | None, search: str = "") -> str:
    """The calendar of another month with the same filters ("" for a coach: everyone's)
    and the same search of a coach."""
    query = {"month": month.strftime("%Y-%m"), "coach": coach or "", "district": district or ""}
    if search:
        query[COACH_SEARCH] = search
    return f"{CALENDAR}?{urlencode(query)}"


@page(*READERS)
def calendar(ctx: Context) -> Response:
    service, today = ctx.service, ctx.service.runtime.today()
    params = ctx.request.query_params
    given = params.get("month", "")
    first = month_start(given) if given else today.replace(day=1)
    coach = coach_filter(ctx.user, params.get("coach"))
    district = _district(service, params.get("district", ""))
    search = coach_search(ctx)
    days = month_days(first)
    entries: dict[date, list[Entry]] = defaultdict(list)
    found = service.overview.activities(ActivityFilter(first=first, last=days[-1]))
    # only the centres and coaches of the month's sessions and visits
    centres = service.registry.centres_by_id(sorted({a.centre_id for a in found}))
    named = sorted({a.coach_id for a in found if a.coach_id is not None})
    coach_names = {i: c.name for i, c in service.registry.coaches_by_id(named).items()}
    for activity in sorted(found, key=lambda a: (a.date, a.kind != ActivityKind.SITE_VISIT)):
        centre = centres[activity.centre_id]
        if activity.kind != ActivityKind.TRAINING and _shown(activity, centre, coach, district):
            entries[activity.date].append(_entry(activity, centre, coach_names))
    for training, _, _ in service.trainings.find(first=first):
        if training.date <= days[-1]:
            text = f"{training.title}, {training.place}"
            entries[training.date].append(
                Entry("training", "Fortbildung", text, f"/trainings/{training.id}")
            )
    holidays = service.runtime.calendar
    month = [
        Day(
            day,
            entries.get(day, []),
            None if day.weekday() >= 5 else holidays.closed(day),
            day == today,
        )
        for day in days
    ]
    before, after = neighbours(first)
    return ctx.render(
        "web/calendar.html.j2",
        title="Terminkalender",
        first=first,
        days=month,
        lead=first.weekday(),  # empty cells before the 1st in the grid
        heads=WEEKDAY_HEADS,
        count=sum(len(d.entries) for d in month),
        coach_choice=coach_choice(ctx, "" if coach is None else str(coach)),
        chosen_coach=coach,
        districts=service.workflow.districts,
        chosen_district=district,
        before=before,
        after=after,
        before_link=_link(before, coach, district, search),
        after_link=_link(after, coach, district, search),
    )


routes = [Route(CALENDAR, calendar, methods=["GET"])]
nav = [NavItem(CALENDAR, "Terminkalender", READERS)]
