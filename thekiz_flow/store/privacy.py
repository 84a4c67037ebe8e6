"""One person's data, found, exported and erased by the data map; and retention.

Erasure replaces personal data by placeholders, clears the bodies of mails sent to the
person and deletes their sign-ins, web sessions and calendar links; every figure (hours,
rates, dates, stages) and every key stays, so digests keep their numbers. Each step is
idempotent: erasing again (a replay after a restore) changes nothing more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, delete, func, or_, select, update

from thekiz_flow.core.enums import OutboxStatus
from thekiz_flow.core.privacy_map import DATA_MAP, SECRETS, Key, Personal, Subject
from thekiz_flow.store.tables import (
    CONTACT_KEPT,
    ERASED_DOMAIN,
    MAIL_HELD,
    MAIL_SETTLED_AT,
    calendar_feeds,
    centres,
    coaches,
    corrections,
    metadata,
    outbox,
    outbox_attempts,
    privacy_events,
    sign_in_attempts,
    users,
    web_sessions,
)

SETTLED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.MISSED, OutboxStatus.WITHDRAWN)

#: A message's texts emptied (by retention, by an erasure); its date and subject stay.
CLEARED: dict[str, str | None] = {
    "body_text": "",
    "body_html": "",
    "attachments": "",
    "calendar": None,
    "context": None,
}

Keys = dict[Key, list[Any]]


def erased_address(kind: str, number: int) -> str:
    return f"{kind}-{number}@{ERASED_DOMAIN}"


def is_erased(address: str) -> bool:
    return address.endswith("@" + ERASED_DOMAIN)


@dataclass
class Erased:
    """What an erasure changed, by German description -> rows."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, rows: int) -> None:
        if rows:
            self.counts[what] = self.counts.get(what, 0) + rows

    def merge(self, other: Erased) -> None:
        for what, rows in other.counts.items():
            self.add(what, rows)


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _table(name: str) -> Table | None:
    return metadata.tables.get(name)


