"""The calendar: one month of coaching sessions, site visits and trainings.

``/calendar?month=2026-03&coach=1&district=Jena`` shows the month's planned and held
sessions and visits (of the coach: their sessions and the visits of their centres; of the
district's centres) and the trainings of the catalogue. Each day shows how many it has and
at most ``SHOWN`` of them, each linking to its page; a day with more links ("+ N weitere")
to ``/calendar/2026-03-04``, the whole day a page at a time with the same filters. What a
page reads grows with what it shows, not with the programme (``service/calendar.py``). The
coach is chosen by a search (``web/coach_choice.py``). A coach sees their own at first (as
on the sessions page); the office everyone's. Wide screens get a grid of weeks, a phone the
days that have something, one below the other (site.css).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core import german, validate
from thekiz_flow.core.activity_list import CalendarQuery, ListedActivity, month_start
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.model import Training
from thekiz_flow.service import Service
from thekiz_flow.web.auth import READERS
from thekiz_flow.web.coach_choice import COACH_SEARCH, coach_choice, coach_search
from thekiz_flow.web.endpoints import Context, page
from thekiz_flow.web.pages.sessions import coach_filter
from thekiz_flow.web.state import NavItem

CALENDAR = "/calendar"
SHOWN = 3  # entries a day of the month shows; the rest are behind "+ N weitere"
WEEKDAY_HEADS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
WEEKDAY_NAMES = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
KIND_NAMES = {  # (singular, plural), as a day's counts name them
    ActivityKind.COACHING: ("Begleittermin", "Begleittermine"),
    ActivityKind.SITE_VISIT: ("Besuch", "Besuche"),
}


@dataclass(frozen=True)
class Entry:
    """One line of a day: what it is, for whom, and where it leads."""

    kind: str  # "coaching", "site_visit" or "training": the entry's style
    label: str  # "Begleittermin", "Besuch", "Fortbildung"
    place: str  # the centre ("Kita Pusteblume (Jena)"), a training's title and place
    link: str
    held: bool = False
    coach: str = ""  # a session's coach

    @property
    def text(self) -> str:
        """The line of a day in the month: the place, and a session's coach."""
        return f"{self.place}, {self.coach}" if self.coach else self.place


@dataclass(frozen=True)
class Day:
    day: date
    entries: list[Entry]
    closed: str | None  # a public holiday's name (weekends are plain)
    today: bool
    total: int = 0  # its entries, shown or not
    counts: str = ""  # "1.234 Begleittermine · 56 Besuche", when not all are shown
    link: str = ""  # the whole day (its heading links there), if it has anything

    @property
    def more(self) -> int:
        return self.total - len(self.entries)


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


def _entry(listed: ListedActivity) -> Entry:
    activity = listed.activity
    held = activity.status == ActivityStatus.HELD
    link = f"/centres/{activity.centre_id}"
    if activity.kind == ActivityKind.SITE_VISIT:
        return Entry("site_visit", "Besuch", listed.title, link, held)
    return Entry("coaching", "Begleittermin", listed.title, link, held, listed.coach_name or "")


def _training(training: Training) -> Entry:
    text = f"{training.title}, {training.place}"
    return Entry("training", "Fortbildung", text, f"/trainings/{training.id}")


def counts_text(counts: dict[ActivityKind, int], trainings: int = 0) -> str:
    """A day's counts by kind: "1.234 Begleittermine · 56 Besuche · 1 Fortbildung"."""
    named = [(counts.get(kind, 0), names) for kind, names in KIND_NAMES.items()]
    named.append((trainings, ("Fortbildung", "Fortbildungen")))
    return " · ".join(
        f"{german.number(n)} {one if n == 1 else many}" for n, (one, many) in named if n
    )


def _query(month: date | None, coach: int | None, district: str | None, search: str) -> str:
    """The filters as an address's query ("" for a coach: everyone's), with the search of a
    coach and the month, if given."""
    query = {"coach": coach or "", "district": district or ""}
    if month is not None:
        query = {"month": month.strftime("%Y-%m"), **query}
    if search:
        query[COACH_SEARCH] = search
    return urlencode(query)


