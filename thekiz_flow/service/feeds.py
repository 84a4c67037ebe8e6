"""Calendar feeds: each coach's private link to their sessions and site visits (iCalendar).

The link carries a random token; only its SHA-256 is stored, so the database alone opens
no calendar. A coach has at most one link: a new one makes the old one worthless, and a
revoked one answers "not found".
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from thekiz_flow.core.errors import NotFound, Refused
from thekiz_flow.core.model import Coach
from thekiz_flow.mail.ical import calendar_feed
from thekiz_flow.service.runtime import Runtime

PAST = timedelta(weeks=8)  # how far back a feed reaches, and how long it keeps a cancellation
UNKNOWN = "Diesen Kalender gibt es nicht (mehr)."


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_path(token: str) -> str:
    """The feed's address below the web pages' base URL."""
    return f"/feeds/{token}.ics"


class FeedService:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def create(self, coach_ref: str) -> tuple[Coach, str]:
        """A new link for the coach (an older one stops working) and its token, shown once."""
        token = secrets.token_urlsafe(32)
        with self.rt.unit() as repo:
            coach = self.rt.coach(repo, coach_ref)
            repo.feeds.replace(coach.id, token_hash(token), self.rt.clock.now())
        return coach, token

    def revoke(self, coach_ref: str) -> Coach:
        with self.rt.unit() as repo:
            coach = self.rt.coach(repo, coach_ref)
            if not repo.feeds.remove(coach.id):
                raise Refused(f"{coach.name} hat keinen Kalender-Link")
        return coach

    def issued(self, coach_ids: Sequence[int] | None = None) -> dict[int, datetime]:
        """When each coach's link was made (of those coaches, if given), by coach (coaches
        without one are missing)."""
        with self.rt.unit() as repo:
            return repo.feeds.created(coach_ids)

    def calendar(self, token: str) -> bytes:
        """The iCalendar of the link with ``token``: its coach's sessions and site visits
        from some weeks back on, and what was cancelled or handed over to another coach
        recently (so calendars drop it)."""
        now = self.rt.clock.now()
        with self.rt.unit() as repo:
            store = repo.feeds
            coach_id = store.coach_of(token_hash(token))
            coach = None if coach_id is None else repo.coach(coach_id)
            if coach is None:
                raise NotFound(UNKNOWN)
            events = store.events(coach.id, self.rt.today() - PAST, now - PAST)
        return calendar_feed(f"ThEKiZ – {coach.name}", events, self.rt.workflow, now)
