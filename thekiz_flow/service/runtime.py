"""What every area of the service shares: the runtime (engine, clock, zone, workflow, actor),
the unit of work and the lookups every area needs.

An area (registry, lifecycle, outbox, ...) takes a `Runtime` and the other areas it uses
explicitly; `thekiz_flow.service.Service` holds them all.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from thekiz_flow.core import german, mailcontext, validate
from thekiz_flow.core.calendar import WorkCalendar
from thekiz_flow.core.clock import Clock, local_today
from thekiz_flow.core.derived import derived_dates
from thekiz_flow.core.enums import OutboxStatus, Recipient
from thekiz_flow.core.errors import Field, InvalidInput, NotFound, Refused, WorkflowError
from thekiz_flow.core.ids import id_in_range, unknown
from thekiz_flow.core.labels import mail_kind_name
from thekiz_flow.core.model import Centre, Coach, StageChange, Workflow
from thekiz_flow.core.outbox import NewMail, Recipe
from thekiz_flow.core.planning import plan_stamp
from thekiz_flow.core.recipients import address
from thekiz_flow.core.rules import Lifecycle
from thekiz_flow.mail.delivery import Backend
from thekiz_flow.mail.render import Renderer
from thekiz_flow.store.migrate import require_current
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.simulation import RealClock
from thekiz_flow.workflow.config import DigestSettings, MailSettings, PrivacySettings

_log = logging.getLogger("thekiz_flow.mail")


class Shared:
    """What is built once from the workflow and shared by every runtime acting for it."""

    def __init__(
        self, workflow: Workflow, base_url: str | None = None, overrides: Path | None = None
    ) -> None:
        self.schema_checked = False
        self.workflow = workflow
        self.base_url = base_url  # the web pages the mails link to
        self.overrides = overrides  # [mail] templates_dir: the office's own wording

    @cached_property
    def renderer(self) -> Renderer:
        return Renderer(
            self.workflow.templates_dir, self.workflow.step_name, self.base_url, self.overrides
        )

    @cached_property
    def calendar(self) -> WorkCalendar:
        return WorkCalendar.of(self.workflow)

    @cached_property
    def stamp(self) -> str:
        return plan_stamp(self.workflow)


class Runtime:
    """The engine, the clocks, the zone, the workflow and the actor one service acts with."""

    def __init__(
        self,
        engine: Engine,
        workflow: Workflow,
        clock: Clock,
        zone: ZoneInfo,
        actor: str,
        mail: MailSettings | None = None,
        backend: Backend | None = None,
        digest: DigestSettings | None = None,
        wall: Clock | None = None,
        privacy: PrivacySettings | None = None,
    ) -> None:
        """``clock`` is the time the service acts for (frozen for ``tick --now`` and
        simulations); ``wall`` the real time it may not act beyond (default: the system
        clock, checked against the database server's clock, see `RealClock`)."""
        self.engine = engine
        self.workflow = workflow
        self.rules = Lifecycle(workflow)
        self.clock = clock
        self.wall = wall or RealClock(engine)
        self.zone = zone
        self.actor = actor
        self.mail = mail or MailSettings()
        self.delivery = backend  # None: the one [mail] backend names
        self.digest = digest or DigestSettings()
        self.privacy = privacy or PrivacySettings()
        self.shared = Shared(workflow, self.mail.base_url, self.mail.templates_dir)

    def acting_as(self, actor: str) -> Runtime:
        """This runtime for another person (the audit trail's actor), e.g. per web request;
        what is built from the workflow is shared, so it costs next to nothing."""
        clone = copy.copy(self)
        clone.actor = actor
        return clone

    @property
    def renderer(self) -> Renderer:
        return self.shared.renderer

    @property
    def calendar(self) -> WorkCalendar:
        return self.shared.calendar

    @property
    def stamp(self) -> str:
        """The plan stamp of the workflow: a centre planned under other rules is re-planned."""
        return self.shared.stamp

    @contextmanager
    def unit(self) -> Iterator[Repository]:
        """One database transaction: it commits whole or not at all."""
        with self.engine.begin() as connection:
            if not self.shared.schema_checked:
                require_current(connection)
                self.shared.schema_checked = True
            yield Repository(connection, self.clock.now())

    @contextmanager
    def trial(self) -> Iterator[Repository]:
        """A transaction that is always rolled back: to see what a change would do."""
        with self.engine.connect() as connection:
            transaction = connection.begin()  # before the check, which would begin one itself
            if not self.shared.schema_checked:
                require_current(connection)
                self.shared.schema_checked = True
            try:
                yield Repository(connection, self.clock.now())
            finally:
                transaction.rollback()

    def today(self) -> date:
        return local_today(self.clock, self.zone)

    def on(self, on: date | None) -> date:
        today = self.today()
        if on is None:
            return today
        if on > today:
            raise InvalidInput("on", f"{german.short_date(on)} liegt in der Zukunft")
        return on

    def stage_id(self, value: str, field: Field = "stage") -> str:
        """The stage ``value`` names: by its id or its German name (``Basisbegleitung``)."""
        stages = self.workflow.stages
        wanted = " ".join(value.split()).casefold()
        by_name = {s.name.casefold(): s.id for s in stages.values()}
        if wanted in by_name and wanted not in {s.casefold() for s in stages}:
            return by_name[wanted]
        return validate.choice(field, value, list(stages), "unbekannte Stufe")

    def district(self, value: str, field: Field = "district") -> str:
        return validate.choice(field, value, self.workflow.districts, "unbekannter Kreis")

    def centre(self, repo: Repository, centre_id: int) -> Centre:
        centre = repo.centre(centre_id)
        if centre is None:
            raise unknown("centre", centre_id)
        return centre

    def compose(
        self,
        key: str,
        rule: str,
        template: str,
        role: Recipient,
        context: Mapping[str, object],
        due_at: datetime,
        any_day: bool = False,
    ) -> NewMail:
        """A mail for one role of a centre, rendered; or kept as failed if it has no address
        or its template does not render (an override of the office's edited by hand: the
        failure is logged and shown in the outbox, the other mails go out).

        It is due at ``due_at`` if that is a working day, else on the next working day at
        the same local time (`send_time`), unless ``any_day``. It keeps its template and
        context, so a retry renders it anew (`render_again`)."""
        centre = context["centre"]
        assert isinstance(centre, Centre)
        due = self.send_time(due_at, any_day)
        mail = self._render(key, rule, template, role, context, centre, due)
        try:
            kept = mailcontext.encode(context)
        except TypeError:  # pragma: no cover - every context of the package can be kept
            return mail
        return replace(mail, template=template, context=kept)

    def _render(
        self,
        key: str,
        rule: str,
        template: str,
        role: Recipient,
        context: Mapping[str, object],
        centre: Centre,
        due_at: datetime,
        strict: bool = False,
    ) -> NewMail:
        """The mail, or kept as failed (no address; a template that does not render, unless
        ``strict``: then its WorkflowError is raised)."""
        coach = context.get("coach")
        recipient, problem = address(
            role, centre, coach if isinstance(coach, Coach) else None, self.mail.office
        )
        if problem is None:
            try:
                rendered = self.renderer.render(template, context, role.value)
            except WorkflowError as error:
                if strict:
                    raise
                problem = f"{error} – bitte die Mailvorlage korrigieren"
                _log.error("Mail %s nicht erstellt: %s", key, error)
        if problem is not None:  # visible in the outbox, never rendered with a gap
            return NewMail(
                key,
                rule,
                role,
                recipient,
                f"nicht zustellbar: {mail_kind_name(self.workflow, rule)}",
                "",
                "",
                due_at,
                centre.id,
                OutboxStatus.FAILED,
                problem,
            )
        return NewMail(
            key,
            rule,
            role,
            recipient,
            rendered.subject,
            rendered.text,
            rendered.html,
            due_at,
            centre.id,
        )

    def send_time(self, due_at: datetime, any_day: bool = False) -> datetime:
        """When a mail due at ``due_at`` goes out: then, on a working day (local date,
        `WorkCalendar`: weekends, holidays, closure days) or if its rule lets it go on
        ``any_day`` (the office's own alerts); else on the next working day at the same
        local time."""
        if any_day:
            return due_at
        local = due_at.astimezone(self.zone)
        day = self.calendar.next_working_day(local.date())
        if day == local.date():
            return due_at
        return datetime.combine(day, local.time(), self.zone)

    def render_again(
        self, repo: Repository, key: str, recipe: Recipe, classes: Mapping[str, type]
    ) -> NewMail:
        """A stored mail rendered anew from its template and context, for its recipient as
        they are now (the centre's and coach's current name and address, the office's
        configured address). :class:`Refused` (German, to follow "Nachricht N") if it can
        no longer be rendered: the centre, the coach or the template is gone, or there is
        no address."""
        resolver = mailcontext.Resolver(repo.centre, repo.coach, self.workflow.stages.get, classes)
        try:
            context = mailcontext.decode(recipe.context, resolver)
        except mailcontext.Gone as error:
            raise Refused(f"lässt sich nicht neu erstellen: {error}") from error
        centre = context.get("centre")
        now = self.clock.now()
        try:
            if isinstance(centre, Centre):
                mail = self._render(
                    key, recipe.rule, recipe.template, recipe.role, context, centre, now, True
                )
            else:
                mail = self._render_for(key, recipe, context, now)
        except WorkflowError as error:
            raise Refused(f"lässt sich nicht neu erstellen: {error}") from error
        if mail.problem is not None or not mail.recipient:
            raise Refused(f"hat keinen Empfänger ({mail.problem or 'keine Adresse'})")
        return mail

    def _render_for(
        self, key: str, recipe: Recipe, context: Mapping[str, object], now: datetime
    ) -> NewMail:
        """A mail about no centre (to the office or the ministry), rendered anew."""
        recipient = {
            Recipient.OFFICE: self.mail.office,
            Recipient.MINISTRY: self.mail.ministry,
        }.get(recipe.role)
        rendered = self.renderer.render(recipe.template, context, recipe.role.value)
        return NewMail(
            key,
            recipe.rule,
            recipe.role,
            recipient or "",
            rendered.subject,
            rendered.text,
            rendered.html,
            now,
        )

    def refresh(self, repo: Repository, centre_id: int) -> None:
        """Keep a centre's derived dates right after anything that may move them.

        ``next_step_on`` is the day from which the guards of the centre's next step hold,
        as far as its history tells today (time passing is taken into account, future
        events are not); never earlier than today, so an event that makes a centre
        eligible is noticed on the day it is recorded.
        """
        centre = self.centre(repo, centre_id)
        history = repo.history(centre.id)
        visits = repo.site_visits([centre.id]).get(centre.id, [])
        repo.set_derived(centre.id, *self.derived(centre, history, visits))

    def derived(
        self, centre: Centre, history: Sequence[StageChange], visits: Sequence[tuple[date, str]]
    ) -> tuple[date, date | None]:
        """(episode_start, next_step_on) of a centre from its history, as of today
        (`core.derived.derived_dates`)."""
        return derived_dates(self.rules, centre, history, visits, self.today())

    def coach(
        self, repo: Repository, ref: str, field: Field = "coach", lock: bool = False
    ) -> Coach:
        """The coach ``ref`` names: their number, e-mail address or name (where only one coach
        has it; ignoring case and spaces); ``lock``: their row locked."""
        text = ref.strip()
        if text.isascii() and text.isdigit():
            number = validate.identifier(field, text)
            found = repo.coach(number, lock) if id_in_range(number) else None
        elif "@" in text:
            found = repo.coach_by_email(text, lock)
        else:
            wanted = " ".join(text.split()).casefold()
            named = [c for c in repo.coaches() if " ".join(c.name.split()).casefold() == wanted]
            if len(named) > 1:
                listed = ", ".join(f"Nr. {c.id} {c.email}" for c in named)
                raise InvalidInput(
                    field,
                    f"mehrdeutig: {len(named)} Prozessbegleitungen heißen {text!r} ({listed}); "
                    "bitte Nummer oder E-Mail angeben",
                )
            found = repo.coach(named[0].id, lock) if named else None
        if found is None:
            raise NotFound(f"keine Prozessbegleitung {ref!r} (Nummer, E-Mail oder Name)", field)
        return found
