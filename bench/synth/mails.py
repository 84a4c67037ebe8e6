"""The outbox of the history: what the ticks and the stage changes sent before the bench's day.

Which occurrences were due is the core's verdict (``Window.judge`` through ``due_for``, the
workflow's reminder rules with their offsets and recipients, ``key_of``); the mails are the
service's own (its notices of a stage change, its composition of a reminder: addresses,
subjects and bodies rendered from the real templates; the texts of those settled more than
a year before emptied, as the ticks' daily retention leaves them). The ticks are taken to
have run without a gap: an occurrence is judged by the first tick that saw its event, at the
occurrence or, for an event written later, right after it was written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from bench.common import BERLIN, HISTORY_START, NOW, TICK_BEFORE, TODAY
from bench.synth.calendar import CachedCalendar, at
from bench.synth.keeper import Keeper
from bench.synth.records import Act, Life
from bench.synth.stays import StayReminders
from thekiz_flow.core.enums import ActivityStatus, Judgement, OutboxStatus, Recipient
from thekiz_flow.core.model import Centre, Coach, ReminderRule, StageChange, Workflow
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.core.reminders import Window, activity_subject, due_for
from thekiz_flow.digest.files import digest_paths
from thekiz_flow.service.digest import DIGEST_RULE, OVERVIEW_RULE
from thekiz_flow.store.outbox import row_values
from thekiz_flow.store.privacy import CLEARED
from thekiz_flow.workflow.config import DigestSettings, PrivacySettings

DELIVERY = timedelta(seconds=40)  # from a mail's row to its delivery
#: The texts of the mails settled before this day are empty: the daily retention of the ticks
#: (``[privacy] mail_bodies_months``, its default) emptied them, as it does in a programme
#: that ran these ten years.
TEXTS_KEPT_FROM = NOW - relativedelta(months=PrivacySettings().mail_bodies_months)


def sent_row(mail: NewMail, created: datetime) -> dict[str, object]:
    """The outbox row of a mail added at ``created`` and delivered by the next dispatch (a mail
    without an address stays failed, as the service keeps it); its id is set by the caller."""
    row = row_values(mail, created)
    sent = created + DELIVERY if mail.status == OutboxStatus.PENDING else None
    if sent is not None:
        row.update(status=OutboxStatus.SENT, attempts=1)
    row.update(sent_at=sent, lease_until=None, ambiguous=False)
    if (sent or created) < TEXTS_KEPT_FROM:  # the ticks' daily retention emptied it
        row.update(CLEARED)
    return row


def stage_subject(centre_id: int, change_id: int) -> str:
    """The subject of a reminder about a stage start, as the tick's gatherer names it."""
    return f"c{centre_id}:{change_id}"


