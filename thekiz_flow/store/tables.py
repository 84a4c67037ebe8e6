"""The schema, as SQLAlchemy Core tables. Alembic migrations must match it (a test checks)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    or_,
)
from sqlalchemy.sql.expression import false, true
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored as UTC on every backend (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


OUTBOX_KEY_LENGTH = 200

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

coaches = Table(
    "coaches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False, unique=True),
    Column("rate", Numeric(8, 2), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # False: deactivated; kept for the history, offered for no centre
    Column("active", Boolean, nullable=False, server_default=true()),
)

centres = Table(
    "centres",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("district", String(60), nullable=False),
    Column("email", String(320), nullable=False),
    Column("carrier", String(200)),
    Column("coach_id", Integer, ForeignKey("coaches.id")),
    Column("stage", String(40), nullable=False),
    Column("stage_since", Date, nullable=False),
    Column("registered", Date, nullable=False),  # since when the programme knows the centre
    Column("resume_stage", String(40)),
    Column("weekday", SmallInteger),  # preferred weekday for sessions, 0 = Monday
    Column("plan_stamp", String(64)),  # the planning rules the centre was last planned with
    # Derived from the history, kept by the service at every event that changes them, so a
    # tick finds what is due by date instead of reading every centre's history:
    Column("episode_start", Date),  # the day the current stay in the stage began
    Column("next_step_on", Date),  # the day its next step becomes allowed, if it will
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("name", "district"),
    Index(None, "stage"),
    Index(None, "stage", "episode_start"),  # whose stay in a stage began on some days
    Index(None, "next_step_on"),
    Index(None, "stage", "next_step_on"),  # whose next step is allowed: counted from the index
    Index(None, "plan_stamp"),  # the centres not yet planned with the current rules
    Index(None, "coach_id"),  # a coach's centres: their count, their page, their feed
    Index(None, "registered"),  # the first day the programme knew a centre (the digests')
)
#: The domain of an erased address (RFC 2606: no mail can reach it).
ERASED_DOMAIN = "geloescht.invalid"
#: A centre whose contact address is not erased yet; a literal pattern, so that both
#: databases match the partial index below to the query.
CONTACT_KEPT = centres.c.email.not_like(literal_column(f"'%@{ERASED_DOMAIN}'"))
# The centres whose address retention may still erase, by stage and since when: among the
# centres that left, the few not erased yet (the privacy page's preview, the retention).
Index(
    "ix_centres_contact_kept",
    centres.c.stage,
    centres.c.stage_since,
    sqlite_where=CONTACT_KEPT,
    postgresql_where=CONTACT_KEPT,
)
# The centre list's orders: by name, and by district then name (each page a short range).
Index("ix_centres_lower_name", func.lower(centres.c.name), centres.c.id)
Index("ix_coaches_lower_name", func.lower(coaches.c.name), coaches.c.id)  # the coaches by name
Index(
    "ix_centres_district_lower_name", centres.c.district, func.lower(centres.c.name), centres.c.id
)

stage_changes = Table(
    "stage_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("centre_id", Integer, ForeignKey("centres.id"), nullable=False),
    Column("trigger", String(40), nullable=False),
    Column("from_stage", String(40), nullable=False),
    Column("to_stage", String(40), nullable=False),
    Column("effective", Date, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", Text),  # the office's, internal
    Column("forced", Boolean, nullable=False),
    Column("centre_note", Text),  # the office's words to the centre, sent in its mail
    Index(None, "centre_id", "id"),
    Index(None, "effective"),
    # the changes to a stage of some days, in order: whether each is withdrawn and still in
    # force is looked up from the index alone
    Index(None, "to_stage", "effective", "id", "centre_id"),
    Index(None, "from_stage", "to_stage", "effective"),  # counted by stages (the forecast's)
)
Index("ix_stage_changes_lower_actor", func.lower(stage_changes.c.actor))  # an account's acts

activities = Table(
    "activities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("centre_id", Integer, ForeignKey("centres.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("key", String(120), nullable=False),
    Column("stage", String(40), nullable=False),
    Column("date", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("hours", Numeric(5, 2)),
    Column("coach_id", Integer, ForeignKey("coaches.id")),
    Column("note", Text),
    Column("rate", Numeric(8, 2)),
    Column("training_id", Integer, ForeignKey("trainings.id")),
    Column("reason", Text),
    Column("moved", Boolean, nullable=False, server_default=false()),
    Column("recorded_at", UTCDateTime),  # when its status or date was last set
    Column("revision", Integer, nullable=False, server_default="0"),  # one more per change
    Column("created_at", UTCDateTime),  # None: stored before this was kept (always existed)
    UniqueConstraint("centre_id", "key"),
    # a kind of some centres' activities; with the training (has a centre taken one up?)
    Index(None, "kind", "centre_id", "status", "date", "training_id"),
    Index(None, "kind", "status", "date"),  # what is due on some days (reminders, overviews)
    # the digest's last held site visit of each centre in each stage: from the index alone
    Index(None, "kind", "status", "centre_id", "stage", "date"),
    Index(None, "kind", "status", "recorded_at"),  # what was just recorded (budget reminders)
    Index(None, "kind", "status", "stage", "date", "hours"),  # hours held in a stage (forecast)
    Index(None, "date"),
    Index(None, "status", "date"),  # planned ones of some days, any kind: counted from the index
    Index(None, "coach_id", "date"),
    Index(None, "coach_id", "kind", "status", "date"),  # a coach's planned sessions, by date
    Index(None, "training_id", "status"),
)

# The undo log of the activities: an activity's state as it was before each change (or its
# deletion), and the moment that state stopped being current (``changed_at``). With
# ``activities.created_at`` it gives every activity as it was recorded at any moment
# (``store/undo.py``). Nothing is written when an activity is inserted, and a state that
# was current for no time (within one moment) is not kept. No foreign key: a deleted activity's
# last state stays.
activity_undo = Table(
    "activity_undo",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("activity_id", Integer, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    Column("centre_id", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("key", String(120), nullable=False),
    Column("stage", String(40), nullable=False),
    Column("date", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("hours", Numeric(5, 2)),
    Column("coach_id", Integer),
    Column("note", Text),
    Column("rate", Numeric(8, 2)),
    Column("training_id", Integer),
    Column("reason", Text),
    Column("moved", Boolean, nullable=False),
    Column("recorded_at", UTCDateTime),
    Column("revision", Integer, nullable=False),
    Column("created_at", UTCDateTime),
    Index(None, "activity_id", "changed_at"),
    Index(None, "changed_at"),
)

# The audit trail of corrections: every correction, cancellation as a mistake and edit of
# what was recorded, with who, when, the changed fields before and after (JSON) and why.
# Append-only: a row is never changed or deleted.
corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subject", String(20), nullable=False),  # activity, stage_change, coach, centre
    Column("subject_id", Integer, nullable=False),
    Column("centre_id", Integer, ForeignKey("centres.id")),  # whose record it is, if a centre's
    Column("action", String(20), nullable=False),  # corrected, voided, edited
    Column("actor", String(200), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
    Column("reason", Text),
    Index(None, "centre_id", "id"),
    Index(None, "subject", "subject_id"),
    Index(None, "recorded_at"),
)

# A coach's hourly rates over time: each in force from its day on, until the next one's day.
# Sessions are recorded with the rate in force on the day they were held. Append-only.
coach_rates = Table(
    "coach_rates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("coach_id", Integer, ForeignKey("coaches.id"), nullable=False),
    Column("rate", Numeric(8, 2), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Index(None, "coach_id", "valid_from"),
)

# A year's digest sent to the ministry and the moment it was recorded as of: the digest as
# recorded then is what the ministry received.
digest_sends = Table(
    "digest_sends",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("as_recorded_at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
)

# Who an activity was taken from when its centre got another coach (or none): that coach's
# calendar feed shows it as cancelled. One row per activity and former coach; a coach who gets
# the activity back has no row for it.
handovers = Table(
    "handovers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("activity_id", Integer, ForeignKey("activities.id"), nullable=False),
    Column("coach_id", Integer, ForeignKey("coaches.id"), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("activity_id", "coach_id"),
    Index(None, "coach_id", "recorded_at"),  # a coach's feed: what was taken recently
)

# The calendar invitations a coach was sent (RFC 5546), one row per session and coach: the
# activity's revision and day the last one (a REQUEST, or a CANCEL when ``cancelled``) was
# written to the outbox with. The tick compares them with the session as it is now. No
# foreign key: a row outlives nothing it must not.
invitations = Table(
    "invitations",
    metadata,
    Column("activity_id", Integer, primary_key=True),
    Column("coach_id", Integer, primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("day", Date, nullable=False),
    Column("cancelled", Boolean, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index(None, "cancelled", "activity_id"),  # what a CANCEL may still be owed for
    Index(None, "coach_id"),  # a coach's (their data)
)

closures = Table(
    "closures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("centre_id", Integer, ForeignKey("centres.id"), nullable=False, index=True),
    Column("first", Date, nullable=False),
    Column("last", Date, nullable=False),
    Column("note", Text),
)

trainings = Table(
    "trainings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("title", String(200), nullable=False),
    Column("date", Date, nullable=False),
    Column("place", String(200), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("cancelled_at", UTCDateTime),  # the office called the event off
    Column("cancelled_by", String(200)),
    Column("cancel_reason", Text),
    UniqueConstraint("kind", "title", "date"),
    Index(None, "date"),  # the coming ones
    Index(None, "kind", "date"),  # the next ones of a kind with a free seat
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(OUTBOX_KEY_LENGTH), nullable=False, unique=True),  # idempotency key
    Column("rule", String(60), nullable=False),
    Column("centre_id", Integer, ForeignKey("centres.id")),
    Column("role", String(20), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("attachments", Text, nullable=False, server_default=""),  # one path per line
    Column("calendar", Text),  # an iCalendar invitation (RFC 5546) the message carries
    Column("status", String(20), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("lease_until", UTCDateTime),
    Column("last_error", Text),
    Column("ambiguous", Boolean, nullable=False, server_default=false()),
    Column("sent_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    # what renders the mail again (a retry after a correction): its template and context
    # (`core.mailcontext`); None for a mail that is not rendered again
    Column("template", String(60)),
    Column("context", Text),
    Index(None, "status", "next_attempt_at"),
    Index(None, "status", "id"),  # the outbox page: a status's newest first
    Index(None, "centre_id"),
)
#: A message still holding its texts (retention empties them once it is settled long enough);
#: literal values, so that both databases match the partial index below to the query.
MAIL_HELD = or_(
    outbox.c.body_text != literal_column("''"),
    outbox.c.body_html != literal_column("''"),
    outbox.c.attachments != literal_column("''"),
    outbox.c.calendar.is_not(None),
    outbox.c.context.is_not(None),
)
#: When a message settled (its sending, or its writing if it was never sent).
MAIL_SETTLED_AT = func.coalesce(outbox.c.sent_at, outbox.c.created_at)
# The messages still holding their texts, by status and when they settled: what retention
# empties next (a few days' mails, however many years the outbox holds).
Index(
    "ix_outbox_held",
    outbox.c.status,
    MAIL_SETTLED_AT,
    sqlite_where=MAIL_HELD,
    postgresql_where=MAIL_HELD,
)
# A person's mails (their data, its erasure): by address, whatever its case.
Index("ix_outbox_lower_recipient", func.lower(outbox.c.recipient))

# Each attempt to send an outbox message, with what the server answered.
outbox_attempts = Table(
    "outbox_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("outbox_id", Integer, ForeignKey("outbox.id"), nullable=False),
    Column("attempt", Integer, nullable=False),  # the claim's attempt number (its fence)
    Column("at", UTCDateTime, nullable=False),
    Column("outcome", String(20), nullable=False),  # DeliveryStatus
    Column("recipient", String(320), nullable=False),
    Column("code", SmallInteger),  # the SMTP server's reply code, if it answered
    Column("reply", Text),  # its reply text, or the error
    UniqueConstraint("outbox_id", "attempt"),
)
Index("ix_outbox_attempts_lower_recipient", func.lower(outbox_attempts.c.recipient))

# Who may sign in to the web pages; a coach's user is linked to the coach.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # always lower case
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),  # argon2id, never the password
    Column("coach_id", Integer, ForeignKey("coaches.id")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=false()),
)

# A signed-in browser: the cookie carries a random secret, only its SHA-256 is kept here.
# Signing out, disabling the user and a new password delete the rows: the session ends.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),  # every form of the session sends it
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)

# Sign-ins, successful or failed (never a password): the throttle counts the failures of an
# e-mail address (known or not) and of a client address within a window.
sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("email", String(320), nullable=False),  # as given, lower case
    Column("client", String(100), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Index(None, "email", "at"),
    Index(None, "client", "at"),
)

# A coach's private calendar link: only a SHA-256 of its token is kept, never the token.
calendar_feeds = Table(
    "calendar_feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("coach_id", Integer, ForeignKey("coaches.id"), nullable=False, unique=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# Who exported or erased whose data, and when (Art. 15 and 17 DSGVO): the person by their
# number only. Kept for [privacy] audit_days.
privacy_events = Table(
    "privacy_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("action", String(20), nullable=False),  # export, erase
    Column("subject", String(20), nullable=False),  # coach, centre, user
    Column("subject_id", Integer, nullable=False),
)

# Small facts the service keeps between runs, e.g. when the last tick ran.
state = Table(
    "state",
    metadata,
    Column("name", String(60), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)

# Figures kept on write, rebuilt from the tables above (not copied by a transfer): each
# centre's share of its year's budget spent, in whole percent, for the centres in an active
# stage with a budget that spent anything (``budget_percents``); the year and rules they were
# figured for (``budget_state``, one row); and the centres whose figure is stale
# (``budget_stale``), marked by triggers (migration 0024) on every write that can change it.
budget_percents = Table(
    "budget_percents",
    metadata,
    Column("centre_id", Integer, primary_key=True),
    Column("percent", Integer, nullable=False),
)
# the most first, ties by number: a page of warnings reads the index in its order
Index(
    "ix_budget_percents_percent_desc", budget_percents.c.percent.desc(), budget_percents.c.centre_id
)
budget_stale = Table(
    "budget_stale",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("centre_id", Integer, nullable=False),
)
budget_state = Table(
    "budget_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rules", String(80), nullable=False),
)
# The centres per stage and district as of the last fold (``centre_counts``) and the
# changes since (``centre_count_changes``: +1 and -1, appended by triggers on centres,
# migration 0028); a count is the two added up (`store/kept_counts.py`).
centre_counts = Table(
    "centre_counts",
    metadata,
    Column("stage", String(40), primary_key=True),
    Column("district", String(60), primary_key=True),
    Column("centres", Integer, nullable=False),
)
centre_count_changes = Table(
    "centre_count_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("stage", String(40), nullable=False),
    Column("district", String(60), nullable=False),
    Column("delta", Integer, nullable=False),
)
# The messages per status as of the last fold (``outbox_counts``) and the changes since
# (``outbox_count_changes``: +1 and -1, appended by triggers on outbox, migration 0031);
# a count is the two added up (`store/kept_counts.py`).
outbox_counts = Table(
    "outbox_counts",
    metadata,
    Column("status", String(20), primary_key=True),
    Column("messages", Integer, nullable=False),
)
outbox_count_changes = Table(
    "outbox_count_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("status", String(20), nullable=False),
    Column("delta", Integer, nullable=False),
)
# The coaching sessions written since the last tick looked at the invitations
# (``invitation_marks``, by triggers: migration 0026), and the first and last day of the
# invitations' window it looked at (``invitation_state``, one row; None: never, the next tick
# reads every session).
invitation_marks = Table(
    "invitation_marks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("activity_id", Integer, nullable=False),
)
invitation_state = Table(
    "invitation_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("since", Date),
    Column("through", Date),
)
# The districts' accounts of a year kept on write (`store/district_accounts.py`): each
# centre's figures of the year as the yearly digest has them (``district_accounts``: hours in
# hundredths, money in cents, exact), each district's totals of them (``district_totals``),
# the rules and the last mark each year was figured for (``account_years``), and the centres
# whose figures are stale (``account_stale``), marked by triggers (migration 0033) on every
# write that can change them; its ids are never reused, a year's state names the last one.
district_accounts = Table(
    "district_accounts",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("centre_id", Integer, primary_key=True),
    Column("district", String(60), nullable=False),
    Column("name", String(200), nullable=False),
    Column("stage_start", String(40), nullable=False),
    Column("stage_end", String(40), nullable=False),
    Column("sessions", Integer, nullable=False),
    Column("hours", Integer, nullable=False),  # hundredths of an hour
    Column("cost", Integer, nullable=False),  # cents
    Column("budget", Integer),  # cents; None: no month in a stage with a budget
    # a district's centres a page at a time, by name
    Index(None, "year", "district", "name", "centre_id"),
)
district_totals = Table(
    "district_totals",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("district", String(60), primary_key=True),
    Column("centres", Integer, nullable=False),
    Column("sessions", Integer, nullable=False),
    # sums: more than 32 bits hold (a district's budget of a year above 21 million euros)
    Column("hours", BigInteger, nullable=False),
    Column("cost", BigInteger, nullable=False),
    Column("budget", BigInteger, nullable=False),
    Column("rest", BigInteger, nullable=False),  # of the centres with a budget
)
account_years = Table(
    "account_years",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("rules", String(80), nullable=False),
    Column("figured_upto", Integer, nullable=False),  # the last mark figured in
)
account_stale = Table(
    "account_stale",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("centre_id", Integer, nullable=False),
    sqlite_autoincrement=True,
)
# The programme forecast of the page's first view (`service/forecast.py`), kept with the
# last mark it read (``upto``), and the marks: one row a write the forecast reads, left by
# triggers (migration 0036); a kept forecast is current while no mark is newer.
forecast_marks = Table(
    "forecast_marks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(40), nullable=False),  # the table written
    sqlite_autoincrement=True,
)
forecast_kept = Table(
    "forecast_kept",
    metadata,
    Column("key", String(64), primary_key=True),  # what it was figured for, a digest
    Column("upto", Integer, nullable=False),  # the last mark it reads
    Column("token", String(32), nullable=False),  # each keeping's own, random
    Column("body", Text, nullable=False),  # JSON (`core/forecast_codec.py`)
)
DERIVED = (
    account_stale,
    account_years,
    budget_percents,
    budget_stale,
    budget_state,
    centre_counts,
    centre_count_changes,
    district_accounts,
    district_totals,
    forecast_kept,
    forecast_marks,
    invitation_marks,
    invitation_state,
    outbox_counts,
    outbox_count_changes,
)
