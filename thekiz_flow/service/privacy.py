"""Data protection (DSGVO): access (export), erasure, the erasure log and retention.

- Export (Art. 15): everything the data map links to one person, as JSON and German HTML.
- Erasure (Art. 17): placeholders instead of personal data; figures, dates and stages stay,
  so digests keep their numbers. A coach who still has centres is refused; a centre only
  after it left the programme (a final stage).
- The erasure log: a file outside the database (``[privacy] erasure_log``), one line per
  erasure with numbers only. It is written before the erasure commits, and replayed after a
  restore (`replay`), so a backup does not bring the erased back. A simulation copy's
  erasures (its ticks run ahead of time) are not logged: they are no real erasures.
- Retention: what is older than ``[privacy]`` allows is removed once a day by the tick;
  `retention(apply=False)` tells what the next run would remove.
- Every export and erasure is recorded (who, when, whose number) in ``privacy_events``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from thekiz_flow.core import german
from thekiz_flow.core.errors import InvalidInput, NotFound, Refused
from thekiz_flow.core.labels import (
    KIND_NAMES,
    OUTBOX_STATUS_NAMES,
    RECIPIENT_NAMES,
    ROLE_NAMES,
    STATUS_NAMES,
    mail_kind_name,
)
from thekiz_flow.core.privacy_map import (
    ACTIONS,
    CORRECTION_SUBJECTS,
    DATA_MAP,
    SUBJECT_NAMES,
    TECHNICAL,
    Key,
    Subject,
    column_label,
    register,
)
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.privacy import Erased, Keys, PrivacyStore
from thekiz_flow.store.repository import Repository

RETENTION_MARK = "privacy_retention"  # the state row: when retention last ran
STAGE_COLUMNS = ("stage", "from_stage", "to_stage", "resume_stage")
ERASED_COACH = "gelöschte Prozessbegleitung {}"
ERASED_USER = "gelöschtes Benutzerkonto %d"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass(frozen=True)
class Export:
    subject: Subject
    number: int
    label: str  # German: "Prozessbegleitung 7"
    made_at: datetime
    tables: dict[str, list[dict[str, object]]]

    def as_json(self) -> dict[str, object]:
        return {
            "betroffene_person": {"art": SUBJECT_NAMES[self.subject], "nummer": self.number},
            "erstellt": self.made_at.isoformat(),
            "daten": {
                name: {"titel": DATA_MAP[name].title, "zeilen": rows}
                for name, rows in self.tables.items()
                if rows
            },
        }


@dataclass(frozen=True)
class Section:
    title: str
    headings: list[str]
    rows: list[list[str]]


LISTED = 20  # the centres whose numbers a report of retention names


@dataclass
class RetentionReport:
    mail_bodies: int = 0
    sign_ins: int = 0
    events: int = 0
    centres: list[int] = field(default_factory=list)  # a report of what would go: the first
    unlisted: int = 0  # the centres beyond them

    @property
    def total(self) -> int:
        return self.mail_bodies + self.sign_ins + self.events + self.centre_count

    @property
    def centre_count(self) -> int:
        return len(self.centres) + self.unlisted

    def lines(self) -> list[str]:
        """In German; the centres' numbers, the first `LISTED` of them."""
        numbers = ", ".join(map(str, self.centres[:LISTED]))
        if self.centre_count > LISTED:
            numbers += f" und {german.number(self.centre_count - LISTED)} weitere"
        return [
            f"Texte versandter E-Mails geleert: {german.number(self.mail_bodies)}",
            f"Anmeldungen und Fehlversuche gelöscht: {german.number(self.sign_ins)}",
            f"Einträge zu Auskünften und Löschungen gelöscht: {german.number(self.events)}",
            "Kontaktadressen ausgeschiedener Einrichtungen gelöscht: "
            + german.number(self.centre_count)
            + (f" (Nr. {numbers})" if self.centres else ""),
        ]

    def summary(self) -> str:
        return "; ".join(self.lines())


@dataclass(frozen=True)
class LogEntry:
    subject: Subject
    number: int