class PrivacyStore:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    # ------------------------------------------------------------------ finding
    def coach_keys(self, coach_id: int) -> Keys | None:
        email = self.conn.execute(select(coaches.c.email).where(coaches.c.id == coach_id)).scalar()
        if email is None:
            return None
        accounts = self.conn.execute(
            select(users.c.id, users.c.email).where(users.c.coach_id == coach_id)
        ).all()
        emails = [email, *(row.email for row in accounts)]
        return {
            Key.COACH_ID: [coach_id],
            Key.USER_ID: [row.id for row in accounts],
            Key.EMAIL: sorted({e.lower() for e in emails}),
            Key.ACTOR: [row.email for row in accounts],
        }

    def centre_keys(self, centre_id: int) -> Keys | None:
        email = self.conn.execute(select(centres.c.email).where(centres.c.id == centre_id)).scalar()
        if email is None:
            return None
        return {Key.CENTRE_ID: [centre_id], Key.EMAIL: [email.lower()]}

    def user_keys(self, user_id: int) -> Keys | None:
        email = self.conn.execute(select(users.c.email).where(users.c.id == user_id)).scalar()
        if email is None:
            return None
        return {Key.USER_ID: [user_id], Key.EMAIL: [email], Key.ACTOR: [email]}

    def user_id(self, email: str) -> int | None:
        found = self.conn.execute(select(users.c.id).where(users.c.email == email.lower()))
        return found.scalar()

    def coach_centres(self, coach_id: int) -> list[str]:
        stmt = select(centres.c.name).where(centres.c.coach_id == coach_id).order_by(centres.c.id)
        return list(self.conn.execute(stmt).scalars())

    def centre_stage(self, centre_id: int) -> str | None:
        return self.conn.execute(select(centres.c.stage).where(centres.c.id == centre_id)).scalar()

    # ------------------------------------------------------------------ export
    def export(self, subject: Subject, keys: Keys) -> dict[str, list[dict[str, object]]]:
        """Every row the data map links to the person, with the columns that are theirs
        (or of no one); secrets never. Table name -> rows.

        A coach's export also holds what their user accounts recorded: a column of users'
        data (who recorded something) shows the value only where it is the person's own
        address, never another user's."""
        own = {str(v).lower() for v in (*keys.get(Key.EMAIL, []), *keys.get(Key.ACTOR, []))}
        theirs = {subject, Subject.ANYONE} | ({Subject.USER} if keys.get(Key.USER_ID) else set())
        found: dict[str, list[dict[str, object]]] = {}
        for name, entry in DATA_MAP.items():
            table = _table(name)
            if table is None:
                continue
            conditions = [
                self._matches(table, link.column, keys[link.key], link.where)
                for link in entry.links
                if keys.get(link.key)
            ]
            if not conditions:
                continue
            shown = [
                column
                for column, kind in entry.columns.items()
                if (name, column) not in SECRETS
                and column in table.c
                and (not isinstance(kind, Personal) or kind.whose & theirs)
            ]
            masked = {
                column
                for column in shown
                if isinstance(kind := entry.columns[column], Personal)
                and not kind.whose & {subject, Subject.ANYONE}
            }
            stmt = select(*(table.c[c] for c in shown)).where(or_(*conditions))
            rows = self.conn.execute(stmt.order_by(table.c[entry.order], *table.primary_key))
            found[name] = [
                {
                    c: (None if c in masked and str(v).lower() not in own else _plain(v))
                    for c, v in row._mapping.items()
                }
                for row in rows
            ]
        return found

    @staticmethod
    def _matches(
        table: Table, column: str, values: Sequence[Any], where: tuple[str, str] | None
    ) -> ColumnElement[bool]:
        target = table.c[column]
        condition = (
            func.lower(target).in_([str(v).lower() for v in values])
            if isinstance(values[0], str)
            else target.in_(values)
        )
        return condition if where is None else and_(condition, table.c[where[0]] == where[1])

    # ------------------------------------------------------------------ erasure
    def erase_coach(self, coach_id: int, name: str, user_name: str) -> Erased:
        """The coach's name and address replaced, their accounts, calendar link and the
        bodies of mails to them gone; ``user_name`` % user id names their accounts' acts."""
        done = Erased()
        keys = self.coach_keys(coach_id)
        if keys is None:
            return done
        address = erased_address("prozessbegleitung", coach_id)
        for user_id in keys[Key.USER_ID]:
            done.merge(self.erase_user(user_id, user_name % user_id))
        row = self.conn.execute(select(coaches).where(coaches.c.id == coach_id)).one()
        if row.name != name or row.email != address:
            self.conn.execute(
                update(coaches)
                .where(coaches.c.id == coach_id)
                .values(name=name, email=address, active=False)
            )
            done.add("Stammdaten ersetzt", 1)
        done.add("E-Mails geleert", self._clear_mails(keys[Key.EMAIL], address))
        done.add(
            "Korrekturen geschwärzt", self._scrub_corrections("coach", coach_id, name, address)
        )
        gone = self.conn.execute(
            delete(calendar_feeds).where(calendar_feeds.c.coach_id == coach_id)
        )
        done.add("Kalenderlinks gelöscht", gone.rowcount)
        return done

    def erase_centre(self, centre_id: int) -> Erased:
        """The centre's contact address replaced and the bodies of mails to it gone."""
        done = Erased()
        keys = self.centre_keys(centre_id)
        if keys is None:
            return done
        address = erased_address("einrichtung", centre_id)
        changed = self.conn.execute(
            update(centres)
            .where(centres.c.id == centre_id, centres.c.email != address)
            .values(email=address)
        )
        done.add("Kontaktadresse ersetzt", changed.rowcount)
        done.add("E-Mails geleert", self._clear_mails(keys[Key.EMAIL], address))
        done.add(
            "Korrekturen geschwärzt", self._scrub_corrections("centre", centre_id, None, address)
        )
        return done

    def erase_user(self, user_id: int, name: str) -> Erased:
        """The account gone with its sessions and sign-ins; its acts recorded as ``name``."""
        done = Erased()
        keys = self.user_keys(user_id)
        if keys is None:
            return done
        email = keys[Key.EMAIL][0]
        gone = self.conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id))
        done.add("Anmeldungen beendet", gone.rowcount)
        gone = self.conn.execute(delete(sign_in_attempts).where(sign_in_attempts.c.email == email))
        done.add("Anmeldeversuche gelöscht", gone.rowcount)
        done.add("E-Mails geleert", self._clear_mails([email], erased_address("konto", user_id)))
        for table_name, entry in DATA_MAP.items():
            table = _table(table_name)
            for link in entry.links if table is not None else ():
                if link.key is Key.ACTOR and table is not None:  # as the export finds them
                    stmt = update(table).where(func.lower(table.c[link.column]) == email.lower())
                    renamed = self.conn.execute(stmt.values({link.column: name}))
                    done.add("Einträge umbenannt", renamed.rowcount)
        self.conn.execute(delete(users).where(users.c.id == user_id))
        done.add("Benutzerkonto gelöscht", 1)
        return done

    def _clear_mails(self, addresses: Iterable[str], placeholder: str) -> int:
        wanted = [a.lower() for a in addresses if not is_erased(a)]  # not once more
        if not wanted:
            return 0
        attempts = (
            update(outbox_attempts)
            .where(func.lower(outbox_attempts.c.recipient).in_(wanted))
            .values(recipient=placeholder, reply=None)
        )
        self.conn.execute(attempts)
        stmt = (
            update(outbox)
            .where(func.lower(outbox.c.recipient).in_(wanted))
            .values({**CLEARED, "recipient": placeholder, "last_error": None})
        )
        return self.conn.execute(stmt).rowcount

    def _scrub_corrections(
        self, subject: str, subject_id: int, name: str | None, address: str
    ) -> int:
        placeholders = {"email": address} if name is None else {"name": name, "email": address}
        rows = self.conn.execute(
            select(corrections.c.id, corrections.c.before, corrections.c.after).where(
                corrections.c.subject == subject, corrections.c.subject_id == subject_id
            )
        ).all()
        changed = 0
        for row in rows:
            before, after = _scrub(row.before, placeholders), _scrub(row.after, placeholders)
            if (before, after) != (row.before, row.after):
                stmt = update(corrections).where(corrections.c.id == row.id)
                self.conn.execute(stmt.values(before=before, after=after))
                changed += 1
        return changed

    # ------------------------------------------------------------------ log and retention
    def record(self, at: datetime, actor: str, action: str, subject: str, subject_id: int) -> None:
        self.conn.execute(
            privacy_events.insert().values(
                at=at, actor=actor, action=action, subject=subject, subject_id=subject_id
            )
        )

    def clear_mail_bodies(self, before: datetime, apply: bool = True) -> int:
        """Bodies of mails settled (sent, failed, ...) before ``before`` emptied; how many
        (not ``apply``: how many would be, nothing written)."""
        held = (
            MAIL_HELD,  # first: the partial index's condition (`tables.ix_outbox_held`)
            MAIL_SETTLED_AT < before,
            outbox.c.status.in_([s.value for s in SETTLED]),
        )
        if not apply:
            return self._count(outbox, held)
        return self.conn.execute(update(outbox).where(*held).values(CLEARED)).rowcount

    def purge_sign_ins(self, before: datetime, apply: bool = True) -> int:
        """Sign-ins and failed attempts before ``before`` deleted; how many (see above)."""
        return self._purge(sign_in_attempts, sign_in_attempts.c.at < before, apply)

    def purge_events(self, before: datetime, apply: bool = True) -> int:
        """Entries of disclosures and erasures before ``before`` deleted; how many."""
        return self._purge(privacy_events, privacy_events.c.at < before, apply)

    def _purge(self, table: Table, old: ColumnElement[bool], apply: bool) -> int:
        if not apply:
            return self._count(table, (old,))
        return self.conn.execute(delete(table).where(old)).rowcount

    def _count(self, table: Table, where: tuple[ColumnElement[bool], ...]) -> int:
        stmt = select(func.count()).select_from(table).where(*where)
        return int(self.conn.execute(stmt).scalar_one())

    def purge_sessions(self, now: datetime) -> int:
        return self.conn.execute(
            delete(web_sessions).where(web_sessions.c.expires_at <= now)
        ).rowcount

    def withdrawn_centres(
        self, stages: Sequence[str], left_before: date, limit: int | None = None
    ) -> list[int]:
        """Centres in one of the (final) ``stages`` since before ``left_before`` whose
        contact is not yet erased (the first ``limit`` of them, by number)."""
        if not stages:
            return []
        stmt = select(centres.c.id).where(*_withdrawn(stages, left_before)).order_by(centres.c.id)
        return list(self.conn.execute(stmt.limit(limit)).scalars())

    def withdrawn_count(self, stages: Sequence[str], left_before: date) -> int:
        """How many `withdrawn_centres` there are."""
        return self._count(centres, _withdrawn(stages, left_before)) if stages else 0


def _withdrawn(stages: Sequence[str], left_before: date) -> tuple[ColumnElement[bool], ...]:
    return (centres.c.stage.in_(stages), centres.c.stage_since < left_before, CONTACT_KEPT)


def _scrub(text: str, placeholders: Mapping[str, str]) -> str:
    try:
        loaded = json.loads(text)
    except ValueError:
        return text
    if not isinstance(loaded, dict):
        return text
    changed = {
        k: (placeholders[k] if k in placeholders and v is not None else v)
        for k, v in loaded.items()
    }
    return json.dumps(changed, ensure_ascii=False, sort_keys=True)
