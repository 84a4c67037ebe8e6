"""Calendar invitations for coaches: each planned session as an iCalendar REQUEST with the
UID and SEQUENCE of the coach's feed, a new REQUEST when it moves, a CANCEL when it is
cancelled, voided or handed over; each once, whatever ticks run."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from email import message_from_bytes
from email.message import Message
from email.policy import default

import pytest
from icalendar import Calendar, Component
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.conftest import BERLIN, TODAY
from tests.smtp_servers import RecordingServer
from tests.test_reassign import waiting_or_done
from tests.web_helpers import login
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus, OutboxStatus
from thekiz_flow.core.model import Activity, ActivityFilter, CentreInput, Mail, Workflow
from thekiz_flow.mail.message import build_message
from thekiz_flow.service import Service
from thekiz_flow.service.invitations import AHEAD, CANCEL_RULE, RULE
from thekiz_flow.workflow.config import MailSettings

pytestmark = pytest.mark.backends("sqlite", "postgresql")

REGISTERED, ADMITTED = date(2026, 5, 4), date(2026, 5, 11)
SENDER = "thekiz-flow@example.org"
MAX, ERIKA = "max@example.org", "erika@example.org"


def programme(service: Service) -> int:
    """Kita Pusteblume in Basisbegleitung with coach Max Winter; Erika Beispiel is free."""
    service.registry.add_coach("Max Winter", MAX, "60")
    service.registry.add_coach("Erika Beispiel", ERIKA, "60")
    centre = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "p@example.org", coach=MAX), REGISTERED
    )
    service.lifecycle.advance(centre, "admit", on=ADMITTED)
    return centre


def sessions(service: Service, centre_id: int) -> list[Activity]:
    return service.overview.activities(
        ActivityFilter(centre_id=centre_id, kind=ActivityKind.COACHING)
    )


@dataclass(frozen=True)
class Invitation:
    mail: Mail
    status: OutboxStatus
    method: str
    event: Component

    @property
    def uid(self) -> str:
        return str(self.event["UID"])

    @property
    def sequence(self) -> int:
        return int(str(self.event["SEQUENCE"]))


def invitations(service: Service) -> list[Invitation]:
    """Every invitation in the outbox, in the order written."""
    found = []
    for row in sorted(service.outbox.rows(), key=lambda r: r.id):
        if row.rule not in (RULE, CANCEL_RULE):
            continue
        _, mail = service.outbox.message(row.id)
        assert mail.calendar is not None
        calendar = Calendar.from_ical(mail.calendar)
        [event] = calendar.walk("VEVENT")
        found.append(Invitation(mail, row.status, str(calendar["METHOD"]), event))
    return found


def feed(service: Service, coach: str) -> dict[str, Component]:
    _, token = service.feeds.create(coach)
    calendar = Calendar.from_ical(service.feeds.calendar(token))
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def uid(activity: Activity) -> str:
    return f"activity-{activity.id}@thekiz-flow"


def calendar_parts(content: bytes) -> tuple[Message, Message]:
    """The inline text/calendar alternative and the .ics attachment of a message."""
    message = message_from_bytes(content, policy=default)
    parts = list(message.walk())
    [inline] = [p for p in parts if p.get_content_type() == "text/calendar"]
    [attached] = [p for p in parts if p.get_filename() == "termin.ics"]
    alternative = next(p for p in parts if p.get_content_type() == "multipart/alternative")
    assert inline in alternative.get_payload()
    return inline, attached


def payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def test_each_session_in_the_coming_weeks_is_an_invitation_as_the_feed_has_it(
    service: Service, clock: FrozenClock
) -> None:
    centre = programme(service)
    clock.set(clock.now() + timedelta(minutes=5))  # the sessions were recorded before
    report = service.ticks.tick()
    planned = [s for s in sessions(service, centre) if s.date <= TODAY + AHEAD]
    later = [s for s in sessions(service, centre) if s.date > TODAY + AHEAD]
    assert planned
    assert later  # they follow as their day comes near
    found = invitations(service)
    assert report.invitations == len(found) == len(planned)
    assert [i.uid for i in found] == [uid(s) for s in planned]  # no site visit: the office goes
    listed = feed(service, MAX)
    for invitation, session in zip(found, planned, strict=True):
        assert invitation.method == "REQUEST"
        assert invitation.status == OutboxStatus.SENT
        assert invitation.sequence == int(str(listed[invitation.uid]["SEQUENCE"]))
        assert invitation.event.decoded("DTSTART") == session.date  # all day, as in the feed
        assert invitation.event.decoded("DTSTART") == listed[invitation.uid].decoded("DTSTART")
        assert str(invitation.event["STATUS"]) == "CONFIRMED"
        assert invitation.event.decoded("DTSTAMP") == clock.now()  # when it was made
        assert str(invitation.event["ORGANIZER"]) == f"mailto:{SENDER}"
        attendee = invitation.event["ATTENDEE"]
        assert str(attendee) == f"mailto:{MAX}"
        assert attendee.params["CN"] == "Max Winter"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert invitation.mail.recipient == MAX
        assert "Kalendereinladung" in invitation.mail.subject
        assert "Kita Pusteblume (Jena)" in invitation.mail.subject


def test_the_message_carries_the_invitation_inline_and_as_a_file(
    service: Service, clock: FrozenClock
) -> None:
    programme(service)
    service.ticks.tick()
    first = invitations(service)[0]
    content = build_message(first.mail, SENDER, clock.now()).content
    inline, attached = calendar_parts(content)
    assert inline.get_content_type() == "text/calendar"
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"
    assert inline.get_content_disposition() is None  # inline: the client shows its buttons
    assert attached.get_content_disposition() == "attachment"
    for part in (inline, attached):
        calendar = Calendar.from_ical(payload(part))
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(calendar.walk("VEVENT")[0]["UID"]) == first.uid


def test_a_second_tick_writes_nothing_new(service: Service) -> None:
    programme(service)
    service.ticks.tick()
    before = len(service.outbox.rows())
    assert service.ticks.tick().invitations == 0
    assert len(service.outbox.rows()) == before


def test_other_changes_of_a_session_send_nothing(service: Service) -> None:
    """Its revision counts every change (a rate, a note): only its day and status matter."""
    centre = programme(service)
    service.ticks.tick()
    session = sessions(service, centre)[0]
    with service.runtime.unit() as repo:
        repo.activities.update(session.id, note="Raum 2")
    assert service.ticks.tick().invitations == 0


def test_a_moved_session_is_a_new_request_with_a_higher_sequence(
    service: Service, clock: FrozenClock
) -> None:
    centre = programme(service)
    service.ticks.tick()
    session = sessions(service, centre)[0]
    [first] = [i for i in invitations(service) if i.uid == uid(session)]
    clock.set(clock.now() + timedelta(hours=1))
    moved = service.sessions.move(session.id, session.date + timedelta(days=1))
    assert service.ticks.tick().invitations == 1
    *_, again = invitations(service)
    assert (again.uid, again.method) == (first.uid, "REQUEST")  # no CANCEL: RFC 5546 3.2.2
    assert again.sequence > first.sequence
    assert again.sequence == int(str(feed(service, MAX)[again.uid]["SEQUENCE"]))
    assert again.event.decoded("DTSTART") == moved.date
    assert "verschoben" in again.mail.subject
    assert f"vom {session.date.day}. " in again.mail.text


def test_a_newer_invitation_withdraws_an_older_one_not_yet_sent(
    service: Service, clock: FrozenClock
) -> None:
    """So an older REQUEST sent late cannot put a session back on its former day (and if
    it was under way already, its lower SEQUENCE makes a calendar ignore it)."""
    centre = programme(service)
    invite = service.ticks.invitations.invite
    with service.runtime.unit() as repo:
        invite(repo, clock.now())
    session = sessions(service, centre)[0]
    service.sessions.move(session.id, session.date + timedelta(days=1))
    with service.runtime.unit() as repo:
        invite(repo, clock.now())
    mine = [i for i in invitations(service) if i.uid == uid(session)]
    assert [i.status for i in mine] == [OutboxStatus.WITHDRAWN, OutboxStatus.PENDING]
    assert mine[1].sequence > mine[0].sequence


@pytest.mark.parametrize("how", ["cancelled", "paused"])
def test_a_cancelled_session_is_a_cancel(service: Service, clock: FrozenClock, how: str) -> None:
    centre = programme(service)
    service.ticks.tick()
    session = sessions(service, centre)[0]
    [request] = [i for i in invitations(service) if i.uid == uid(session)]
    clock.set(clock.now() + timedelta(hours=1))
    if how == "cancelled":
        service.sessions.cancel(session.id, "Leitung erkrankt")
    else:  # a step that cancels all that is planned
        service.lifecycle.advance(centre, "pause", force=True, reason="Umbau")
    service.ticks.tick()
    cancels = [i for i in invitations(service) if i.method == "CANCEL"]
    requested = {i.uid for i in invitations(service) if i.method == "REQUEST"}
    assert {i.uid for i in cancels} == ({request.uid} if how == "cancelled" else requested)
    [cancel] = [i for i in cancels if i.uid == request.uid]
    assert str(cancel.event["STATUS"]) == "CANCELLED"
    assert cancel.sequence > request.sequence
    assert cancel.sequence == int(str(feed(service, MAX)[cancel.uid]["SEQUENCE"]))
    assert cancel.mail.recipient == MAX
    assert "abgesagt" in cancel.mail.subject
    if how == "cancelled":
        assert "Leitung erkrankt" in cancel.mail.text
    inline, _ = calendar_parts(build_message(cancel.mail, SENDER, clock.now()).content)
    assert inline.get_param("method") == "CANCEL"
    assert service.ticks.tick().invitations == 0


def test_a_voided_session_is_a_cancel(service: Service, clock: FrozenClock) -> None:
    centre = programme(service)
    service.ticks.tick()
    session = sessions(service, centre)[0]
    clock.set(noon(session.date, BERLIN))
    service.sessions.record(str(session.id), session.date, "2")
    assert service.ticks.tick().invitations == 0  # held: it stays in the calendar
    service.corrections.void_session(session.id, "gehört zu einer anderen Einrichtung")
    service.ticks.tick()
    [cancel] = [i for i in invitations(service) if i.method == "CANCEL"]
    assert cancel.uid == uid(session)
    assert cancel.sequence == int(str(feed(service, MAX)[cancel.uid]["SEQUENCE"]))


def test_a_handed_over_session_is_cancelled_for_one_coach_and_requested_of_the_other(
    service: Service, clock: FrozenClock
) -> None:
    centre = programme(service)
    service.ticks.tick()
    before = {i.uid for i in invitations(service)}
    clock.set(clock.now() + timedelta(hours=1))
    service.registry.assign_coach(centre, ERIKA)
    service.ticks.tick()
    written = invitations(service)[len(before) :]
    cancels = {i.uid for i in written if i.method == "CANCEL" and i.mail.recipient == MAX}
    requests = {i.uid for i in written if i.method == "REQUEST" and i.mail.recipient == ERIKA}
    assert cancels == requests == before
    assert len(written) == 2 * len(before)
    cancel = next(i for i in written if i.method == "CANCEL")
    assert "übergeben" in cancel.mail.subject
    assert str(cancel.event["ATTENDEE"]) == f"mailto:{MAX}"


def test_a_session_is_invited_when_its_day_comes_near(service: Service, clock: FrozenClock) -> None:
    centre = programme(service)
    service.ticks.tick()
    first = len(invitations(service))
    clock.set(clock.now() + timedelta(weeks=5))
    service.ticks.tick()
    near = [
        s
        for s in sessions(service, centre)
        if s.status == ActivityStatus.PLANNED and s.date <= clock.now().date() + AHEAD
    ]
    assert len(invitations(service)) > first
    assert {i.uid for i in invitations(service)} >= {uid(s) for s in near}


def test_the_coach_receives_the_invitation_over_smtp(
    engine: Engine, workflow: Workflow, clock: FrozenClock
) -> None:
    with RecordingServer() as server:
        mail = MailSettings(
            backend="smtp",
            sender=f"ThEKiZ Koordination <{SENDER}>",
            office="fachstelle@example.org",
            smtp=server.settings(),
            base_url="https://thekiz.example.org",
        )
        service = Service(engine, workflow, clock, BERLIN, actor="test", mail=mail, wall=clock)
        centre = programme(service)
        service.ticks.tick()
    session = sessions(service, centre)[0]
    received = {}
    for message in (r for r in server.received if r.recipients == (MAX,)):
        inline, _ = calendar_parts(message.content)
        calendar = Calendar.from_ical(payload(inline))
        received[str(calendar.walk("VEVENT")[0]["UID"])] = message.content, calendar
    first, calendar = received[uid(session)]
    event = calendar.walk("VEVENT")[0]
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["ORGANIZER"]) == f"mailto:{SENDER}"
    assert event["ORGANIZER"].params["CN"] == "ThEKiZ Koordination"
    assert event.decoded("DTSTART") == session.date
    text = message_from_bytes(first, policy=default).get_body(("plain",))
    assert text is not None
    assert f"https://thekiz.example.org/sessions/{session.id}" in text.get_content()


@pytest.mark.backends("postgresql")
def test_a_tick_waits_for_another_writing_invitations(service: Service, clock: FrozenClock) -> None:
    """Two ticks at once: the second waits for the first's lock, then finds nothing owed."""
    programme(service)
    with ThreadPoolExecutor(1) as pool, service.runtime.unit() as repo:
        written = service.ticks.invitations.invite(repo, clock.now())  # still uncommitted
        other = pool.submit(service.ticks.tick)
        assert waiting_or_done(service.runtime.engine, other), "the second tick did not wait"
    assert written > 0
    assert other.result().invitations == 0
    assert len(invitations(service)) == written


