"""the programme forecast of the page's first view kept (``forecast_kept``), and a mark
(``forecast_marks``) left by triggers on every write the forecast reads: a held coaching
session written, changed or deleted, a stage change written, a correction written or
deleted, a centre registered, deleted, moved to another district or stage or coach, a coach
added, deleted, or given another rate or taken off duty

A later migration that rebuilds one of these tables on SQLite (a batch operation) drops its
triggers with it and must create them again; `tests/test_forecast_kept.py` checks that
each kind of write is still marked.

Revision ID: 0036
Revises: 0035
"""

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

HELD_NEW = "NEW.kind = 'coaching' AND NEW.status = 'held'"
HELD_OLD = "OLD.kind = 'coaching' AND OLD.status = 'held'"
# name, event, table, condition (None: always)
TRIGGERS = (
    ("forecast_mark_activity_insert", "INSERT", "activities", HELD_NEW),
    (
        "forecast_mark_activity_update",
        "UPDATE OF kind, status, date, hours, stage",
        "activities",
        f"({HELD_NEW}) OR ({HELD_OLD})",
    ),
    ("forecast_mark_activity_delete", "DELETE", "activities", HELD_OLD),
    ("forecast_mark_change_insert", "INSERT", "stage_changes", None),
    (
        "forecast_mark_change_update",
        'UPDATE OF centre_id, "trigger", from_stage, to_stage, effective',
        "stage_changes",
        None,
    ),
    ("forecast_mark_change_delete", "DELETE", "stage_changes", None),
    ("forecast_mark_correction_insert", "INSERT", "corrections", None),
    ("forecast_mark_correction_delete", "DELETE", "corrections", None),
    ("forecast_mark_centre_insert", "INSERT", "centres", None),
    (
        "forecast_mark_centre_update",
        "UPDATE OF district, stage, stage_since, registered, episode_start, coach_id",
        "centres",
        None,
    ),
    ("forecast_mark_centre_delete", "DELETE", "centres", None),
    ("forecast_mark_coach_insert", "INSERT", "coaches", None),
    ("forecast_mark_coach_update", "UPDATE OF rate, active", "coaches", None),
    ("forecast_mark_coach_delete", "DELETE", "coaches", None),
)
FUNCTION = "forecast_mark"  # PostgreSQL's triggers call it


def upgrade() -> None:
    op.create_table(
        "forecast_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_marks")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "forecast_kept",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("upto", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_forecast_kept")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN INSERT INTO forecast_marks (source) VALUES (TG_TABLE_NAME); "
            "RETURN NULL; END $$"
        )
        for name, event, table, condition in TRIGGERS:
            when = "" if condition is None else f" WHEN ({condition})"
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
                f"EXECUTE FUNCTION {FUNCTION}()"
            )
        return
    for name, event, table, condition in TRIGGERS:
        when = "" if condition is None else f" WHEN {condition}"
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} BEGIN "
            f"INSERT INTO forecast_marks (source) VALUES ('{table}'); END"
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, _, table, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute(f"DROP FUNCTION {FUNCTION}()")
    op.drop_table("forecast_kept")
    op.drop_table("forecast_marks")
