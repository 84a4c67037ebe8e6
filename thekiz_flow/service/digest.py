"""The yearly status digest for the ministry and the office's monthly overview."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from thekiz_flow.core import german, mailcontext
from thekiz_flow.core.corrections import Correction, Subject, as_before
from thekiz_flow.core.enums import OutboxStatus, Recipient
from thekiz_flow.core.errors import InvalidInput, NotFound, Refused
from thekiz_flow.core.labels import KIND_NAMES
from thekiz_flow.core.outbox import NewMail, OutboxRow
from thekiz_flow.core.recipients import NO_MINISTRY
from thekiz_flow.core.tallies import CentreRow, shortest_gap
from thekiz_flow.digest.aggregate import YearInput, build_digest, build_digest_in_parts
from thekiz_flow.digest.files import DigestFiles, digest_paths, write_digest
from thekiz_flow.digest.model import CentreYear, Digest
from thekiz_flow.service.collecting import fewer_collections
from thekiz_flow.service.overview import OverviewService
from thekiz_flow.service.runtime import Runtime
from thekiz_flow.store.digest_queries import ByCentre
from thekiz_flow.store.repository import Repository

DIGEST_RULE, OVERVIEW_RULE = "digest", "overview"
SEND_WINDOW = timedelta(days=30)  # a digest not sent by then waits for the office
OVERVIEW_WINDOW = timedelta(days=7)
PART = 2000  # centres whose year is read at a time


class DigestService:
    def __init__(self, rt: Runtime, overview: OverviewService) -> None:
        self.rt = rt
        self.overview = overview

    def checked_year(self, year: int) -> int:
        """``year``, if it has a digest: refused below 2000 and after this one."""
        if not 2000 <= year <= self.rt.today().year:
            raise InvalidInput(
                "year", f"{year} liegt nicht zwischen 2000 und {self.rt.today().year}"
            )
        return year

    def _parts(
        self, year: int, before: datetime | None = None, only: Sequence[int] | None = None
    ) -> Iterator[YearInput]:
        """The year's data a part of the centres at a time (inside one transaction): the
        activities counted and paired in one scan, the stage changes and site visits read in
        one query each, ordered by centre. Given ``before``: as it was recorded before that
        moment; given ``only``: of these centres alone (at most `PART`)."""
        first, last = date(year, 1, 1), date(year, 12, 31)
        with self.rt.unit() as repo:
            if only is not None:
                queries = repo.digest_of(only)
            elif before is None:
                queries = repo.digest
            else:
                queries = repo.digest_as_recorded(before)
            centres = queries.members()
            if before is not None:
                centres = self._names_then(repo, centres, before)
            trainings = queries.training_kinds()
            histories = ByCentre(queries.histories(last))
            counted = ByCentre(queries.counted(first, last, shortest_gap(self.rt.workflow)))
            visits = ByCentre(queries.visits(last))
            for start in range(0, max(len(centres), 1), PART):
                part = centres[start : start + PART]
                upto = part[-1].id if part else 0
                year_of = counted.upto(upto)
                yield YearInput(
                    year,
                    part,
                    histories.upto(upto),
                    {i: tallies for i, (tallies, _) in year_of.items()},
                    {i: pairs for i, (_, pairs) in year_of.items() if pairs},
                    visits.upto(upto),
                    trainings,
                )

    @staticmethod
    def _names_then(
        repo: Repository, centres: list[CentreRow], before: datetime
    ) -> list[CentreRow]:
        """The centres' names and districts as they were before ``before`` (edited since:
        their audit entries keep what they were)."""
        edits: dict[int, list[Correction]] = {}
        for entry in repo.corrections.since(Subject.CENTRE, before):
            edits.setdefault(entry.subject_id, []).append(entry)
        if not edits:
            return centres
        result = []
        for row in centres:
            later = edits.get(row.id)
            if later:
                then = as_before({"name": row.name, "district": row.district}, later)
                row = row._replace(name=str(then["name"]), district=str(then["district"]))
            result.append(row)
        return result

    def recorded_before(self, day: date | None) -> datetime | None:
        """The moment that ends ``day`` (the start of the next day, in the zone): what was
        recorded before it is what was recorded on that day; None for None."""
        if day is None:
            return None
        if day > self.rt.today():
            raise InvalidInput("as_recorded_on", f"{german.short_date(day)} liegt in der Zukunft")
        return datetime.combine(day + timedelta(days=1), time(), self.rt.zone)

    def build(self, year: int, as_recorded_on: date | None = None) -> Digest:
        """The digest of a year (as recorded at the end of ``as_recorded_on``; default: as
        recorded now), built a part of the centres at a time."""
        before = self.recorded_before(as_recorded_on)
        return self._built(self.checked_year(year), before)

    def build_as_of(self, year: int, moment: datetime) -> Digest:
        """The digest of a year as recorded before ``moment`` (e.g. as it was sent)."""
        return self._built(self.checked_year(year), moment)

    def centre_years(self, year: int, centre_ids: Sequence[int] | None) -> list[CentreYear]:
        """The rows of these centres (None: of every centre) in the digest of ``year`` as
        recorded now, each as the whole digest has it: of the centres the programme knew by
        the year's end."""
        self.checked_year(year)
        if centre_ids is None:
            parts = self._parts(year)
        else:
            ids = sorted(centre_ids)
            chunked = (ids[i : i + PART] for i in range(0, len(ids), PART))
            parts = (data for only in chunked for data in self._parts(year, only=only))
        with fewer_collections():
            return [row for data in parts for row in build_digest(self.rt.workflow, data).centres]

    def _built(self, year: int, before: datetime | None) -> Digest:
        with fewer_collections():  # it reads and keeps its rows a part at a time
            return build_digest_in_parts(self.rt.workflow, self._parts(year, before))

    def write(
        self, year: int, folder: Path | None = None, as_recorded_on: date | None = None
    ) -> DigestFiles:
        """digest-YEAR.html, .pdf, .csv and .xlsx in ``folder`` (default: [digest] dir)."""
        return write_digest(
            self.build(year, as_recorded_on),
            folder or self.rt.digest.dir,
            self.rt.workflow.templates_dir,
        )

    def years(self) -> list[int]:
        """The years with history: from the first a centre was known to this (provisional) one."""
        with self.rt.unit() as repo:
            first = repo.first_registered()
        this = self.rt.today().year
        return list(range(this if first is None else min(first.year, this), this + 1))

    def files(self, year: int) -> DigestFiles:
        """A year's files in [digest] dir: as they are if written after the year ended,
        else (the current year always) written now."""
        if year not in self.years():
            raise NotFound(f"Für {year} gibt es keinen Jahresbericht.")
        files = digest_paths(self.rt.digest.dir, year)
        ended = datetime(year + 1, 1, 1, tzinfo=self.rt.zone).timestamp()
        if all(p.is_file() and p.stat().st_mtime >= ended for p in files.all()):
            return files
        return self.write(year)

    def require_year_over(self, year: int) -> None:
        """Only a year that is over goes to the ministry: its digest is sent once, for good."""
        if year >= self.rt.today().year:
            raise Refused(
                f"Der Jahresbericht {year} geht erst nach dem Ende des Jahres an das Ministerium"
            )

    def sent(self, year: int) -> bool:
        """Whether the digest of ``year`` is in the outbox already (it goes once)."""
        return self._known(f"{DIGEST_RULE}:{year}")

    def send(self, year: int, files: DigestFiles) -> bool:
        """The digest to the ministry through the outbox, once per year; True if new."""
        self.require_year_over(year)
        now = self.rt.clock.now()
        context = {"year": year, "today": self.rt.today()}
        rendered = self.rt.renderer.render(DIGEST_RULE, context, Recipient.MINISTRY.value)
        recipient = self.rt.mail.ministry or ""
        mail = NewMail(
            f"{DIGEST_RULE}:{year}",
            DIGEST_RULE,
            Recipient.MINISTRY,
            recipient,
            rendered.subject,
            rendered.text,
            rendered.html,
            self.rt.send_time(now),
            attachments=tuple(str(path) for path in (files.pdf, files.html, files.csv, files.xlsx)),
            template=DIGEST_RULE,
            context=mailcontext.encode(context),
        )
        if not recipient:
            mail = replace(mail, status=OutboxStatus.FAILED, problem=NO_MINISTRY)
        with self.rt.unit() as repo:
            new = repo.outbox.add([mail], now) == 1
            if new:  # the digest sent is the digest as recorded now
                repo.digest_sends.add(year, now, self.rt.actor)
            return new

    def sent_note(self, year: int, new: bool, sent: int) -> str:
        """What the office reads after `send` and a dispatch that sent ``sent`` mails: that
        the digest of ``year`` went into the outbox (or was there already), and, while it
        waits there for a working day (a weekend, a holiday, a closure day) or for a next
        attempt, when it goes out."""
        state = "in den Postausgang gestellt" if new else "war schon im Postausgang"
        row = self.unsent_mails().get(year)
        now = self.rt.clock.now()
        if row is None or (row.status == OutboxStatus.PENDING and row.next_attempt_at <= now):
            return f"Jahresbericht {year} {state}; {sent} E-Mails versandt."
        others = f" {sent} andere E-Mails versandt." if sent else ""
        return f"Jahresbericht {year} {state}; {self.mail_state(row, now)}.{others}"

    def unsent_mails(self) -> dict[int, OutboxRow]:
        """The digests in the outbox not sent (waiting, being sent or failed), by year."""
        with self.rt.unit() as repo:
            rows = repo.outbox.unsent_of_rules([DIGEST_RULE])
        years = {r.key.removeprefix(f"{DIGEST_RULE}:"): r for r in rows}
        return {int(year): row for year, row in years.items() if year.isdigit()}

    def mail_state(self, row: OutboxRow, now: datetime) -> str:
        """What became of an unsent digest's mail, in German: when it goes out, or why not."""
        when = german.date_time(row.next_attempt_at, self.rt.zone)
        error = row.last_error or "ohne Angabe"
        if row.status == OutboxStatus.FAILED:
            return f"der Versand ist endgültig fehlgeschlagen ({error})"
        if row.status == OutboxStatus.SENDING:
            return "er wird gerade versandt"
        if row.attempts or row.last_error:  # tried and refused: tried again later
            return f"der Versand ist fehlgeschlagen ({error}), nächster Versuch am {when}"
        if row.next_attempt_at > now:
            return f"er geht am {when} an das Ministerium (nächster Arbeitstag)"
        return "er geht mit dem nächsten Versand an das Ministerium"

    def periodic(self, now: datetime) -> int:
        """The yearly digest and the monthly overview when their day has come; how many new."""
        today = now.astimezone(self.rt.zone).date()
        new = 0
        year = today.year - 1
        send_day = self.send_day(year)
        if send_day <= today < send_day + SEND_WINDOW and not self._known(f"{DIGEST_RULE}:{year}"):
            new += self.send(year, self.write(year))
        first = self.rt.calendar.next_working_day(today.replace(day=1))
        key = f"{OVERVIEW_RULE}:{today:%Y-%m}"
        if first <= today < first + OVERVIEW_WINDOW and not self._known(key):
            due = datetime.combine(first, self.rt.workflow.send_at, self.rt.zone)
            new += self._overview(key, today, due)
        return new

    def send_day(self, year: int) -> date:
        """The first day the digest of ``year`` may go out: [digest] send_on of the year
        after; never before (the tick acts for no time beyond the real clock)."""
        month, day = self.rt.digest.send_on
        return date(year + 1, month, day)

    def _known(self, key: str) -> bool:
        with self.rt.unit() as repo:
            return bool(repo.outbox.existing({key}))

    def _overview(self, key: str, today: date, due: datetime) -> int:
        if not self.rt.mail.office:
            return 0
        context = self.overview_context(today)
        rendered = self.rt.renderer.render(OVERVIEW_RULE, context, Recipient.OFFICE.value)
        mail = NewMail(
            key,
            OVERVIEW_RULE,
            Recipient.OFFICE,
            self.rt.mail.office,
            rendered.subject,
            rendered.text,
            rendered.html,
            self.rt.send_time(due),
            template=OVERVIEW_RULE,
            context=mailcontext.encode(context),
        )
        with self.rt.unit() as repo:
            return repo.outbox.add([mail], self.rt.clock.now())

    def overview_context(self, today: date) -> dict[str, object]:
        """The monthly overview's content: the office's worklist (`OverviewService.worklist`)."""
        work = self.overview.worklist(today)
        return {
            "month": today,
            "today": today,
            "upcoming": [
                {
                    "date": d.activity.date,
                    "kind": KIND_NAMES[d.activity.kind],
                    "centre": d.centre.title,
                    "centre_id": d.centre.id,
                }
                for d in work.upcoming.items
            ],
            "unrecorded": [
                {
                    "date": d.activity.date,
                    "centre": d.centre.title,
                    "centre_id": d.centre.id,
                    "coach": d.coach,
                }
                for d in work.unrecorded.items
            ],
            "eligible": [
                {"centre": e.centre.title, "centre_id": e.centre.id, "trigger": e.trigger}
                for e in work.eligible.items
            ],
            "budget": [
                {"centre": w.centre.title, "centre_id": w.centre.id, "percent": w.percent}
                for w in work.budget.items
            ],
            "failed": [
                {
                    "id": r.id,
                    "recipient": r.recipient,
                    "subject": r.subject,
                    "error": r.last_error or "",
                }
                for r in work.failed.items
            ],
        }