class Outbox:
    """The sent mails of a centre's life, and those of the programme (overviews, digests)."""

    def __init__(self, flow: Workflow, keeper: Keeper) -> None:
        self.workflow = flow
        self.keeper = keeper
        self.activity_rules = [r for r in flow.reminders if r.follows == "activity"]
        self.stage_rules = [r for r in flow.reminders if r.follows == "stage_start"]
        self.stays = StayReminders(flow, keeper)

    def window(self, tick: datetime) -> Window:
        """The window of the first tick at or after ``tick`` (ticks ran without a gap)."""
        return Window(tick, None, BERLIN, self.workflow.send_at)

    def of_life(self, life: Life) -> Iterator[dict[str, object]]:
        """What the stage changes and the ticks sent about this centre before the bench's day."""
        centre = life.centre()
        for change in life.history:
            for mail in self.keeper.notices(change, centre):
                yield sent_row(mail, change.recorded_at)
        for n, change in enumerate(life.history):
            ends = life.history[n + 1].recorded_at if n + 1 < len(life.history) else None
            yield from self._stage_start(centre, life.coach, change, ends)
        for act in life.acts:
            yield from self._activity(centre, life.coach, act)
        for found in self.stays.of_life(life):
            yield from self._sent(
                found.tick,
                found.rule,
                found.subject,
                centre.id,
                found.at,
                found.context,
                found.label,
            )

    def _stage_start(
        self, centre: Centre, coach: Coach | None, change: StageChange, ends: datetime | None
    ) -> Iterator[dict[str, object]]:
        """A stay's reminders (``follows = "stage_start"``), while the centre was in it."""
        assert change.id is not None
        for rule in self.stage_rules:
            if rule.stage is not None and change.to_stage != rule.stage:
                continue
            occurrence = self.window(TICK_BEFORE).at(
                change.effective + timedelta(days=rule.offset_days)
            )
            tick = max(occurrence, change.recorded_at)
            if tick >= TICK_BEFORE or (ends is not None and ends <= tick):
                continue
            context = {
                "centre": centre,
                "stage": self.workflow.stage(change.to_stage),
                "since": change.effective,
                "coach": coach,
            }
            subject = stage_subject(centre.id, change.id)
            yield from self._sent(tick, rule, subject, centre.id, occurrence, context)

    def _activity(
        self, centre: Centre, coach: Coach | None, act: Act
    ) -> Iterator[dict[str, object]]:
        """An activity's reminders (``follows = "activity"``) while its rule followed it: planned
        (or also held, for a rule without ``stop = "recorded"``) when the tick came."""
        for rule in self.activity_rules:
            if rule.kind != act.kind:
                continue
            for number, offset in enumerate(rule.offsets()):
                occurrence = self.window(TICK_BEFORE).at(act.date + timedelta(days=offset))
                tick = max(occurrence, act.created)
                if tick >= TICK_BEFORE:
                    continue
                planned = act.closed is None or act.closed > tick
                if not planned and (rule.stop == "recorded" or act.status != ActivityStatus.HELD):
                    continue
                context = {
                    "centre": centre,
                    "coach": coach,
                    "activity": act.model(),
                    "number": number + 1,
                }
                subject = activity_subject(act.id)
                yield from self._sent(tick, rule, subject, centre.id, occurrence, context)

    def _sent(
        self,
        tick: datetime,
        rule: ReminderRule,
        subject: str,
        centre_id: int,
        occurrence: datetime,
        context: Mapping[str, object],
        label: str | None = None,
    ) -> Iterator[dict[str, object]]:
        """The rows of an occurrence that the tick at ``tick`` judged due (one per role)."""
        window = self.window(tick)
        for due in due_for(window, rule, subject, centre_id, occurrence, context, label):
            if due.verdict != Judgement.SEND:
                continue
            mail = self.keeper.compose(
                due.key, rule.id, rule.template, due.role, due.context, due.occurrence
            )
            yield sent_row(mail, tick)

    def of_programme(self, calendar: CachedCalendar, office: str, ministry: str) -> list[NewMail]:
        """The monthly overviews and the yearly digests of the ten years (the service's keys,
        the real templates; the overview's figures are a sample of the same size)."""
        renderer = self.keeper.renderer
        mails = []
        month = HISTORY_START.replace(day=1)
        while month <= TODAY:
            first = calendar.next_working_day(month)
            due = at(first, self.workflow.send_at)
            if due < TICK_BEFORE:
                rendered = renderer.render(
                    OVERVIEW_RULE, overview_sample(first), Recipient.OFFICE.value
                )
                mails.append(
                    NewMail(
                        f"{OVERVIEW_RULE}:{first:%Y-%m}",
                        OVERVIEW_RULE,
                        Recipient.OFFICE,
                        office,
                        rendered.subject,
                        rendered.text,
                        rendered.html,
                        due,
                    )
                )
            month += relativedelta(months=1)
        settings = DigestSettings()
        for year in range(HISTORY_START.year, TODAY.year):
            sent = date(year + 1, *settings.send_on)
            rendered = renderer.render(
                DIGEST_RULE, {"year": year, "today": sent}, Recipient.MINISTRY.value
            )
            files = digest_paths(settings.dir, year)
            mails.append(
                NewMail(
                    f"{DIGEST_RULE}:{year}",
                    DIGEST_RULE,
                    Recipient.MINISTRY,
                    ministry,
                    rendered.subject,
                    rendered.text,
                    rendered.html,
                    at(sent, time(8, 1)),
                    attachments=(str(files.html), str(files.csv), str(files.xlsx)),
                )
            )
        return mails


def overview_sample(today: date) -> dict[str, object]:
    """An overview's context of a typical size (the history does not keep every month's)."""
    centre = "Kita Sonnenschein 1"
    return {
        "month": today,
        "today": today,
        "upcoming": [{"date": today, "kind": "Begleittermin", "centre": centre, "centre_id": 1}]
        * 40,
        "unrecorded": [{"date": today, "centre": centre, "centre_id": 1, "coach": "Anna Schmidt"}]
        * 5,
        "eligible": [{"centre": centre, "centre_id": 1, "trigger": "deepen"}] * 5,
        "budget": [],
        "failed": [],
    }