def _link(month: date, coach: int | None, district: str | None, search: str = "") -> str:
    """The calendar of another month with the same filters and the same search of a coach."""
    return f"{CALENDAR}?{_query(month, coach, district, search)}"


def day_link(day: date, coach: int | None, district: str | None, search: str = "") -> str:
    """The whole of one day, with the same filters."""
    return f"{CALENDAR}/{day.isoformat()}?{_query(None, coach, district, search)}"


def _filters(ctx: Context) -> tuple[int | None, str | None, str]:
    params = ctx.request.query_params
    coach = coach_filter(ctx.user, params.get("coach"))
    district = _district(ctx.service, params.get("district", ""))
    return coach, district, coach_search(ctx)


@page(*READERS)
def calendar(ctx: Context) -> Response:
    service, today = ctx.service, ctx.service.runtime.today()
    given = ctx.request.query_params.get("month", "")
    first = month_start(given) if given else today.replace(day=1)
    coach, district, search = _filters(ctx)
    days = month_days(first)
    found = service.calendar.month(CalendarQuery(first, days[-1], coach, district), SHOWN)
    activities = {d.day: d for d in found.days}
    trainings: dict[date, list[Training]] = {}
    for training in found.trainings:
        trainings.setdefault(training.date, []).append(training)
    holidays = service.runtime.calendar
    month = []
    for day in days:
        dated = activities.get(day)
        events = trainings.get(day, [])
        entries = [_training(t) for t in events]
        if dated is not None:
            entries += [_entry(listed) for listed in dated.shown]
        total = len(events) + (0 if dated is None else dated.total)
        more = total > SHOWN
        month.append(
            Day(
                day,
                entries[:SHOWN],
                None if day.weekday() >= 5 else holidays.closed(day),
                day == today,
                total,
                counts_text({} if dated is None else dated.counts, len(events)) if more else "",
                day_link(day, coach, district, search) if total else "",
            )
        )
    before, after = neighbours(first)
    return ctx.render(
        "web/calendar.html.j2",
        title="Terminkalender",
        first=first,
        days=month,
        lead=first.weekday(),  # empty cells before the 1st in the grid
        heads=WEEKDAY_HEADS,
        count=sum(d.total for d in month),
        coach_choice=coach_choice(ctx, "" if coach is None else str(coach)),
        chosen_coach=coach,
        districts=service.workflow.districts,
        chosen_district=district,
        before=before,
        after=after,
        before_link=_link(before, coach, district, search),
        after_link=_link(after, coach, district, search),
    )


@page(*READERS)
def calendar_day(ctx: Context) -> Response:
    """One day: its trainings, and its sessions and site visits a page at a time."""
    service, today = ctx.service, ctx.service.runtime.today()
    day = validate.day("date", ctx.request.path_params["day"])
    coach, district, search = _filters(ctx)
    page_number = ctx.request.query_params.get("page", "")
    found, trainings = service.calendar.day(CalendarQuery(day, day, coach, district), page_number)
    query = {"coach": coach or "", "district": district or ""}
    if search:
        query[COACH_SEARCH] = search
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    return ctx.render(
        "web/calendar_day.html.j2",
        title=f"Termine am {german.short_date(day)}",
        day=day,
        weekday=WEEKDAY_NAMES[day.weekday()],
        closed=None if day.weekday() >= 5 else service.runtime.calendar.closed(day),
        today=day == today,
        found=found,
        entries=[_entry(listed) for listed in found.items],
        trainings=[_training(t) for t in trainings],
        query=query,
        coach_choice=coach_choice(ctx, "" if coach is None else str(coach)),
        chosen_coach=coach,
        districts=service.workflow.districts,
        chosen_district=district,
        month_link=_link(day.replace(day=1), coach, district, search),
        before=before,
        after=after,
        before_link=day_link(before, coach, district, search),
        after_link=day_link(after, coach, district, search),
    )


routes = [
    Route(CALENDAR, calendar, methods=["GET"]),
    Route(CALENDAR + "/{day}", calendar_day, methods=["GET"]),
]
nav = [NavItem(CALENDAR, "Terminkalender", READERS)]