class PrivacyService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    @property
    def log_path(self) -> Path:
        return self.rt.privacy.erasure_log

    # ------------------------------------------------------------------ register
    def register_markdown(self) -> str:
        out = [
            "# Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)",
            "",
            "Verantwortlich: Landeskoordinations- und Fachstelle ThEKiZ. Verarbeitung: "
            "thekiz-flow (Stufen, Begleitung und Berichte der Thüringer Eltern-Kind-Zentren).",
            "",
            "Betroffene: Prozessbegleitungen, Ansprechpersonen der Einrichtungen, "
            "Benutzerinnen und Benutzer der Webseiten. Empfänger: die Fachstelle; das "
            "Ministerium erhält Jahresberichte mit Zahlen, ohne Namen von Personen.",
            "",
        ]
        for line in register(self.rt.privacy.values()):
            out += [f"## {line.title}", "", line.purpose, ""]
            out += ["| Angabe | Betroffene | Zweck | Aufbewahrung |", "| --- | --- | --- | --- |"]
            for label, whose, purpose, retention in line.columns:
                out.append(f"| {label} | {whose} | {purpose} | {retention} |")
            out.append("")
        return "\n".join(out)

    def register_html(self) -> str:
        body = [
            "<h1>Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)</h1>",
            "<p>Verantwortlich: Landeskoordinations- und Fachstelle ThEKiZ. Verarbeitung: "
            "thekiz-flow.</p>",
        ]
        for line in register(self.rt.privacy.values()):
            body.append(f"<h2>{escape(line.title)}</h2><p>{escape(line.purpose)}</p>")
            headings = ["Angabe", "Betroffene", "Zweck", "Aufbewahrung"]
            body.append(_html_table(headings, line.columns))
        return _page("Verzeichnis von Verarbeitungstätigkeiten", "\n".join(body))

    # ------------------------------------------------------------------ finding
    def subject_of(
        self, coach: int | None = None, centre: int | None = None, user: str | None = None
    ) -> tuple[Subject, int]:
        """Which person the options name (exactly one of them)."""
        given = [(s, v) for s, v in ((Subject.COACH, coach), (Subject.CENTRE, centre)) if v]
        if user:
            with self.rt.unit() as repo:
                number = repo.privacy.user_id(user.strip())
            if number is None:
                raise NotFound(f"kein Benutzerkonto {user.strip()!r}", "user")
            given.append((Subject.USER, number))
        if len(given) != 1:
            raise InvalidInput(None, "genau eine Person angeben: --coach, --centre oder --user")
        subject, number = given[0]
        assert number is not None
        return subject, int(number)

    def _keys(self, store: PrivacyStore, subject: Subject, number: int) -> Keys:
        if subject is Subject.COACH:
            keys = store.coach_keys(number)
        elif subject is Subject.CENTRE:
            keys = store.centre_keys(number)
        else:
            keys = store.user_keys(number)
        if keys is None:
            raise NotFound(f"keine {SUBJECT_NAMES[subject]} mit der Nummer {number}", subject.value)
        return keys

    def describe(self, subject: Subject, number: int) -> str:
        """ "Prozessbegleitung 7 (Lena Sommer)": the person as the office knows them now."""
        with self.rt.unit() as repo:
            keys = self._keys(repo.privacy, subject, number)
            if subject is Subject.COACH:
                coach = repo.coach(number)
                known = coach.name if coach is not None else ""
            elif subject is Subject.CENTRE:
                centre = repo.centre(number)
                known = centre.name if centre is not None else ""
            else:
                known = str(keys[Key.EMAIL][0])
        return f"{SUBJECT_NAMES[subject]} {number}" + (f" ({known})" if known else "")

    # ------------------------------------------------------------------ export
    def export(self, subject: Subject, number: int) -> Export:
        """Everything stored about the person; the export itself is recorded."""
        now = self.rt.clock.now()
        with self.rt.unit() as repo:
            store = repo.privacy
            tables = store.export(subject, self._keys(store, subject, number))
            store.record(now, self.rt.actor, "export", subject.value, number)
        label = f"{SUBJECT_NAMES[subject]} {number}"
        return Export(subject, number, label, now, tables)

    def export_sections(self, export: Export) -> list[Section]:
        """The export as a reader reads it: per table its German title, headings, rows."""
        sections = []
        for name, rows in export.tables.items():
            if rows:
                shown = [c for c in rows[0] if c not in TECHNICAL]
                headings = [column_label(name, c) for c in shown]
                cells = [[self._readable(name, c, row[c]) for c in shown] for row in rows]
                sections.append(Section(DATA_MAP[name].title, headings, cells))
        return sections

    def export_html(self, export: Export) -> str:
        body = [
            f"<h1>Auskunft über gespeicherte Daten: {escape(export.label)}</h1>",
            f"<p>{escape(self.export_intro(export))}</p>",
        ]
        for section in self.export_sections(export):
            body.append(f"<h2>{escape(section.title)}</h2>")
            body.append(_html_table(section.headings, section.rows))
        if not any(export.tables.values()):
            body.append("<p>Keine Daten gespeichert.</p>")
        return _page(f"Auskunft {export.label}", "\n".join(body))

    def export_intro(self, export: Export) -> str:
        return (
            "Alle Angaben, die thekiz-flow über diese Person speichert (Art. 15 DSGVO), Stand "
            f"{german.date_time(export.made_at, self.rt.zone)}."
        )

    def _readable(self, table: str, column: str, value: object) -> str:
        """A value of the export as a German reader reads it (names, not ids)."""
        if value is None or value == "":
            return "–"
        if isinstance(value, bool):
            return "ja" if value else "nein"
        text = str(value)
        stages = self.rt.workflow.stages
        named = {
            "trigger": lambda: self.rt.workflow.step_name(text),
            "rule": lambda: mail_kind_name(self.rt.workflow, text),
            "action": lambda: ACTIONS.get(text, text),
            "subject": lambda: _member_name(CORRECTION_SUBJECTS, text),
            "kind": lambda: _member_name(KIND_NAMES, text),
            "role": lambda: _member_name({**ROLE_NAMES, **RECIPIENT_NAMES}, text),
            "status": lambda: _member_name({**STATUS_NAMES, **OUTBOX_STATUS_NAMES}, text),
        }
        if column in STAGE_COLUMNS and text in stages:
            return stages[text].name
        if column in named and (table, column) != ("outbox", "subject"):
            return named[column]()
        if column in ("rate", "hours"):
            return german.number(Decimal(text))
        if isinstance(value, str) and DATE.match(value):
            return german.short_date(date.fromisoformat(value))
        if isinstance(value, str) and MOMENT.match(value):
            return german.date_time(datetime.fromisoformat(value), self.rt.zone)
        return text

    # ------------------------------------------------------------------ erasure
    def erase_check(self, subject: Subject, number: int) -> list[str]:
        """What an erasure of the person will do, in German sentences (for a confirmation);
        refused as it would be."""
        with self.rt.unit() as repo:
            store = repo.privacy
            self._keys(store, subject, number)
            self._refuse(store, subject, number)
        if subject is Subject.COACH:
            return [
                f"Name und E-Mail-Adresse werden ersetzt durch „{ERASED_COACH.format(number)}“.",
                "Benutzerkonto, Anmeldungen und Kalenderlink werden gelöscht.",
                "Die Texte der E-Mails an diese Person werden gelöscht (Datum und Betreff "
                "bleiben).",
                "Stunden, Honorare, Termine und Stufen bleiben für Abrechnung und Berichte.",
            ]
        if subject is Subject.CENTRE:
            return [
                "Die Kontaktadresse der Einrichtung wird gelöscht.",
                "Die Texte der E-Mails an diese Adresse werden gelöscht (Datum und Betreff "
                "bleiben).",
                "Name, Termine und Stufen der Einrichtung bleiben für die Berichte.",
            ]
        return [
            "Das Benutzerkonto wird gelöscht, mit Anmeldungen und Anmeldeversuchen.",
            f"Was es erfasst hat, steht danach unter „{ERASED_USER % number}“.",
        ]

    def _refuse(self, store: PrivacyStore, subject: Subject, number: int) -> None:
        if subject is Subject.COACH:
            held = store.coach_centres(number)
            more = f" und {len(held) - 3} weitere" if len(held) > 3 else ""
            if held:
                raise Refused(
                    f"Prozessbegleitung {number} begleitet noch {len(held)} "
                    f"{'Einrichtung' if len(held) == 1 else 'Einrichtungen'} "
                    f"({', '.join(held[:3])}{more}); erst einer anderen Prozessbegleitung "
                    "zuordnen"
                )
        if subject is Subject.CENTRE:
            stage = store.centre_stage(number)
            if stage is not None and not self.rt.workflow.stages[stage].final:
                raise Refused(
                    f"Einrichtung {number} ist noch im Programm; ihre Kontaktadresse kann "
                    "erst nach dem Ausscheiden gelöscht werden (sonst ändern: centre edit)"
                )

    def erase(self, subject: Subject, number: int) -> Erased:
        """Erase the person; logged before it commits, and recorded."""
        now = self.rt.clock.now()
        with self.rt.unit() as repo:
            store = repo.privacy
            self._keys(store, subject, number)
            self._refuse(store, subject, number)
            done = self._apply(store, subject, number)
            store.record(now, self.rt.actor, "erase", subject.value, number)
            if not repo.simulation.marked():  # a simulation copy's erasures stay in it
                self._append_log([LogEntry(subject, number)], now)
        return done

    @staticmethod
    def _apply(store: PrivacyStore, subject: Subject, number: int) -> Erased:
        if subject is Subject.COACH:
            return store.erase_coach(number, ERASED_COACH.format(number), ERASED_USER)
        if subject is Subject.CENTRE:
            return store.erase_centre(number)
        return store.erase_user(number, ERASED_USER % number)

    def _append_log(self, entries: list[LogEntry], at: datetime) -> None:
        path = self.log_path
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            for entry in entries:
                line = {"at": at.isoformat(), "subject": entry.subject.value, "id": entry.number}
                log.write(json.dumps(line) + "\n")
            log.flush()
            os.fsync(log.fileno())

    def logged(self) -> list[LogEntry]:
        """The erasure log, in order; a line that cannot be read is an error naming it."""
        if not self.log_path.is_file():
            return []
        entries = []
        for number, line in enumerate(self.log_path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                loaded = json.loads(line)
                entries.append(LogEntry(Subject(loaded["subject"]), int(loaded["id"])))
            except (ValueError, KeyError, TypeError):
                raise InvalidInput(
                    None, f"{self.log_path}, Zeile {number}: kein Eintrag des Löschprotokolls"
                ) from None
        return entries

    def replay(self) -> tuple[int, Erased]:
        """Every erasure of the log applied again (after a restore); no refusals: the log
        says it was allowed. How many entries, and what changed (nothing if none came back)."""
        entries = self.logged()
        done = Erased()
        with self.rt.unit() as repo:
            store = repo.privacy
            for entry in entries:
                done.merge(self._apply(store, entry.subject, entry.number))
        return len(entries), done

    # ------------------------------------------------------------------ retention
    def retention(self, apply: bool) -> RetentionReport:
        """Remove what is older than ``[privacy]`` allows (``apply``), or only tell what
        would be removed."""
        now = self.rt.clock.now()
        if not apply:  # counted, nothing written: no more than a page may cost
            with self.rt.unit() as repo:
                return self._retain(repo, now, apply=False)
        with self.rt.unit() as repo:
            report = self._retain(repo, now)
            repo.health.set_mark(RETENTION_MARK, now)
            if report.centres and not repo.simulation.marked():  # a copy's: not the log's
                self._append_log([LogEntry(Subject.CENTRE, n) for n in report.centres], now)
        return report

    def _retain(self, repo: Repository, now: datetime, apply: bool = True) -> RetentionReport:
        """Remove what is older than allowed, or (not ``apply``) count what would be."""
        settings = self.rt.privacy
        store = repo.privacy
        report = RetentionReport()
        report.mail_bodies = store.clear_mail_bodies(
            _months_before(now, settings.mail_bodies_months), apply
        )
        report.sign_ins = store.purge_sign_ins(now - timedelta(days=settings.sign_ins_days), apply)
        report.events = store.purge_events(now - timedelta(days=settings.audit_days), apply)
        final = [sid for sid, stage in self.rt.workflow.stages.items() if stage.final]
        today = now.astimezone(self.rt.zone).date()
        left_before = _years_before(today, settings.withdrawn_centre_years)
        if not apply:  # the first few and how many: what a page shows
            report.centres = store.withdrawn_centres(final, left_before, LISTED)
            if len(report.centres) == LISTED:
                count = store.withdrawn_count(final, left_before)
                report.unlisted = max(count - LISTED, 0)  # some erased meanwhile: none more
            return report
        for number in store.withdrawn_centres(final, left_before):
            store.erase_centre(number)
            store.record(now, self.rt.actor, "erase", Subject.CENTRE.value, number)
            report.centres.append(number)
        return report

    def daily(self, now: datetime) -> RetentionReport | None:
        """Retention, if it has not run yet on the local day of ``now`` (for the tick)."""
        with self.rt.unit() as repo:
            last = repo.health.mark(RETENTION_MARK)
        if (
            last is not None
            and last.astimezone(self.rt.zone).date() >= now.astimezone(self.rt.zone).date()
        ):
            return None
        return self.retention(apply=True)


def _member_name(names: Mapping[Any, str], text: str) -> str:
    """The German name of the enum member whose value is ``text`` (else ``text``)."""
    for member, name in names.items():
        if str(member) == text:
            return name
    return text


def _months_before(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, _days_in(year, month + 1))
    return moment.replace(year=year, month=month + 1, day=day)


def _days_in(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _html_table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:70rem;margin:1rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;margin-bottom:1.5rem}"
        "th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}"
        "</style></head>\n<body>\n" + body + "\n</body></html>\n"
    )
