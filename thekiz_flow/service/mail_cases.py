"""The cases of each mail: when it is sent, to whom, and a real one to preview it with.

A mail's occasions are worded from the workflow's reminder rules and steps and the German
names of `core.labels`, never their ids. A preview's case comes from the database: the
latest stage change for a stage-change mail, the reminder's occurrence closest to today
(`ReminderService.around`, the days nearest today first; of a budget rule, among the
centres just over its percentage: `ReminderService.budget_cases`), this month's overview;
made-up data (`mail_samples`) only where there is none, and the preview says so.
"""

from __future__ import annotations

from datetime import timedelta

from thekiz_flow.core import german
from thekiz_flow.core.enums import ActivityKind, Follows, Recipient
from thekiz_flow.core.errors import NotFound
from thekiz_flow.core.labels import KIND_NAMES, mail_kind_name
from thekiz_flow.core.model import ReminderRule, Workflow
from thekiz_flow.core.reminders import Due
from thekiz_flow.mail.edit import Variant, variants
from thekiz_flow.service.digest import DigestService
from thekiz_flow.service.lifecycle import NOTIFIED, change_context
from thekiz_flow.service.mail_samples import sample_context
from thekiz_flow.service.reminders import ReminderService
from thekiz_flow.service.runtime import Runtime

#: Real cases of a reminder are looked for this many days back and ahead, a wider span only
#: if the narrower has none.
AROUND_DAYS = (1, 7, 60)
CHANGE_DAYS = 3660  # the latest stage change of these many days shows a stage-change mail
#: The mails the service writes itself (not a reminder or a stage change of the workflow):
#: when they go out and to whom.
OWN_MAILS: dict[str, tuple[str, tuple[Recipient, ...]]] = {
    "stage_reverted": (
        "Rücknahme eines Stufenwechsels: wenn die Fachstelle einen Stufenwechsel zurücknimmt",
        (Recipient.CENTRE, Recipient.COACH),
    ),
    "training_cancelled": (
        "Absage einer Fortbildung: wenn die Fachstelle eine Fortbildung absagt",
        (Recipient.CENTRE,),
    ),
    "delivery_failed": (
        "Versand fehlgeschlagen: wenn eine Mail nicht zugestellt werden kann",
        (Recipient.OFFICE,),
    ),
    "invitation": (
        "Kalendereinladung: für jeden Begleittermin der nächsten acht Wochen, neu bei einer"
        " Verschiebung",
        (Recipient.COACH,),
    ),
    "invitation_cancelled": (
        "Kalenderabsage: wenn ein eingeladener Begleittermin abgesagt oder abgegeben wird",
        (Recipient.COACH,),
    ),
    "overview": ("Monatsübersicht: zu Beginn jedes Monats", (Recipient.OFFICE,)),
    "digest": ("Jahresbericht: wenn die Fachstelle ihn versendet", (Recipient.MINISTRY,)),
    "watchdog": (
        "Wächter: wenn die Erinnerungen stocken oder viele Mails fehlschlagen",
        (Recipient.OFFICE,),
    ),
}
SAMPLE = "Beispieldaten: in der Datenbank gibt es noch keinen passenden Fall."


