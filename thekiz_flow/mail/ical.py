"""A coach's calendar feed as iCalendar (RFC 5545), built with the ``icalendar`` package.

Every activity is one all-day event whose UID never changes (``activity-<id>@thekiz-flow``);
its SEQUENCE is the activity's revision and its DTSTAMP the moment it was last recorded, so
a calendar that subscribed to the feed moves a moved session and strikes a cancelled one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from thekiz_flow.core import german
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import FeedEvent, Workflow

PRODID = "-//ThEKiZ//thekiz-flow//DE"
KINDS = {ActivityKind.COACHING: "Begleitung"}  # anything else is a site visit
VISIT = "Einrichtungsbesuch"


def uid(event: FeedEvent) -> str:
    return f"activity-{event.activity_id}@thekiz-flow"


def summary(event: FeedEvent) -> str:
    """Begleitung: Kita Pusteblume (abgesagt)"""
    text = f"{KINDS.get(event.kind, VISIT)}: {event.centre}"
    return f"{text} (abgesagt)" if event.status == ActivityStatus.CANCELLED else text


def description(event: FeedEvent, workflow: Workflow) -> str:
    lines = [f"{event.centre}, {event.district}", f"Stufe: {workflow.stage(event.stage).name}"]
    if event.hours is not None:
        lines.append(f"Umfang: {german.number(event.hours)} Stunden")
    if event.status == ActivityStatus.CANCELLED:
        lines.append(f"Abgesagt: {event.reason or 'ohne Angabe'}")
    return "\n".join(lines)


def calendar_feed(
    name: str, events: Sequence[FeedEvent], workflow: Workflow, now: datetime
) -> bytes:
    """The feed ``name`` with ``events``; ``now`` stamps an event never recorded."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for event in events:
        item = Event()
        item.add("uid", uid(event))
        item.add("sequence", event.revision)
        item.add("dtstamp", event.recorded_at or now)
        item.add("dtstart", event.day)
        item.add("dtend", event.day + timedelta(days=1))
        item.add("summary", summary(event))
        item.add("location", f"{event.centre}, {event.district}")
        item.add("description", description(event, workflow))
        item.add("status", "CANCELLED" if event.status == ActivityStatus.CANCELLED else "CONFIRMED")
        item.add("transp", "TRANSPARENT")  # all day, but not busy all day
        calendar.add_component(item)
    data: bytes = calendar.to_ical()
    return data