def test_the_office_sees_that_a_mail_carries_an_invitation(
    web: TestClient, service: Service, clock: FrozenClock
) -> None:
    centre = programme(service)
    service.ticks.tick()
    service.sessions.cancel(sessions(service, centre)[0].id, "Leitung erkrankt")
    service.ticks.tick()
    login(web, "office")
    request, cancel = (
        next(i for i in invitations(service) if i.method == method)
        for method in ("REQUEST", "CANCEL")
    )
    page = web.get(f"/outbox/{request.mail.id}").text
    assert "<th>Kalender</th><td>Einladung des Termins (termin.ics)</td>" in page
    page = web.get(f"/outbox/{cancel.mail.id}").text
    assert "<th>Kalender</th><td>Absage des Termins (termin.ics)</td>" in page


def test_a_handover_leaves_the_invitations_to_the_former_coach_alone(
    service: Service, clock: FrozenClock
) -> None:
    """A handover withdraws the former coach's reminders, not a CANCEL still to be sent: the
    record says it was written, so nothing would write it again."""
    centre = programme(service)
    service.ticks.tick()
    session = sessions(service, centre)[0]
    service.sessions.cancel(session.id, "Leitung erkrankt")
    with service.runtime.unit() as repo:  # written, not sent yet
        service.ticks.invitations.invite(repo, clock.now())
    service.registry.assign_coach(centre, ERIKA)
    [cancel] = [i for i in invitations(service) if i.method == "CANCEL"]
    assert (cancel.uid, cancel.status) == (uid(session), OutboxStatus.PENDING)


def test_a_session_cancelled_before_its_invitation_went_out_sends_no_cancel(
    service: Service, clock: FrozenClock
) -> None:
    """The REQUEST still waits (the server was down): it is withdrawn, and the coach, who
    never had the session in their calendar, gets no CANCEL for it."""
    centre = programme(service)
    with service.runtime.unit() as repo:
        service.ticks.invitations.invite(repo, clock.now())
    session = sessions(service, centre)[0]
    service.sessions.cancel(session.id, "Leitung erkrankt")
    with service.runtime.unit() as repo:
        assert service.ticks.invitations.invite(repo, clock.now()) == 0
    mine = [(i.method, i.status) for i in invitations(service) if i.uid == uid(session)]
    assert mine == [("REQUEST", OutboxStatus.WITHDRAWN)]
    with service.runtime.unit() as repo:  # and nothing is owed for it any more
        owed = repo.invitations.take_owed(TODAY, TODAY + AHEAD)
    assert [o for o in owed if o.activity.id == session.id] == []