class MailCases:
    """What the "Mailvorlagen" page says of each mail, and the data its preview renders."""

    def __init__(self, rt: Runtime, reminders: ReminderService, digest: DigestService) -> None:
        self.rt = rt
        self.reminders = reminders
        self.digest = digest

    def _rules(self, name: str) -> list[ReminderRule]:
        return [rule for rule in self.rt.workflow.reminders if rule.template == name]

    def _all_readers(self, name: str) -> list[Recipient]:
        readers = [r for rule in self._rules(name) for r in rule.recipients]
        if any(t.notify == name for t in self.rt.workflow.transitions.values()):
            readers += NOTIFIED
        readers += OWN_MAILS.get(name, ("", ()))[1]
        return list(dict.fromkeys(readers))

    def readers(self, variant: Variant, found: list[Variant]) -> list[Recipient]:
        """Who gets this wording: the variant's role, or every reader without their own."""
        readers = self._all_readers(variant.name)
        if variant.role:
            return [r for r in readers if r.value == variant.role]
        own = {v.role for v in found if v.name == variant.name and v.role}
        return [r for r in readers if r.value not in own]

    def preview_role(self, variant: Variant) -> str:
        if variant.role:
            return variant.role
        readers = self.readers(variant, variants(self.rt.workflow.templates_dir))
        return readers[0].value if readers else ""

    @staticmethod
    def _for(role: str, dues: list[Due]) -> list[Due]:
        """The dues of ``role`` ("": of anyone)."""
        return [d for d in dues if not role or d.role.value == role]

    def occasions(self, name: str) -> tuple[str, ...]:
        workflow = self.rt.workflow
        occasions = [
            f"{mail_kind_name(workflow, r.id)}: {_timing(r, workflow)}" for r in self._rules(name)
        ]
        triggers = [t.trigger for t in workflow.transitions.values() if t.notify == name]
        if triggers:
            steps = ", ".join(workflow.step_name(t) for t in triggers)
            changed = mail_kind_name(workflow, "stage_changed")
            occasions.append(f"{changed}: bei jedem Schritt ({steps})")
        if name in OWN_MAILS:
            occasions.append(OWN_MAILS[name][0])
        return tuple(occasions)

    def context(self, name: str, role: str) -> tuple[dict[str, object], str, bool]:
        """The context of a real case of mail ``name`` for ``role`` and what it is; else
        made-up data."""
        found = self._real_context(name, role)
        if found is not None:
            return found[0], found[1], False
        sample = sample_context(name, self.rt.workflow, self.rt.today())
        if sample is None:
            raise NotFound("Für diese Mailvorlage gibt es keine Beispieldaten.")
        return sample, SAMPLE, True

    def _real_context(self, name: str, role: str) -> tuple[dict[str, object], str] | None:
        today = self.rt.today()
        if name == "digest":
            return {"year": today.year - 1, "today": today}, f"Jahresbericht {today.year - 1}"
        if name == "overview":
            return self.digest.overview_context(
                today
            ), f"Monatsübersicht vom {german.short_date(today)}"
        rules = self._rules(name)
        if any(r.follows == Follows.BUDGET for r in rules):
            self.reminders.refresh_budgets()  # what was recorded since they were figured
        with self.rt.unit() as repo:  # reads only
            if name in {t.notify for t in self.rt.workflow.transitions.values()}:
                changes = repo.changes_between(today - timedelta(days=CHANGE_DAYS), today)
                notifying = {
                    t.trigger for t in self.rt.workflow.transitions.values() if t.notify == name
                }  # not the centre's registration or import, which are no step
                mine = [c for c in changes if c.trigger in notifying]
                if not mine:
                    return None
                change = max(mine, key=lambda c: (c.recorded_at, c.id or 0))
                centre = repo.centre(change.centre_id)
                if centre is None:
                    return None
                context = change_context(self.rt.workflow, change, centre)
                return context, (
                    f"Stufenwechsel von {centre.title} am {german.short_date(change.effective)}"
                )
            timed = [r for r in rules if r.follows != Follows.BUDGET]
            dues = self._for(role, self.reminders.budget_cases(repo, rules))
            for days in AROUND_DAYS if timed else ():  # the nearest days first
                nearby = self._for(role, self.reminders.around(repo, days, timed))
                if nearby:  # none outside these days is nearer than one inside
                    dues += nearby
                    break
        if not dues:
            return None
        now = self.rt.clock.now()
        due = min(dues, key=lambda d: abs(d.occurrence - now))
        title = getattr(due.context.get("centre"), "title", "")
        day = german.short_date(due.occurrence.astimezone(self.rt.zone).date())
        return dict(
            due.context
        ), f"{mail_kind_name(self.rt.workflow, due.rule.id)} für {title}, fällig am {day}"


def _timing(rule: ReminderRule, workflow: Workflow) -> str:
    days = abs(rule.offset_days)
    when = "vor" if rule.offset_days < 0 else "nach"
    if rule.follows == Follows.ACTIVITY:
        kind = KIND_NAMES[rule.kind or ActivityKind.COACHING]
        text = f"{days} Tage {when} einem {kind}" if days else f"am Tag eines {kind}s"
        if rule.times > 1:
            text += f", bis zu {rule.times}-mal im Abstand von {rule.every_days} Tagen"
    elif rule.follows == Follows.STAGE_START:
        stage = workflow.stages.get(rule.stage or "")
        text = f"{days} Tage nach Beginn der Stufe" + (f" {stage.name}" if stage else "")
    elif rule.follows == Follows.ELIGIBLE:
        text = "am Tag, ab dem der nächste Schritt möglich ist"
    elif rule.follows == Follows.BUDGET:
        text = f"wenn {rule.percent} % des Jahresbudgets verbraucht sind"
    else:
        text = f"{days} Tage vor der Frist einer erwarteten Fortbildung"
    return text
