"""The demonstration's people, day by day: coaches record sessions, the office visits,
centres go to trainings. Everything goes through the service, as the CLI would."""

from __future__ import annotations

import random
from datetime import date, timedelta

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput, Refused
from thekiz_flow.core.model import ActivityFilter
from thekiz_flow.service import Service

HOURS = ("2", "2,5", "3", "3", "3,5", "4", "5")
CANCEL_REASONS = (
    "Leitung erkrankt",
    "Personalengpass in der Einrichtung",
    "Prozessbegleitung krank",
)
VISIT_NOTES = ("Rundgang mit Leitung und Koordination", "Gespräch mit Team und Elternbeirat")


class People:
    def __init__(self, service: Service, rng: random.Random) -> None:
        self.service = service
        self.rng = rng

    def day(self, day: date) -> None:
        today = ActivityFilter(status=ActivityStatus.PLANNED, first=day, last=day)
        for activity in self.service.overview.activities(today):
            if activity.kind == ActivityKind.COACHING:
                self.session(activity.id, activity.centre_id, day)
            elif activity.kind == ActivityKind.SITE_VISIT:
                self.service.sessions.record_visit(
                    activity.centre_id, day, self.rng.choice(VISIT_NOTES)
                )
            elif activity.kind == ActivityKind.TRAINING and activity.training_id is not None:
                if self.rng.random() < 0.92:
                    self.service.trainings.attended(activity.training_id, activity.centre_id, day)

    def session(self, activity_id: int, centre_id: int, day: date) -> None:
        """Mostly held; sometimes cancelled, or moved a few days on."""
        pick = self.rng.random()
        if pick < 0.86:
            self.service.sessions.record(str(activity_id), day, self.rng.choice(HOURS))
        elif pick < 0.93:
            self.service.sessions.cancel(activity_id, self.rng.choice(CANCEL_REASONS))
        else:
            later = day + timedelta(days=self.rng.randint(2, 9))
            try:
                self.service.sessions.move(activity_id, later)
            except InvalidInput:  # not a working day: then it is cancelled
                self.service.sessions.cancel(activity_id, "kein Ersatztermin gefunden")

    def request(self, day: date) -> None:
        """Once a month, some Konsultationseinrichtungen ask for a session."""
        for centre in self.service.registry.centres(stage="konsultationseinrichtung"):
            if self.rng.random() < 0.3:
                wanted = day + timedelta(days=self.rng.randint(10, 30))
                try:
                    self.service.sessions.request(centre.id, wanted)
                except InvalidInput:  # not a working day: asked again next month
                    continue

    def enrol(self, day: date) -> None:
        """Once a month: each centre signs up for a training its stage expects, if offered."""
        offers = [t for t, _, _ in self.service.trainings.find(first=day + timedelta(days=14))]
        taken = self._taken()
        for centre in self.service.registry.centres():
            stage = self.service.workflow.stage(centre.stage)
            for rule in stage.trainings:
                if (centre.id, rule.kind) in taken or self.rng.random() > 0.5:
                    continue
                offer = next((t for t in offers if t.kind == rule.kind), None)
                if offer is not None:
                    self._try_enrol(offer.id, centre.id)
                    taken.add((centre.id, rule.kind))

    def _taken(self) -> set[tuple[int, str]]:
        kinds = {t.id: t.kind for t, _, _ in self.service.trainings.find()}
        seats = self.service.overview.activities(ActivityFilter(kind=ActivityKind.TRAINING))
        return {
            (a.centre_id, kinds[a.training_id])
            for a in seats
            if a.training_id is not None
            and a.status in (ActivityStatus.PLANNED, ActivityStatus.WAITING, ActivityStatus.HELD)
        }

    def _try_enrol(self, training_id: int, centre_id: int) -> None:
        try:
            self.service.trainings.enrol(training_id, centre_id)
        except (InvalidInput, Refused):
            pass
