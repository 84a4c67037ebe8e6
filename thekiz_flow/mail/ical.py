"""A coach's calendar feed and invitations as iCalendar (RFC 5545), built with the
``icalendar`` package.

Every activity is one all-day event whose UID never changes (``activity-<id>@thekiz-flow``);
its SEQUENCE is the activity's revision and its DTSTAMP the moment it was last recorded, so
a calendar that subscribed to the feed moves a moved session and strikes a cancelled one.

An invitation (iTIP, RFC 5546) carries the same event, with the same UID and SEQUENCE, as
METHOD:REQUEST (the session, or the session moved: the same UID with a higher SEQUENCE
replaces the one a calendar holds, 3.2.2) or METHOD:CANCEL (STATUS:CANCELLED, 3.2.5), with
the office as ORGANIZER and the coach as the one ATTENDEE. A calendar ignores a message
whose SEQUENCE is lower than that of the one it holds, so a late older message changes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText

from thekiz_flow.core import german
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import FeedEvent, Workflow

PRODID = "-//ThEKiZ//thekiz-flow//DE"
REQUEST, CANCEL = "REQUEST", "CANCEL"  # the iTIP methods an invitation is sent with
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
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(_event(event, workflow, event.recorded_at or now))
    data: bytes = calendar.to_ical()
    return data


def invitation(
    event: FeedEvent,
    method: str,
    organizer: tuple[str, str],
    attendee: tuple[str, str],
    workflow: Workflow,
    now: datetime,
) -> str:
    """The iTIP message ``method`` (REQUEST or CANCEL) of ``event`` from the ``organizer``
    to the ``attendee``, each (name, address), made ``now`` (its DTSTAMP, RFC 5546 2.1.5)."""
    if method == CANCEL:
        event = replace(event, status=ActivityStatus.CANCELLED)
    calendar = _calendar(method)
    item = _event(event, workflow, now)
    item.add("organizer", _address(*organizer))
    who = _address(*attendee)
    who.params.update({"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "FALSE"})
    item.add("attendee", who)
    calendar.add_component(item)
    data: bytes = calendar.to_ical()
    return data.decode("utf-8")


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _event(event: FeedEvent, workflow: Workflow, stamp: datetime) -> Event:
    """The event as the feed and every invitation carry it, stamped ``stamp``."""
    item = Event()
    item.add("uid", uid(event))
    item.add("sequence", event.revision)
    item.add("dtstamp", stamp)
    item.add("dtstart", event.day)
    item.add("dtend", event.day + timedelta(days=1))
    item.add("summary", summary(event))
    item.add("location", f"{event.centre}, {event.district}")
    item.add("description", description(event, workflow))
    item.add("status", "CANCELLED" if event.status == ActivityStatus.CANCELLED else "CONFIRMED")
    item.add("transp", "TRANSPARENT")  # all day, but not busy all day
    return item


def _address(name: str, address: str) -> vCalAddress:
    """mailto:address with its common name (CN)."""
    found = vCalAddress(f"mailto:{address}")
    if name:
        found.params["CN"] = vText(name)
    return found
