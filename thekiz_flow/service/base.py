"""The service's common ground: the clock, the unit of work and the lookups every part needs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from thekiz_flow.core import german, validate
from thekiz_flow.core.clock import Clock, local_today
from thekiz_flow.core.enums import OutboxStatus, Recipient
from thekiz_flow.core.errors import Field, InvalidInput, NotFound
from thekiz_flow.core.history import episode_start, facts_as_of
from thekiz_flow.core.ids import id_in_range, unknown
from thekiz_flow.core.model import Centre, Coach, StageChange, Workflow
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.core.rules import Lifecycle
from thekiz_flow.mail.delivery import Backend
from thekiz_flow.mail.render import Renderer
from thekiz_flow.store.migrate import require_current
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.simulation import RealClock
from thekiz_flow.workflow.config import DigestSettings, MailSettings

HORIZON = timedelta(days=366 * 30)  # how far ahead a next step is looked for


class ServiceBase:
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
    ) -> None:
        """``clock`` is the time the service acts for (frozen for ``tick --now`` and
        simulations); ``wall`` the real time it may not act beyond (default: the system
        clock, checked against the database server's clock, see `RealClock`)."""
        self.engine = engine
        self.workflow = workflow
        self.lifecycle = Lifecycle(workflow)
        self.clock = clock
        self.wall = wall or RealClock(engine)
        self.zone = zone
        self.actor = actor
        self.mail = mail or MailSettings()
        self.delivery = backend  # None: the one [mail] backend names
        self._schema_checked = False
        self.digest_settings = digest or DigestSettings()

    @cached_property
    def renderer(self) -> Renderer:
        return Renderer(self.workflow.templates_dir)

    @contextmanager
    def unit(self) -> Iterator[Repository]:
        """One database transaction: it commits whole or not at all."""
        with self.engine.begin() as connection:
            if not self._schema_checked:
                require_current(connection)
                self._schema_checked = True
            yield Repository(connection, self.clock.now())

    def today(self) -> date:
        return local_today(self.clock, self.zone)

    def _on(self, on: date | None) -> date:
        today = self.today()
        if on is None:
            return today
        if on > today:
            raise InvalidInput("on", f"{german.short_date(on)} liegt in der Zukunft")
        return on

    def stage_id(self, value: str, field: Field = "stage") -> str:
        return validate.choice(field, value, list(self.workflow.stages), "unbekannte Stufe")

    def district(self, value: str, field: Field = "district") -> str:
        return validate.choice(field, value, self.workflow.districts, "unbekannter Kreis")

    def _centre(self, repo: Repository, centre_id: int) -> Centre:
        centre = repo.centre(centre_id)
        if centre is None:
            raise unknown("centre", centre_id)
        return centre

    def address(
        self, role: Recipient, centre: Centre, coach: Coach | None
    ) -> tuple[str, str | None]:
        """A role's address for a centre, or why there is none."""
        if role == Recipient.OFFICE:
            return (self.mail.office, None) if self.mail.office else ("", "[mail] office fehlt")
        if role == Recipient.CENTRE:
            return centre.email, None
        if coach is not None:
            return coach.email, None
        return "", "keine Prozessbegleitung zugeordnet"

    def compose(
        self,
        key: str,
        rule: str,
        template: str,
        role: Recipient,
        context: Mapping[str, object],
        due_at: datetime,
    ) -> NewMail:
        """A mail for one role of a centre, rendered; or kept as failed if it has no address."""
        centre = context["centre"]
        coach = context.get("coach")
        assert isinstance(centre, Centre)
        recipient, problem = self.address(role, centre, coach if isinstance(coach, Coach) else None)
        if problem is not None:  # visible in the outbox, never rendered with a gap
            return NewMail(
                key,
                rule,
                role,
                recipient,
                f"nicht zustellbar: {rule}",
                "",
                "",
                due_at,
                centre.id,
                OutboxStatus.FAILED,
                problem,
            )
        rendered = self.renderer.render(template, context)
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

    def _refresh(self, repo: Repository, centre_id: int) -> None:
        """Keep a centre's derived dates right after anything that may move them.

        ``next_step_on`` is the day from which the guards of the centre's next step hold,
        as far as its history tells today (time passing is taken into account, future
        events are not); never earlier than today, so an event that makes a centre
        eligible is noticed on the day it is recorded.
        """
        centre = self._centre(repo, centre_id)
        history = repo.history(centre.id)
        visits = repo.site_visits([centre.id]).get(centre.id, [])
        repo.set_derived(centre.id, *self.derived(centre, history, visits))

    def derived(
        self, centre: Centre, history: Sequence[StageChange], visits: Sequence[tuple[date, str]]
    ) -> tuple[date, date | None]:
        """(episode_start, next_step_on) of a centre from its history, as of today."""
        today = self.today()
        start = episode_start(facts_as_of(centre, history, visits, today), self.workflow)
        transition = self.workflow.forward_from(centre.stage)
        if transition is None:
            return start, None
        later = facts_as_of(centre, history, visits, today + HORIZON)
        since = self.lifecycle.eligible_since(transition.trigger, later, start)
        return start, None if since is None else max(since, today)

    def _coach(self, repo: Repository, ref: str, field: Field = "coach") -> Coach:
        text = ref.strip()
        if text.isascii() and text.isdigit():
            number = validate.identifier(field, text)
            found = repo.coach(number) if id_in_range(number) else None
        else:
            found = repo.coach_by_email(text)
        if found is None:
            raise NotFound(f"keine Prozessbegleitung {ref!r} (Nummer oder E-Mail)", field)
        return found
