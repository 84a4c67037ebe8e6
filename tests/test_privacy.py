"""Data protection: export one person's data, erase it keeping the figures, the erasure log
replayed after a restore, and retention."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, update

from tests.cli_helpers import Run
from tests.conftest import BERLIN
from tests.web_helpers import CHEAP_HASHER
from thekiz_flow.cli.runtime import tick_fields
from thekiz_flow.core.clock import FrozenClock
from thekiz_flow.core.enums import ActivityKind
from thekiz_flow.core.errors import Refused
from thekiz_flow.core.model import ActivityFilter, CentreInput
from thekiz_flow.core.privacy_map import SECRETS, Subject, personal_columns
from thekiz_flow.service import Service
from thekiz_flow.service import users as service_users
from thekiz_flow.service.privacy import RetentionReport
from thekiz_flow.store.tables import (
    activities,
    centres,
    coaches,
    invitations,
    outbox,
    outbox_attempts,
    privacy_events,
    sign_in_attempts,
    stage_changes,
    users,
)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), BERLIN)


@pytest.fixture
def cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_users, "HASHER", CHEAP_HASHER)


def programme(service: Service, clock: FrozenClock) -> tuple[int, int, int, int]:
    """Coach Paul (with an account, a calendar link, a new rate) coaches centre A through
    2025, then hands it to coach Olga (centre B's), and keeps centre C (the last centre);
    (paul, olga, centre A, centre B)."""
    clock.set(at(date(2025, 1, 6)))
    paul = service.registry.add_coach("Paul Winter", "paul@example.org", "60")
    olga = service.registry.add_coach("Olga Ostwind", "olga@example.org", "70")
    first = service.registry.add_centre(
        CentreInput("Kita A", "Jena", "a@example.org", coach=str(paul))
    )
    second = service.registry.add_centre(
        CentreInput("Kita B", "Gera", "b@example.org", coach=str(olga))
    )
    third = service.registry.add_centre(
        CentreInput("Kita C", "Gera", "c@example.org", coach=str(paul))
    )
    for centre in (first, second, third):
        service.lifecycle.advance(centre, "admit")
    service.users.add("paul@example.org", "coach", "ein langes Passwort", str(paul))
    service.users.add("olga@example.org", "coach", "ein langes Passwort", str(olga))
    service.users.add("buero@example.org", "office", "ein langes Passwort")
    service.feeds.create(str(paul))
    service.feeds.create(str(olga))
    clock.set(at(date(2025, 3, 3)))
    service.registry.update_coach(paul, name="Paul Winterberg", rate="62")
    assert service.users.sign_in("paul@example.org", "ein langes Passwort", "10.0.0.1")
    assert service.users.sign_in("olga@example.org", "ein langes Passwort", "10.0.0.2")
    assert service.users.sign_in("paul@example.org", "falsch falsch falsch", "10.0.0.1") is None
    clock.set(at(date(2025, 12, 30)))
    for session in service.overview.activities(
        ActivityFilter(kind=ActivityKind.COACHING, first=date(2025, 1, 1), last=date(2025, 6, 30))
    ):
        service.sessions.record(str(session.id), session.date, "3")
    service.registry.assign_coach(first, str(olga))  # Paul keeps his history, not the centre
    service.acting_as("paul@example.org").lifecycle.advance(
        first, "pause", on=date(2025, 9, 1), reason="Umbau"
    )
    return paul, olga, first, second


def add_mails(engine: Engine, now: datetime) -> None:
    """A mail sent to each coach, each centre and the office."""
    rows = [
        ("paul@example.org", "coach"),
        ("olga@example.org", "coach"),
        ("a@example.org", "centre"),
        ("b@example.org", "centre"),
        ("fachstelle@example.org", "office"),
    ]
    with engine.begin() as connection:
        for number, (recipient, role) in enumerate(rows):
            connection.execute(
                insert(outbox).values(
                    key=f"test-{number}",
                    rule="session_upcoming",
                    role=role,
                    recipient=recipient,
                    subject=f"Hinweis {number}",
                    body_text=f"Hallo {recipient}",
                    body_html=f"<p>Hallo {recipient}</p>",
                    attachments="",
                    status="sent",
                    due_at=now,
                    next_attempt_at=now,
                    attempts=1,
                    last_error=None,
                    sent_at=now,
                    created_at=now,
                )
            )
            sent = connection.execute(select(outbox.c.id).where(outbox.c.key == f"test-{number}"))
            connection.execute(
                insert(outbox_attempts).values(
                    outbox_id=sent.scalar_one(),
                    attempt=1,
                    at=now,
                    outcome="sent",
                    recipient=recipient,
                    code=250,
                    reply=f"2.0.0 Ok: queued for {recipient}",
                )
            )
        paul = connection.execute(select(coaches.c.id).where(coaches.c.email.like("paul@%")))
        first = connection.execute(select(activities.c.id).limit(1)).scalar_one()
        connection.execute(
            insert(invitations).values(
                activity_id=first,
                coach_id=paul.scalar_one(),
                revision=1,
                day=now.date(),
                cancelled=False,
                recorded_at=now,
            )
        )


@pytest.mark.backends("sqlite", "postgresql")
def test_the_export_holds_every_classified_column_of_the_coach_and_nothing_of_others(
    service: Service, clock: FrozenClock, engine: Engine, cheap: None
) -> None:
    paul, _olga, _first, _second = programme(service, clock)
    add_mails(engine, clock.now())
    done = service.privacy.export(Subject.COACH, paul)
    text = json.dumps(done.as_json(), ensure_ascii=False)
    for table, column, _kind in personal_columns(Subject.COACH):
        if (table, column) in SECRETS:
            continue
        rows = done.tables.get(table, [])
        assert rows, f"keine Zeilen aus {table} in der Auskunft"
        assert all(column in row for row in rows), f"{table}.{column} fehlt in der Auskunft"
    assert "Paul Winterberg" in text
    assert "paul@example.org" in text
    assert "Umbau" in text  # the stage change he recorded, with its reason
    recorded = [row["actor"] for row in done.tables["stage_changes"]]
    assert recorded == ["paul@example.org"]  # what his account recorded
    assert {row["actor"] for row in done.tables["coach_rates"]} == {None}  # by the office
    assert [row["succeeded"] for row in done.tables["sign_in_attempts"]] == [True, False]
    for other in (
        "Olga",
        "olga@",
        "a@example.org",
        "b@example.org",
        "c@example.org",
        "fachst",
        '"test"',
    ):
        assert other not in text, other
    for table, column in SECRETS:
        assert all(column not in row for row in done.tables.get(table, []))
    assert "$argon2" not in text
    html = service.privacy.export_html(done)
    assert "Auskunft über gespeicherte Daten: Prozessbegleitung" in html
    assert "Pausiert" in html
    assert "pause" not in html.replace("Pausiert", "")
    with engine.connect() as connection:  # the export itself is recorded
        events = connection.execute(select(privacy_events)).all()
    assert [(e.action, e.subject, e.subject_id) for e in events] == [("export", "coach", paul)]
    again = service.privacy.export(Subject.COACH, paul)  # the person sees their exports
    assert [row["action"] for row in again.tables["privacy_events"]] == ["export"]


def test_the_export_of_a_centre_and_of_a_user_hold_only_theirs(
    service: Service, clock: FrozenClock, engine: Engine, cheap: None
) -> None:
    _paul, _olga, first, _second = programme(service, clock)
    add_mails(engine, clock.now())
    centre = json.dumps(service.privacy.export(Subject.CENTRE, first).as_json())
    assert "a@example.org" in centre
    assert "Umbau" in centre
    for other in ("paul@", "olga@", "b@example.org", "c@example.org", "Paul", "Olga"):
        assert other not in centre, other
    subject, number = service.privacy.subject_of(user="Paul@example.org")
    user = service.privacy.export(subject, number)
    assert subject is Subject.USER
    assert [row["email"] for row in user.tables["users"]] == ["paul@example.org"]
    assert len(user.tables["sign_in_attempts"]) == 2  # one success, one failure
    assert user.tables["stage_changes"][0]["actor"] == "paul@example.org"
    assert "olga@example.org" not in json.dumps(user.as_json())


@pytest.mark.backends("sqlite", "postgresql")
def test_erasing_a_coach_keeps_the_figures_of_the_digest(
    service: Service, clock: FrozenClock, engine: Engine, cheap: None, tmp_path: Path
) -> None:
    paul, olga, _first, _second = programme(service, clock)
    service.registry.assign_coach(3, str(olga))
    sent = clock.now()
    add_mails(engine, sent)
    clock.set(at(date(2026, 1, 10)))
    before = service.digest.build(2025)
    sessions = service.overview.activities(ActivityFilter(kind=ActivityKind.COACHING))
    service.privacy.erase(Subject.COACH, paul)
    assert service.digest.build(2025) == before
    after = service.overview.activities(ActivityFilter(kind=ActivityKind.COACHING))
    assert [(a.id, a.date, a.hours, a.rate, a.coach_id, a.stage) for a in after] == [
        (a.id, a.date, a.hours, a.rate, a.coach_id, a.stage) for a in sessions
    ]
    with engine.connect() as connection:
        coach = connection.execute(select(coaches).where(coaches.c.id == paul)).one()
        assert coach.name == f"gelöschte Prozessbegleitung {paul}"
        assert "paul" not in coach.email
        assert coach.active is False
        assert connection.execute(select(users.c.email).order_by(users.c.id)).scalars().all() == [
            "olga@example.org",
            "buero@example.org",
        ]
        attempts = (
            connection.execute(select(sign_in_attempts.c.email).order_by(sign_in_attempts.c.id))
            .scalars()
            .all()
        )
        assert attempts == ["olga@example.org"]
        delivered = connection.execute(
            select(outbox_attempts.c.recipient, outbox_attempts.c.reply)
        ).all()
        assert not [row for row in delivered if "paul" in f"{row.recipient} {row.reply}"]
        assert len(delivered) == 5  # the attempts stay, without his address
        actors = (
            connection.execute(select(stage_changes.c.actor).order_by(stage_changes.c.id))
            .scalars()
            .all()
        )
        assert "paul@example.org" not in actors
        assert "gelöschtes Benutzerkonto 1" in actors
        mails = connection.execute(
            select(outbox).where(outbox.c.key.like("test-%")).order_by(outbox.c.id)
        ).all()
        assert (mails[0].body_text, mails[0].body_html) == ("", "")
        assert (mails[0].subject, mails[0].sent_at) == ("Hinweis 0", sent)  # they stay
        assert [m.body_text for m in mails[1:]] == [
            f"Hallo {r}"
            for r in (
                "olga@example.org",
                "a@example.org",
                "b@example.org",
                "fachstelle@example.org",
            )
        ]
    everything = json.dumps(service.privacy.export(Subject.COACH, paul).as_json())
    assert "Winter" not in everything
    assert "paul@example.org" not in everything
    log = service.privacy.logged()
    assert [(e.subject, e.number) for e in log] == [(Subject.COACH, paul)]
    assert "Winter" not in service.privacy.log_path.read_text("utf-8")


def test_a_coach_with_centres_or_a_centre_in_the_programme_is_not_erased(
    service: Service, clock: FrozenClock, engine: Engine, cheap: None
) -> None:
    _paul, olga, first, _second = programme(service, clock)
    with pytest.raises(Refused, match="begleitet noch 2 Einrichtungen \\(Kita A, Kita B\\)"):
        service.privacy.erase(Subject.COACH, olga)
    with pytest.raises(Refused, match="noch im Programm"):
        service.privacy.erase(Subject.CENTRE, first)
    with engine.connect() as connection:
        names = connection.execute(select(coaches.c.name)).scalars().all()
        assert connection.execute(select(privacy_events)).all() == []
    assert "Olga Ostwind" in names
    assert service.privacy.logged() == []


def test_the_erased_stay_erased_after_a_restore(
    ready: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        ready(
            "coach", "add", "--name", "Mia Berg", "--email", "mia@example.org", "--rate", "55"
        ).out
        == "2\n"
    )
    backup = tmp_path / "vorher.backup"
    assert ready("backup", str(backup)).code == 0
    refused = ready("privacy", "erase", "--coach", "1", "--yes")
    assert refused.code == 2
    assert "begleitet noch 1 Einrichtung" in refused.err
    erased = ready("privacy", "erase", "--coach", "2", "--yes")
    assert erased.code == 0, erased
    assert "gelöschte Prozessbegleitung 2" in erased.out
    assert ready("coach", "show", "2").out.count("Mia") == 0

    fresh = tmp_path / "neu" / "thekiz-flow.db"
    monkeypatch.setenv("THEKIZ_FLOW_DATABASE_URL", f"sqlite:///{fresh}")
    restored = ready("restore", str(backup))
    assert restored.code == 0, restored
    assert "Löschprotokoll: 1 Löschungen angewandt (Stammdaten ersetzt: 1" in restored.out
    shown = ready("coach", "show", "2")
    assert "Mia" not in shown.out
    assert "gelöschte Prozessbegleitung 2" in shown.out
    again = ready("privacy", "replay")
    assert again.out == "Löschprotokoll: 1 Löschungen angewandt (nichts war zurückgekehrt).\n"


def test_bad_privacy_commands_exit_2_in_german(ready: Run) -> None:
    none = ready("privacy", "export")
    assert none.code == 2
    assert "genau eine Person angeben" in none.err
    both = ready("privacy", "export", "--coach", "1", "--centre", "1")
    assert both.code == 2
    assert "genau eine Person angeben" in both.err
    missing = ready("privacy", "export", "--coach", "9")
    assert missing.code == 2
    assert "Nummer 9" in missing.err
    user = ready("privacy", "erase", "--user", "niemand@example.org", "--yes")
    assert user.code == 2
    assert "kein Benutzerkonto" in user.err
    assert ready("privacy", "export", "--coach", "1").code == 0


def test_the_register_is_german_markdown_or_html(ready: Run) -> None:
    markdown = ready("privacy", "register")
    assert markdown.code == 0
    assert markdown.out.startswith("# Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)")
    assert "| E-Mail | Prozessbegleitungen | E-Mails zu Terminen und Erinnerungen |" in markdown.out
    assert "12 Monate nach dem Versand" in markdown.out
    html = ready("privacy", "register", "--format", "html")
    assert html.out.startswith("<!DOCTYPE html>")
    assert '<html lang="de">' in html.out


@pytest.mark.backends("sqlite", "postgresql")
def test_retention_removes_exactly_what_is_due(
    service: Service, clock: FrozenClock, engine: Engine
) -> None:
    now = at(date(2026, 6, 15), 12)
    clock.set(now)
    old, young = now - timedelta(days=400), now - timedelta(days=300)
    with engine.begin() as connection:
        for key, moment, status in (
            ("alt", old, "sent"),
            ("jung", young, "sent"),
            ("alt-offen", old, "pending"),  # not sent yet: kept whole
        ):
            connection.execute(
                insert(outbox).values(
                    key=key,
                    rule="digest",
                    role="office",
                    recipient="x@example.org",
                    subject=key,
                    body_text="Text",
                    body_html="<p>Text</p>",
                    attachments="",
                    status=status,
                    due_at=moment,
                    next_attempt_at=moment,
                    attempts=0,
                    sent_at=moment if status == "sent" else None,
                    created_at=moment,
                )
            )
        for moment in (now - timedelta(days=31), now - timedelta(days=29)):
            connection.execute(
                insert(sign_in_attempts).values(
                    at=moment, email="x@example.org", client="c", succeeded=False
                )
            )
        for moment in (now - timedelta(days=1100), now - timedelta(days=1000)):
            connection.execute(
                insert(privacy_events).values(
                    at=moment, actor="buero", action="export", subject="coach", subject_id=1
                )
            )
        for number, (name, stage, since) in enumerate(
            (
                ("Kita Lange", "ausgeschieden", date(2023, 6, 14)),
                ("Kita Kurz", "ausgeschieden", date(2023, 6, 16)),
                ("Kita Aktiv", "erstbegleitung", date(2020, 1, 1)),
            ),
            1,
        ):
            connection.execute(
                insert(centres).values(
                    id=number,
                    name=name,
                    district="Jena",
                    email=f"k{number}@example.org",
                    stage=stage,
                    stage_since=since,
                    registered=since,
                    created_at=old,
                )
            )
    preview = service.privacy.retention(apply=False)
    assert (preview.mail_bodies, preview.sign_ins, preview.events, preview.centres) == (
        1,
        1,
        1,
        [1],
    )
    with engine.connect() as connection:  # the preview changed nothing
        assert len(connection.execute(select(sign_in_attempts)).all()) == 2
    done = service.privacy.retention(apply=True)
    assert (done.mail_bodies, done.sign_ins, done.events, done.centres) == (1, 1, 1, [1])
    with engine.connect() as connection:
        bodies = dict(connection.execute(select(outbox.c.key, outbox.c.body_text)).all())
        assert bodies == {"alt": "", "jung": "Text", "alt-offen": "Text"}
        kept = connection.execute(select(sign_in_attempts.c.at)).scalars().all()
        assert kept == [now - timedelta(days=29)]
        emails = dict(connection.execute(select(centres.c.id, centres.c.email)).all())
        assert emails[1].endswith("@geloescht.invalid")
        assert (emails[2], emails[3]) == ("k2@example.org", "k3@example.org")
    assert [(e.subject, e.number) for e in service.privacy.logged()] == [(Subject.CENTRE, 1)]
    again = service.privacy.retention(apply=True)
    assert again.total == 0


def test_the_tick_applies_retention_once_a_day(service: Service, clock: FrozenClock) -> None:
    first = service.ticks.tick()
    assert first.retention is not None
    assert tick_fields(first)["retention_mail_bodies"] == 0
    second = service.ticks.tick()
    assert second.retention is None  # the same day
    assert "retention_mail_bodies" not in tick_fields(second)
    clock.set(clock.now() + timedelta(days=1))
    assert service.ticks.tick().retention is not None


def test_the_export_on_the_command_line_as_json_and_a_german_page(
    ready: Run, tmp_path: Path
) -> None:
    page = tmp_path / "auskunft.html"
    done = ready("privacy", "export", "--coach", "1", "--html", str(page))
    assert done.code == 0, done
    exported = json.loads(done.out)
    assert exported["betroffene_person"] == {"art": "Prozessbegleitung", "nummer": 1}
    assert exported["daten"]["coaches"]["zeilen"][0]["name"] == "Lena Sommer"
    assert "pusteblume@example.org" not in done.out  # the centre's address is not hers
    html = page.read_text("utf-8")
    assert "<h1>Auskunft über gespeicherte Daten: Prozessbegleitung 1</h1>" in html
    assert "Lena Sommer" in html
    again = ready("privacy", "export", "--coach", "1", "--html", str(page))
    assert again.code == 2
    assert "gibt es schon" in again.err


def test_preview_and_retention_on_the_command_line(ready: Run) -> None:
    preview = ready("privacy", "preview")
    assert preview.code == 0
    assert preview.out.splitlines()[0] == "Texte versandter E-Mails geleert: 0"
    applied = ready("privacy", "retention")
    assert applied.out == preview.out


def test_a_withdrawn_centre_and_a_user_are_erased(
    service: Service, clock: FrozenClock, engine: Engine, cheap: None
) -> None:
    _paul, _olga, first, second = programme(service, clock)
    add_mails(engine, clock.now())
    service.lifecycle.advance(second, "withdraw")
    done = service.privacy.erase(Subject.CENTRE, second)
    assert done.counts["Kontaktadresse ersetzt"] == 1
    with engine.connect() as connection:
        emails = dict(connection.execute(select(centres.c.id, centres.c.email)).all())
        bodies = dict(connection.execute(select(outbox.c.key, outbox.c.body_text)).all())
    assert emails[second] == f"einrichtung-{second}@geloescht.invalid"
    assert emails[first] == "a@example.org"
    assert bodies["test-3"] == ""  # the mail to b@example.org
    assert bodies["test-2"] == "Hallo a@example.org"
    exported = json.dumps(service.privacy.export(Subject.CENTRE, second).as_json())
    assert "b@example.org" not in exported, exported
    subject, number = service.privacy.subject_of(user="buero@example.org")
    service.privacy.erase(subject, number)
    with engine.connect() as connection:
        left = connection.execute(select(users.c.email).order_by(users.c.id)).scalars().all()
    assert left == ["paul@example.org", "olga@example.org"]
    assert [(e.subject, e.number) for e in service.privacy.logged()] == [
        (Subject.CENTRE, second),
        (Subject.USER, number),
    ]
    again = service.privacy.replay()  # nothing came back: nothing changes
    assert again == (2, again[1])
    assert again[1].counts == {}


def test_a_simulation_copys_retention_writes_no_erasure_log(
    service: Service, clock: FrozenClock, engine: Engine
) -> None:
    service.ticks.mark_simulation()
    with engine.begin() as connection:
        connection.execute(
            insert(centres).values(
                id=1,
                name="Kita Lange",
                district="Jena",
                email="k1@example.org",
                stage="ausgeschieden",
                stage_since=date(2020, 1, 1),
                registered=date(2019, 1, 1),
                created_at=clock.now(),
            )
        )
    assert service.privacy.retention(apply=True).centres == [1]
    assert service.privacy.logged() == []


def test_an_account_s_acts_are_renamed_as_its_data_shows_them_whatever_their_case(
    service: Service, clock: FrozenClock, engine: Engine, cheap: None
) -> None:
    """The export finds an account's acts by its address in any case; its erasure renames
    the same ones, so that no act keeps the address."""
    programme(service, clock)
    with engine.begin() as connection:
        connection.execute(
            update(stage_changes)
            .where(stage_changes.c.actor == "paul@example.org")
            .values(actor="Paul@Example.org")
        )
    subject, number = service.privacy.subject_of(user="paul@example.org")
    shown = service.privacy.export(subject, number).as_json()
    assert "Paul@Example.org" in json.dumps(shown)
    service.privacy.erase(subject, number)
    with engine.connect() as connection:
        actors = connection.execute(select(stage_changes.c.actor)).scalars().all()
    assert not [a for a in actors if "paul" in a.lower()], actors


def test_a_retention_report_names_the_first_centres_and_counts_the_rest() -> None:
    """Thousands of centres to erase are counted, not all named (the privacy page's preview
    stays the size of a page)."""
    report = RetentionReport(mail_bodies=1234, centres=list(range(1, 26)))
    first = ", ".join(str(n) for n in range(1, 21))
    assert report.lines() == [
        "Texte versandter E-Mails geleert: 1.234",
        "Anmeldungen und Fehlversuche gelöscht: 0",
        "Einträge zu Auskünften und Löschungen gelöscht: 0",
        f"Kontaktadressen ausgeschiedener Einrichtungen gelöscht: 25 (Nr. {first} und 5 weitere)",
    ]


def test_retention_s_preview_reads_the_first_centres_and_counts_the_rest(
    service: Service, clock: FrozenClock, engine: Engine
) -> None:
    """What the privacy page shows reads the first centres to erase, not all of them; the
    run erases all."""
    with engine.begin() as connection:
        connection.execute(
            insert(centres),
            [
                {
                    "id": n,
                    "name": f"Kita {n}",
                    "district": "Jena",
                    "email": f"k{n}@example.org",
                    "stage": "ausgeschieden",
                    "stage_since": date(2020, 1, 1),
                    "registered": date(2019, 1, 1),
                    "created_at": clock.now(),
                }
                for n in range(1, 26)
            ],
        )
    preview = service.privacy.retention(apply=False)
    assert (preview.centres, preview.unlisted) == (list(range(1, 21)), 5)
    first = ", ".join(str(n) for n in range(1, 21))
    assert preview.lines()[-1] == (
        f"Kontaktadressen ausgeschiedener Einrichtungen gelöscht: 25 (Nr. {first} und 5 weitere)"
    )
    assert service.privacy.retention(apply=True).centres == list(range(1, 26))
    assert service.privacy.retention(apply=False).centre_count == 0
